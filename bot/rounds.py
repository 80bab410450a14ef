"""Questions about reporting rounds: "who hasn't reported for 2020 H1 yet", "has ILO
reported", "what did WS1 report on the handbook".

Kept apart from the general understanding so the two can change independently:
`read_round_question` is asked first by `bot.understand.understand` and returns an intent
and the query's fields, or None; `answer_round` fills in an answer from the rounds as
`tracker.domain.monitoring` reads them, and says only what the reports say.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.domain.monitoring import (
    Completion,
    round_aliases,
    round_status,
    rounds_of,
)
from tracker.models import Activity, Milestone, StatusChange, WorkingGroup
from tracker.monitoring.models import ReportingRound, RoundItem

if TYPE_CHECKING:
    from bot.answer import Answer
    from bot.understand import Query, Vocabulary

#: The intents answered here.
ROUND_INTENTS = ("round_missing", "round_entity", "round_said")

_NOT = r"(?:has not|have not|hasnt|havent|did not|didnt|not)"
_PERIOD = r"(?:\s+(?:for|in|on)\s+(?:the\s+)?(?P<period>.+?))?"
_MISSING = re.compile(
    rf"^(?:who|which (?:entities|leads|agencies|organisations|organizations))\s+"
    rf"(?:is\s+)?(?:still\s+)?{_NOT}\s+(?:yet\s+)?(?:reported|sent (?:a|their) reports?)"
    rf"{_PERIOD}(?:\s+yet)?$"
)
_ENTITY = re.compile(
    rf"^(?:has|have|did)\s+(?P<name>.+?)\s+(?:reported|report){_PERIOD}(?:\s+yet)?$"
)
_SAID = re.compile(
    r"^what\s+(?:did|has)\s+(?P<name>.+?)\s+report(?:ed)?\s+(?:on|about|for)\s+(?:the\s+)?(?P<subject>.+)$"
)


def read_round_question(text: str, vocabulary: Vocabulary) -> tuple[str, dict[str, Any]] | None:
    """The intent and query fields of a question about rounds, from its normalized text."""
    if match := _MISSING.match(text):
        return "round_missing", {"period": match.group("period")}
    # in these slots a name is the whole of it: "has WHO reported" asks about the WHO
    if (match := _ENTITY.match(text)) and (entity := _entity(match.group("name"), vocabulary)):
        return "round_entity", {"entity": entity, "period": match.group("period")}
    if match := _SAID.match(text):
        name = match.group("name")
        fields: dict[str, Any] = {"subject": match.group("subject")}
        if group := vocabulary.group(name):
            return "round_said", {**fields, "working_group": group}
        if entity := _entity(name, vocabulary):
            return "round_said", {**fields, "entity": entity}
    return None


def _entity(name: str, vocabulary: Vocabulary) -> str | None:
    return vocabulary.entity_names.get(name.strip().removeprefix("the "))


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _rounds(session: so.Session, period: str | None) -> list[ReportingRound]:
    """The rounds a question means: those whose period it names, else the open ones (or the
    latest, if none is open)."""
    rounds = rounds_of(session)
    if period:
        wanted = _key(period)
        return [
            r for r in rounds if _key(r.label) == wanted or wanted in map(_key, round_aliases(r))
        ]
    open_rounds = [r for r in rounds if r.is_open]
    return open_rounds or rounds[:1]


def answer_round(session: so.Session, reply: Answer, query: Query, today: date) -> Answer:
    if query.intent == "round_said":
        return _said(session, reply, query)
    rounds = _rounds(session, query.period)
    if not rounds:
        named = f" for {query.period}" if query.period else ""
        reply.heading = f"There is no reporting round{named}."
        reply.notes.append(
            "Coordinators open rounds on the Reporting page or with `tracker round open`."
        )
        return reply
    lines = []
    for round_ in rounds:
        status = round_status(session, round_, today)
        name = f"{round_.working_group.short_name} {round_.label} (due {round_.due_date:%-d %B %Y})"
        if query.intent == "round_missing":
            waiting = status.waiting()
            if not waiting:
                lines.append(f"{name}: every lead has reported.")
                continue
            who = ", ".join(
                f"{e.entity.acronym} ({len(e.items) - e.reported} of {len(e.items)} items"
                f"{', late' if e.state == Completion.LATE else ''})"
                for e in waiting
            )
            lines.append(f"{name}: not yet reported: {who}.")
        else:
            [progress] = [e for e in status.entities if e.entity.acronym == query.entity] or [None]
            if progress is None:
                lines.append(f"{name}: {query.entity} has nothing to report in it.")
                continue
            reported = [i.subject.code for i, c in progress.items if i.submitted_on]
            missing = [i.subject.code for i, c in progress.items if not i.submitted_on]
            if not missing:
                lines.append(
                    f"{name}: yes, {query.entity} has reported on all {len(reported)} items."
                )
            elif not reported:
                lines.append(
                    f"{name}: no, {query.entity} has not reported on its {len(missing)} items yet."
                )
            else:
                lines.append(
                    f"{name}: {query.entity} has reported on {', '.join(reported)}; "
                    f"not yet on {', '.join(missing)}."
                )
    reply.heading = lines[0] if len(lines) == 1 else "Reporting rounds:"
    reply.details = lines[1:] if len(lines) == 1 else lines
    return reply


def _said(session: so.Session, reply: Answer, query: Query) -> Answer:
    """The reports (round reports and progress notes) on items matching the subject: the
    activities, and the group's own meetings and milestones, which rounds ask about too."""
    words = query.subject.split() if query.subject else []
    scope = query.working_group or query.entity or ""
    subjects: list[Activity | Milestone] = []
    for model in (Activity, Milestone):
        select = (
            sa.select(model)
            .join(WorkingGroup)
            .where(
                *(
                    sa.or_(
                        sa.func.lower(model.title).contains(w, autoescape=True),
                        sa.func.lower(model.code) == w,
                    )
                    for w in words
                ),
                *([Milestone.activity_id.is_(None)] if model is Milestone else []),
            )
            .order_by(Activity.sort_key if model is Activity else Milestone.due_date)
        )
        if query.working_group:
            select = select.where(WorkingGroup.short_name == query.working_group)
        subjects += session.scalars(select.limit(5 - len(subjects))).all()
    if not subjects:
        reply.heading = f"No {scope} item mentions {query.subject!r}."
        return reply
    lines = []
    for subject in subjects:
        of_subject = (
            RoundItem.activity_id if isinstance(subject, Activity) else RoundItem.milestone_id
        )
        reports = session.scalars(
            sa.select(RoundItem)
            .where(of_subject == subject.id, RoundItem.submitted_on.is_not(None))
            .options(so.joinedload(RoundItem.round), so.joinedload(RoundItem.entity))
            .order_by(RoundItem.submitted_on.desc())
        ).all()
        if query.entity:
            reports = [r for r in reports if r.entity.acronym == query.entity]
        for item in reports:
            report = item.report or {}
            status = report.get("status", "").replace("_", " ")
            lines.append(
                f"{subject.code} {subject.title} — {item.entity.acronym} for {item.round.label}: "
                f"{report.get('progress', '').strip()} (status {status})"
            )
        if not reports:
            in_history = (
                StatusChange.activity_id
                if isinstance(subject, Activity)
                else StatusChange.milestone_id
            )
            last = session.scalars(
                sa.select(StatusChange)
                .where(in_history == subject.id, StatusChange.from_status.is_not(None))
                .order_by(StatusChange.id.desc())
                .limit(1)
            ).first()
            said = (
                f"last update: {last.note or last.to_status.label} ({last.actor})"
                if last
                else "nothing reported yet"
            )
            lines.append(f"{subject.code} {subject.title} — {said}.")
    reply.heading = f"What {scope} reported on {query.subject}:"
    reply.details = lines
    return reply
