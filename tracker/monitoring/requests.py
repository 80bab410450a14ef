"""A round's requests and chasers by e-mail, through the outbox, each at most once.

Opening a round sends each recipient of each lead entity one request listing all the items
the entity reports on (`send_requests`, in the opening transaction). The daily scan
(`chase_rounds`) sends those whose entity has not reported everything a chaser at the
group's lead times before the due date, and one after it. Every message is claimed in
`RoundMessage` (round, entity, recipient, step) and carries an outbox dedupe key, so no
run, repeated or concurrent, sends one twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, current_app

from tracker import mail
from tracker.domain.monitoring import completion_of, lead_recipients, round_steps_due
from tracker.jobs import register_daily_task
from tracker.models import Entity
from tracker.monitoring.models import ReportingRound, RoundItem, RoundMessage
from tracker.timeline import format_date

KIND = "round-request"


def form_url(round_: ReportingRound) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/rounds/{round_.id}/report"


def send_requests(session: so.Session, round_: ReportingRound, today: date) -> int:
    """The round's requests, one per recipient of each lead entity; how many were queued."""
    return _send(session, round_, today, "request", list(round_.items))


def chase_rounds(session: so.Session, today: date) -> int:
    """Chasers for every open round whose step is due today; how many were queued."""
    sent = 0
    rounds = session.scalars(
        sa.select(ReportingRound)
        .where(ReportingRound.closed_at.is_(None))
        .options(
            so.joinedload(ReportingRound.working_group),
            so.selectinload(ReportingRound.items).options(
                so.joinedload(RoundItem.activity), so.joinedload(RoundItem.milestone)
            ),
        )
    ).all()
    for round_ in rounds:
        step = round_steps_due(round_, today)
        if step is None:
            continue
        waiting = [i for i in round_.items if i.submitted_at is None]
        sent += _send(session, round_, today, step, waiting)
    return sent


def _send(
    session: so.Session, round_: ReportingRound, today: date, step: str, items: list[RoundItem]
) -> int:
    by_entity: dict[int, list[RoundItem]] = defaultdict(list)
    for item in items:
        by_entity[item.entity_id].append(item)
    claimed = {
        (m.entity_id, m.recipient)
        for m in session.scalars(
            sa.select(RoundMessage).where(
                RoundMessage.round_id == round_.id, RoundMessage.step == step
            )
        )
    }
    queued = 0
    for entity_id, entity_items in by_entity.items():
        entity = session.get(Entity, entity_id)
        assert entity is not None
        for recipient in lead_recipients(session, entity):
            key = recipient.lower()
            if (entity_id, key) in claimed:
                continue
            subject, body = compose(round_, entity, entity_items, step, today)
            with session.begin_nested() as savepoint:
                message = mail.queue(
                    session,
                    kind=KIND,
                    recipient=recipient,
                    subject=subject,
                    text_body=body,
                    dedupe_key=f"round:{round_.id}:{entity_id}:{key}:{step}",
                )
                session.flush()
                session.add(
                    RoundMessage(
                        round_id=round_.id,
                        entity_id=entity_id,
                        recipient=key,
                        step=step,
                        outbox_message_id=message.id,
                        sent_on=today,
                    )
                )
                try:
                    session.flush()
                except sa.exc.IntegrityError:  # another run claimed it first
                    savepoint.rollback()
                    continue
            queued += 1
    return queued


def compose(
    round_: ReportingRound, entity: Entity, items: list[RoundItem], step: str, today: date
) -> tuple[str, str]:
    """The subject and text of a request or chaser."""
    group = round_.working_group
    due = format_date(round_.due_date)
    if step == "request":
        opening = f"{group.name} ({group.short_name}) asks for {entity.acronym}'s progress report"
    elif step == "chaser-after":
        opening = f"{entity.acronym}'s progress report for {group.short_name} was due on {due}"
    else:
        opening = f"A reminder: {entity.acronym}'s progress report for {group.short_name} is due"
    subject = f"{group.short_name} progress report, {round_.label}: due {due}"
    if step == "chaser-after":
        subject = f"Overdue: {subject}"
    lines = [
        f"{opening} for {round_.label} "
        f"({format_date(round_.period_start)} to {format_date(round_.period_end)}), due on {due}.",
        "",
        f"{entity.acronym} reports on {len(items)} item{'s' if len(items) != 1 else ''}:",
        "",
    ]
    for item in sorted(items, key=lambda i: i.sort_key):
        state = completion_of(item, round_.due_date, today).value
        timeline = f" ({item.timeline_text})" if item.timeline_text else ""
        lines.append(f"  {item.subject.code}  {item.subject.title}{timeline} [{state}]")
    lines += [
        "",
        "Report on each item (status, progress in the period, milestones achieved, indicator "
        "values, risks, next steps) in one form; drafts are kept until you submit:",
        form_url(round_),
        "",
        "Every report goes into the item's history, as any progress update does.",
    ]
    return subject, "\n".join(lines)


def init_app(app: Flask) -> None:
    """The chasers go out with the daily reminder scan (`tracker.jobs`)."""
    register_daily_task(app, "reporting-round-chasers", chase_rounds)
