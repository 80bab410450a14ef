"""Buttons and menus on an item: mark it in progress, completed, or delayed (with a note)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.blocks import delay_modal
from bot.slack.people import identify
from bot.slack.updates import (
    Choice,
    Origin,
    delay_metadata,
    item_view,
    load_row,
    record,
    refusal,
    show,
    tell,
)
from tracker.domain.status import EditConflict
from tracker.extensions import db
from tracker.models import Status

STATUS_ACTION = re.compile(r"^status_(?:in_progress|completed|delayed|menu)$")


def register(app: App) -> None:
    app.action(STATUS_ACTION)(ack=acknowledge, lazy=[apply_choice])


def acknowledge(ack: Ack) -> None:
    ack()


def chosen_value(action: dict[str, Any]) -> str:
    selected = action.get("selected_option")
    return str(selected["value"] if selected else action["value"])


def apply_choice(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
    choice = Choice.parse(chosen_value(action))
    origin = Origin.of_action(body)
    trigger_id = body.get("trigger_id")
    person = identify(client, origin.user_id)
    row = load_row(choice.kind, choice.item_id)
    if row is None:
        tell(client, origin, "That item is no longer in the workplan.", trigger_id)
        return
    why_not = refusal(person, row)
    if why_not or person is None:
        tell(client, origin, why_not or "", trigger_id)
        return
    if choice.status == Status.DELAYED:
        modal = delay_modal(item_view(row), delay_metadata(choice, origin))
        client.views_open(trigger_id=trigger_id, view=modal)
        return
    try:
        changed = record(person, row, choice)
    except EditConflict as exc:
        db.session.rollback()
        tell(client, origin, f"Nothing was changed: {exc}.", trigger_id)
        show(client, origin, row)
        return
    if not changed:
        label = f"{row.working_group.short_name} {row.code}"
        tell(client, origin, f"{label} is already {row.status.label}.", trigger_id)
        return
    show(client, origin, row)
