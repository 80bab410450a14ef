"""A reporting round's request in Slack: a direct message to each lead with a button per
item, each opening a modal (status, progress, milestones achieved, indicator actuals, risks,
next steps) whose submission is the same report as the web form's, through
`tracker.domain.monitoring.submit_report` (source "slack").

`post_round_requests` sends each lead of each open round its message once (claimed in
`RoundMessage` with the recipient "slack:USER"); the scheduler runs it beside the mail, and
`tracker bot rounds` runs it by hand.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import escape
from bot.slack.people import identify, known_person
from tracker.clock import today
from tracker.domain.monitoring import (
    ReportFields,
    RoundError,
    reportable_indicators,
    submit_report,
)
from tracker.domain.permissions import PermissionDenied
from tracker.domain.status import Actor, EditConflict
from tracker.extensions import db
from tracker.models import Person, PersonRole, Status
from tracker.monitoring.models import ReportingRound, RoundItem, RoundMessage
from tracker.timeline import format_date

logger = logging.getLogger(__name__)

REPORT_ACTION = "round_report"
REPORT_CALLBACK = "round_report_modal"
STATUS_BLOCK, PROGRESS_BLOCK, RISKS_BLOCK, NEXT_BLOCK = "status", "progress", "risks", "next"
MILESTONES_BLOCK = "milestones"
#: An indicator's actual is the block "actual:<indicator id>".
ACTUAL_PREFIX = "actual:"
#: Slack's most options in one checkboxes element; the web form lists any number.
MAX_CHOICES = 10


def register(app: App) -> None:
    app.action(REPORT_ACTION)(ack=_ack, lazy=[open_report_modal])
    app.view(REPORT_CALLBACK)(record_report)


def _ack(ack: Ack) -> None:
    ack()


def post_round_requests(client: WebClient, on: date) -> int:
    """Each lead of each open round its one direct message; how many were posted."""
    posted = 0
    rounds = db.session.scalars(
        sa.select(ReportingRound).where(ReportingRound.closed_at.is_(None))
    ).all()
    for round_ in rounds:
        by_entity: dict[int, list[RoundItem]] = defaultdict(list)
        for item in round_.items:
            by_entity[item.entity_id].append(item)
        for entity_id, items in by_entity.items():
            leads = db.session.scalars(
                sa.select(Person).where(
                    Person.entity_id == entity_id,
                    Person.role == PersonRole.LEAD,
                    Person.active,
                    Person.slack_user_id.is_not(None),
                )
            ).all()
            for lead in leads:
                key = f"slack:{lead.slack_user_id}"
                claimed = db.session.scalar(
                    sa.select(RoundMessage.id).where(
                        RoundMessage.round_id == round_.id,
                        RoundMessage.entity_id == entity_id,
                        RoundMessage.recipient == key,
                        RoundMessage.step == "request",
                    )
                )
                if claimed is not None:
                    continue
                try:
                    client.chat_postMessage(
                        channel=lead.slack_user_id,
                        text=f"{round_.working_group.short_name} progress report, {round_.label}: "
                        f"due {format_date(round_.due_date)}",
                        blocks=request_blocks(round_, items),
                    )
                except SlackApiError as exc:
                    logger.warning("round request to %s failed: %s", key, exc.response.get("error"))
                    continue
                db.session.add(
                    RoundMessage(
                        round_id=round_.id,
                        entity_id=entity_id,
                        recipient=key,
                        step="request",
                        sent_on=on,
                    )
                )
                db.session.commit()  # posted: never again
                posted += 1
    return posted


def request_blocks(round_: ReportingRound, items: list[RoundItem]) -> list[dict[str, Any]]:
    group = round_.working_group
    entity = items[0].entity.acronym
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{escape(group.short_name)} progress report, {escape(round_.label)}*: "
                f"{escape(entity)} reports on {len(items)} item{'s' if len(items) != 1 else ''}, "
                f"due {format_date(round_.due_date)}.",
            },
        }
    ]
    for item in sorted(items, key=lambda i: i.sort_key)[:45]:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{escape(item.subject.code)}* {escape(item.subject.title[:200])}",
                },
                "accessory": {
                    "type": "button",
                    "action_id": REPORT_ACTION,
                    "text": {"type": "plain_text", "text": "Report"},
                    "value": str(item.id),
                },
            }
        )
    return blocks


def report_modal(item: RoundItem) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": s.label.capitalize()}, "value": s.value}
        for s in Status
    ]
    current = next(o for o in options if o["value"] == item.subject.status.value)

    def text_input(
        block: str, label: str, optional: bool, *, multiline: bool = True
    ) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block,
            "optional": optional,
            "label": {"type": "plain_text", "text": label[:150]},
            "element": {
                "type": "plain_text_input",
                "action_id": block,
                "multiline": multiline,
                "max_length": 2000,
            },
        }

    open_milestones = [m for m in item.achievable_milestones if m.status != Status.COMPLETED]
    milestones = (
        [
            {
                "type": "input",
                "block_id": MILESTONES_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Milestones achieved"},
                "element": {
                    "type": "checkboxes",
                    "action_id": MILESTONES_BLOCK,
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": f"{m.code} {m.title}"[:75]},
                            "value": str(m.id),
                        }
                        for m in open_milestones[:MAX_CHOICES]
                    ],
                },
            }
        ]
        if open_milestones
        else []
    )
    actuals = [
        text_input(
            f"{ACTUAL_PREFIX}{indicator.id}",
            f"{indicator.code} {indicator.name} ({indicator.unit}), {item.round.label}",
            True,
            multiline=False,
        )
        for indicator in (
            reportable_indicators(db.session, item.activity) if item.activity else []
        )[:MAX_CHOICES]
    ]

    return {
        "type": "modal",
        "callback_id": REPORT_CALLBACK,
        "private_metadata": json.dumps({"round_item": item.id}),
        "title": {"type": "plain_text", "text": f"Report on {item.subject.code}"[:24]},
        "submit": {"type": "plain_text", "text": "Submit"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{escape(item.subject.title[:500])}*"},
            },
            {
                "type": "input",
                "block_id": STATUS_BLOCK,
                "label": {"type": "plain_text", "text": "Status"},
                "element": {
                    "type": "static_select",
                    "action_id": STATUS_BLOCK,
                    "options": options,
                    "initial_option": current,
                },
            },
            text_input(PROGRESS_BLOCK, f"Progress in {item.round.label}", False),
            *milestones,
            *actuals,
            *([text_input(RISKS_BLOCK, "Risks and dependencies", True)] if item.activity else []),
            text_input(NEXT_BLOCK, "Next steps", True),
        ],
    }


def open_report_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
    item = db.session.get(RoundItem, int(action["value"]))
    person = identify(client, body["user"]["id"])
    if item is None or person is None:
        return
    client.views_open(trigger_id=body["trigger_id"], view=report_modal(item))


def _value(view: dict[str, Any], block: str) -> str:
    found = view["state"]["values"].get(block, {}).get(block, {})
    if "selected_option" in found:
        return str((found["selected_option"] or {}).get("value", ""))
    return str(found.get("value") or "").strip()


def _milestones(view: dict[str, Any]) -> list[int]:
    found = view["state"]["values"].get(MILESTONES_BLOCK, {}).get(MILESTONES_BLOCK, {})
    return [int(option["value"]) for option in found.get("selected_options") or []]


def _actuals(view: dict[str, Any]) -> list[tuple[int, str, str, str]]:
    """(indicator id, value, source, note) of every actual given: the modal asks the value only."""
    return [
        (int(block.removeprefix(ACTUAL_PREFIX)), value, "", "")
        for block in view["state"]["values"]
        if block.startswith(ACTUAL_PREFIX) and (value := _value(view, block))
    ]


def record_report(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Submit before the modal closes, so a refusal or a bad field is shown in the modal."""
    person = known_person(body["user"]["id"])
    metadata = json.loads(view["private_metadata"])
    item = db.session.get(RoundItem, int(metadata["round_item"]))
    if person is None or item is None:
        ack(response_action="errors", errors={PROGRESS_BLOCK: "This report can no longer be made."})
        return
    try:
        fields = ReportFields(
            status=Status.parse(_value(view, STATUS_BLOCK)),
            progress=_value(view, PROGRESS_BLOCK),
            milestones=_milestones(view),
            actuals=_actuals(view),
            risks=_value(view, RISKS_BLOCK),
            next_steps=_value(view, NEXT_BLOCK),
        )
        actor = Actor.of(person, "slack")
        submit_report(db.session, item.round, item.subject, actor, fields, today(), item.entity_id)
    except (RoundError, PermissionDenied, EditConflict, ValueError) as exc:
        db.session.rollback()
        ack(response_action="errors", errors={PROGRESS_BLOCK: f"Not submitted: {exc}"})
        return
    db.session.commit()
    ack()
