"""Status updates from Slack buttons and the "delayed" modal.

Every change goes through `tracker.domain.status.update_progress` with source "slack", so it
lands in the same history as the web's and obeys the same rules: only leads of an entity that
leads the item, and the coordinators of its working group, may change it, and a change made
on a stale view (someone else updated the item since the buttons were drawn) is refused.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.answer import answer
from bot.links import item_question
from bot.slack.blocks import answer_blocks, escape, notice_modal
from bot.slack.home import publish_home
from bot.slack.people import NOT_MATCHED
from tracker.clock import today
from tracker.domain.item import Item
from tracker.domain.items import ItemFilter, ItemKind, find_items
from tracker.domain.permissions import can_update_progress
from tracker.domain.status import Actor, update_progress
from tracker.extensions import db
from tracker.models import Activity, Milestone, Person, Status


@dataclass(frozen=True)
class Choice:
    """A button press: the status chosen for an item, and the item's version as shown."""

    status: Status
    kind: ItemKind
    item_id: int
    version: int

    @classmethod
    def parse(cls, value: str) -> Choice:
        status, kind, item_id, version = value.split(":")
        if kind not in ("activity", "milestone"):
            raise ValueError(f"not an item kind: {kind!r}")
        return cls(Status(status), kind, int(item_id), int(version))  # type: ignore[arg-type]

    @property
    def value(self) -> str:
        return f"{self.status.value}:{self.kind}:{self.item_id}:{self.version}"


@dataclass(frozen=True)
class Origin:
    """Where the item was shown, so the update can be shown there too."""

    user_id: str
    channel: str | None = None
    message_ts: str | None = None
    ephemeral: bool = False
    #: For messages only Slack can change (a slash command's ephemeral answer).
    response_url: str | None = None
    home: bool = False

    @classmethod
    def of_action(cls, body: dict[str, Any]) -> Origin:
        container = body.get("container") or {}
        if container.get("type") == "view":
            return cls(body["user"]["id"], home=(body.get("view") or {}).get("type") == "home")
        return cls(
            body["user"]["id"],
            channel=container.get("channel_id") or (body.get("channel") or {}).get("id"),
            message_ts=container.get("message_ts"),
            ephemeral=bool(container.get("is_ephemeral")),
            response_url=body.get("response_url"),
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def load_row(kind: ItemKind, item_id: int) -> Activity | Milestone | None:
    model = Activity if kind == "activity" else Milestone
    return db.session.get(model, item_id)


def item_view(row: Activity | Milestone) -> Item:
    """The item as every front end shows it (for a recurring one, its next occurrence)."""
    ids = frozenset({row.id})
    flt = (
        ItemFilter(kinds=frozenset({"activity"}), activity_ids=ids)
        if isinstance(row, Activity)
        else ItemFilter(kinds=frozenset({"milestone"}), milestone_ids=ids)
    )
    return find_items(db.session, flt, today(), limit=1).items[0]


def refusal(person: Person | None, row: Activity | Milestone) -> str | None:
    """Why this person may not update the item, in words fit to show them; None if they may."""
    if person is None:
        return NOT_MATCHED
    if can_update_progress(person, row):
        return None
    leads = ", ".join(sorted(e.acronym for e in row.lead_entities)) or "no entity"
    return (
        f"Only people of the entities leading {row.working_group.short_name} {row.code} "
        f"({leads}) and the coordinators of {row.working_group.short_name} can update it; "
        f"{person.name} is neither."
    )


def record(person: Person, row: Activity | Milestone, choice: Choice, note: str = "") -> bool:
    """Apply the choice and commit; False if it changed nothing. Raises `EditConflict`."""
    change = update_progress(
        db.session,
        row,
        Actor.of(person, "slack"),
        status=choice.status,
        note=note,
        expected_version=choice.version,
        today=today(),
    )
    db.session.commit()
    return change is not None


def show(client: WebClient, origin: Origin, row: Activity | Milestone) -> None:
    """Redraw the item where it was shown: the message, the ephemeral answer or the Home tab."""
    if origin.home:
        publish_home(client, origin.user_id)
        return
    reply = answer(
        db.session,
        item_question(item_view(row)),
        today(),
        base_url=current_app.config["BASE_URL"],
    )
    blocks = answer_blocks(reply)
    if origin.ephemeral or not (origin.channel and origin.message_ts):
        if origin.response_url:
            WebhookClient(origin.response_url).send(
                text=escape(reply.text), blocks=blocks, replace_original=True
            )
        return
    client.chat_update(
        channel=origin.channel, ts=origin.message_ts, text=escape(reply.text), blocks=blocks
    )


def tell(client: WebClient, origin: Origin, text: str, trigger_id: str | None) -> None:
    """Say something to the person alone: under the message, or in a small window on Home."""
    if origin.response_url:
        WebhookClient(origin.response_url).send(
            text=escape(text), response_type="ephemeral", replace_original=False
        )
    elif trigger_id:
        client.views_open(trigger_id=trigger_id, view=notice_modal(text))


def delay_metadata(choice: Choice, origin: Origin) -> dict[str, Any]:
    return {"choice": choice.value, "origin": origin.as_json()}


def read_delay_metadata(text: str) -> tuple[Choice, Origin]:
    data = json.loads(text)
    return Choice.parse(data["choice"]), Origin(**data["origin"])
