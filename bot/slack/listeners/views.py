"""The "delayed" modal: the note is required, and the update is made before the modal closes,
so that a refusal or a conflict is shown in the modal itself."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.blocks import DELAY_CALLBACK, NOTE_BLOCK
from bot.slack.people import known_person
from bot.slack.updates import load_row, read_delay_metadata, record, refusal, show
from tracker.domain.status import EditConflict, InvalidUpdate
from tracker.extensions import db


def register(app: App) -> None:
    app.view(DELAY_CALLBACK)(ack=record_delay, lazy=[show_delay])


def _note(view: dict[str, Any]) -> str:
    value = view["state"]["values"][NOTE_BLOCK][NOTE_BLOCK].get("value")
    return (value or "").strip()


def record_delay(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    note = _note(view)
    if not note:
        ack(response_action="errors", errors={NOTE_BLOCK: "Say what delays it."})
        return
    choice, _ = read_delay_metadata(view["private_metadata"])
    person = known_person(body["user"]["id"])
    row = load_row(choice.kind, choice.item_id)
    if row is None:
        ack(
            response_action="errors", errors={NOTE_BLOCK: "That item is no longer in the workplan."}
        )
        return
    why_not = refusal(person, row)
    if why_not or person is None:
        ack(response_action="errors", errors={NOTE_BLOCK: why_not or ""})
        return
    try:
        record(person, row, choice, note=note)
    except (EditConflict, InvalidUpdate) as exc:
        db.session.rollback()
        ack(response_action="errors", errors={NOTE_BLOCK: f"Nothing was changed: {exc}."})
        return
    ack()


def show_delay(view: dict[str, Any], client: WebClient) -> None:
    if not _note(view):
        return
    choice, origin = read_delay_metadata(view["private_metadata"])
    row = load_row(choice.kind, choice.item_id)
    if row is not None:
        show(client, origin, row)
