"""Programme monitoring's rules: the results chain of a working group, which output an
activity serves, themes, indicator values and their units.

Every front end (pages, API, CLI, bot, reports) reads the results framework through here.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.domain.item import Item
from tracker.domain.items import find_items
from tracker.domain.permissions import (
    PermissionDenied,
    can_edit_workplan,
    can_update_progress,
    coordinates,
    require,
)
from tracker.domain.query import ItemFilter
from tracker.domain.rules import leads_of
from tracker.domain.status import Actor, update_progress
from tracker.models import (
    LEADING_ROLES,
    Activity,
    ActivityEntity,
    Entity,
    EntityRole,
    Milestone,
    MilestoneEntity,
    Person,
    PersonRole,
    Status,
    StatusChange,
    WorkingGroup,
    utcnow,
)
from tracker.monitoring.models import (
    ActivityOutput,
    ActivityTheme,
    GroupTheme,
    Indicator,
    IndicatorActual,
    ReportingRound,
    Result,
    ResultLevel,
    Risk,
    RoundItem,
    Theme,
)
from tracker.timeline import format_date, parse_timeline

#: Units whose values are words ("on track", "draft circulated"); every other unit counts.
TEXT_UNITS = frozenset({"text"})


def is_numeric_unit(unit: str) -> bool:
    return unit.strip().lower() not in TEXT_UNITS


def read_value(unit: str, text: str) -> float | None:
    """An indicator value checked against its unit: a number unless the unit is "text";
    a percentage between 0 and 100. Blank is no value. Raises ValueError saying why."""
    text = text.strip()
    if not text or not is_numeric_unit(unit):
        return None
    try:
        number = float(text.replace(",", "").removesuffix("%").strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a number, and the unit {unit!r} takes numbers (e.g. 50 or 12.5); "
            "use the unit 'text' for values in words"
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    if unit.strip().lower() in ("percent", "%", "percentage") and not 0 <= number <= 100:
        raise ValueError(f"{text!r} is not a percentage between 0 and 100")
    return number


def read_when(text: str) -> date | None:
    """The last day a "when" names ("1990", "June 2020", "2014-07-15"); blank is none."""
    if not text.strip():
        return None
    timeline = parse_timeline(text)
    return timeline.end or timeline.start


# --- reading the framework -----------------------------------------------------------------


def outputs_by_activity(session: so.Session, group_id: int) -> dict[int, Result]:
    """The output every activity of a group serves: its own link, else its nearest ancestor's."""
    links = dict(
        session.execute(
            sa.select(ActivityOutput.activity_id, ActivityOutput.output_id)
            .join(Activity, Activity.id == ActivityOutput.activity_id)
            .where(Activity.working_group_id == group_id)
        ).all()
    )
    outputs = {
        r.id: r
        for r in session.scalars(
            sa.select(Result).where(
                Result.working_group_id == group_id, Result.level == ResultLevel.OUTPUT
            )
        )
    }
    parents = dict(
        session.execute(
            sa.select(Activity.id, Activity.parent_id).where(Activity.working_group_id == group_id)
        ).all()
    )
    served: dict[int, Result] = {}
    for activity_id in parents:
        node: int | None = activity_id
        seen: set[int] = set()
        while node is not None and node not in links and node not in seen:
            seen.add(node)
            node = parents.get(node)
        if node is not None and node in links:
            served[activity_id] = outputs[links[node]]
    return served


def themes_by_activity(session: so.Session, activity_ids: Iterable[int]) -> dict[int, list[Theme]]:
    """The themes each activity is tagged with, by name."""
    ids = list(activity_ids)
    themes: dict[int, list[Theme]] = {}
    if not ids:
        return themes
    rows = session.execute(
        sa.select(ActivityTheme.activity_id, Theme)
        .join(Theme, Theme.id == ActivityTheme.theme_id)
        .where(ActivityTheme.activity_id.in_(ids))
        .order_by(Theme.name)
    )
    for activity_id, theme in rows:
        themes.setdefault(activity_id, []).append(theme)
    return themes


@dataclass
class OutputView:
    output: Result
    activities: list[Activity]


@dataclass
class OutcomeView:
    outcome: Result | None
    objective: str | None
    outputs: list[OutputView] = field(default_factory=list)


@dataclass
class ResultsChain:
    """A working group's results framework, as pages, the API and reports show it."""

    group: WorkingGroup
    objectives: list[str]
    #: Outcomes in order; outputs that name no outcome come last under `None`.
    outcomes: list[OutcomeView]
    indicators: list[Indicator]
    risks: list[Risk]
    synergies: list[GroupTheme]
    output_of: dict[int, Result]
    themes_of: dict[int, list[Theme]]
    activities: dict[int, Activity]

    @property
    def empty(self) -> bool:
        return not (self.outcomes or self.indicators or self.risks or self.synergies)


def results_chain(session: so.Session, group: WorkingGroup) -> ResultsChain:
    results = list(
        session.scalars(
            sa.select(Result)
            .where(Result.working_group_id == group.id)
            .options(so.selectinload(Result.indicators).selectinload(Indicator.actuals))
            .order_by(Result.sort_key)
        )
    )
    activities = list(
        session.scalars(
            sa.select(Activity)
            .where(Activity.working_group_id == group.id)
            .order_by(Activity.sort_key)
        )
    )
    output_of = outputs_by_activity(session, group.id)
    objectives = group.objective_list
    views: dict[int | None, OutcomeView] = {}
    for outcome in (r for r in results if r.level == ResultLevel.OUTCOME):
        number = outcome.objective_number
        objective = objectives[number - 1] if number and number <= len(objectives) else None
        views[outcome.id] = OutcomeView(outcome, objective)
    for output in (r for r in results if r.level == ResultLevel.OUTPUT):
        view = views.get(output.parent_id)
        if view is None:
            view = views.setdefault(None, OutcomeView(None, None))
        served = [a for a in activities if output_of.get(a.id) is output]
        view.outputs.append(OutputView(output, served))
    outcomes = [v for k, v in views.items() if k is not None]
    if None in views:
        outcomes.append(views[None])
    risks = list(
        session.scalars(
            sa.select(Risk)
            .where(Risk.working_group_id == group.id)
            .options(so.joinedload(Risk.result), so.joinedload(Risk.activity))
            .order_by(Risk.code)
        )
    )
    synergies = list(
        session.scalars(
            sa.select(GroupTheme)
            .join(Theme, Theme.id == GroupTheme.theme_id)
            .where(GroupTheme.working_group_id == group.id)
            .options(so.contains_eager(GroupTheme.theme))
            .order_by(Theme.name)
        )
    )
    return ResultsChain(
        group=group,
        objectives=objectives,
        outcomes=outcomes,
        indicators=[i for r in results for i in r.indicators],
        risks=risks,
        synergies=synergies,
        output_of=output_of,
        themes_of=themes_by_activity(session, (a.id for a in activities)),
        activities={a.id: a for a in activities},
    )


# --- writing -------------------------------------------------------------------------------


def record_actual(
    session: so.Session,
    indicator: Indicator,
    actor: Actor,
    *,
    period: str,
    value: str,
    source: str = "",
    note: str = "",
    period_start: date | None = None,
    period_end: date | None = None,
) -> IndicatorActual:
    """Set the indicator's value for a period (one value per period: a later report of the
    same period replaces it). Raises ValueError, changing nothing, for a value its unit
    does not take."""
    read_value(indicator.unit, value)
    if not value.strip():
        raise ValueError(f"indicator {indicator.code}: the value is empty")
    if period_start is None and period_end is None:
        timeline = parse_timeline(period)
        period_start, period_end = timeline.start, timeline.end
    actual = session.scalar(
        sa.select(IndicatorActual).where(
            IndicatorActual.indicator_id == indicator.id, IndicatorActual.period == period
        )
    )
    if actual is None:
        actual = IndicatorActual(indicator=indicator, period=period)
        session.add(actual)
    actual.period_start, actual.period_end = period_start, period_end
    actual.value, actual.source, actual.note = value.strip(), source.strip(), note.strip()
    actual.recorded_by = actor.label
    return actual


# --- as JSON -------------------------------------------------------------------------------


def _result_json(result: Result) -> dict[str, object]:
    return {"code": result.code, "level": result.level.value, "title": result.title}


def indicator_json(indicator: Indicator) -> dict[str, object]:
    return {
        "code": indicator.code,
        "result": indicator.result.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "baseline": {"value": indicator.baseline_value or None, "when": indicator.baseline_when},
        "target": {"value": indicator.target_value or None, "when": indicator.target_when},
        "actuals": [
            {
                "period": a.period,
                "value": a.value,
                "number": read_value(indicator.unit, a.value),
                "source": a.source,
                "note": a.note,
            }
            for a in indicator.actuals
        ],
    }


def chain_json(chain: ResultsChain) -> dict[str, object]:
    return {
        "working_group": chain.group.short_name,
        "objectives": chain.objectives,
        "outcomes": [
            {
                **(_result_json(v.outcome) if v.outcome else {"code": None, "title": None}),
                "objective": v.objective,
                "outputs": [
                    {
                        **_result_json(o.output),
                        "description": o.output.description,
                        "activities": [a.code for a in o.activities],
                    }
                    for o in v.outputs
                ],
            }
            for v in chain.outcomes
        ],
        "indicators": [indicator_json(i) for i in chain.indicators],
        "risks": [
            {
                "code": r.code,
                "output": r.result.code if r.result else None,
                "activity": r.activity.code if r.activity else None,
                "description": r.description,
                "raised_by": r.raised_by,
                "raised": r.raised_when,
            }
            for r in chain.risks
        ],
        "themes": [
            {
                "key": s.theme.key,
                "name": s.theme.name,
                "synergy": s.synergy,
                "activities": [
                    a.code
                    for a_id, a in chain.activities.items()
                    if s.theme in chain.themes_of.get(a_id, [])
                ],
            }
            for s in chain.synergies
        ],
    }


# --- reporting rounds ----------------------------------------------------------------------


class RoundError(ValueError):
    """A round or a report that cannot be made as asked; nothing was changed. The message
    says why, in words fit to show the person."""


def active_in_period(start: date, end: date) -> sa.ColumnElement[bool]:
    """Activities a period's report covers: planned to overlap it (an open side counts as
    open), not cancelled, and not completed before it began."""
    return sa.and_(
        sa.or_(Activity.planned_start.is_(None), Activity.planned_start <= end),
        sa.or_(Activity.planned_end.is_(None), Activity.planned_end >= start),
        Activity.status != Status.CANCELLED,
        sa.or_(
            Activity.status != Status.COMPLETED,
            Activity.actual_end.is_(None),
            Activity.actual_end >= start,
        ),
    )


def open_round(
    session: so.Session,
    group: WorkingGroup,
    person: Person | None,
    *,
    label: str,
    period_start: date,
    period_end: date,
    due: date,
    today: date,
) -> ReportingRound:
    """Open a round: every lead entity reports on each activity it leads that is active in
    the period, and on each meeting or milestone of the group itself (of no activity) that it
    leads and that is due in the period. A person must coordinate the group; None is an
    operator at the CLI."""
    if person is not None:
        require(
            can_edit_workplan(person, group), f"only coordinators of {group.short_name} open rounds"
        )
    label = " ".join(label.split())
    if not label:
        raise RoundError("name the round's period, e.g. '2020, first half'")
    if period_end < period_start:
        raise RoundError(
            f"the period ends ({period_end.isoformat()}) "
            f"before it starts ({period_start.isoformat()})"
        )
    if due < period_start:
        raise RoundError(f"the due date {due.isoformat()} is before the period starts")
    taken = session.scalar(
        sa.select(ReportingRound.id).where(
            ReportingRound.working_group_id == group.id, ReportingRound.label == label
        )
    )
    if taken is not None:
        raise RoundError(f"{group.short_name} already has a round {label!r}")
    round_ = ReportingRound(
        working_group=group,
        label=label,
        period_start=period_start,
        period_end=period_end,
        due_date=due,
        opened_on=today,
        opened_by=person,
        summaries={},
    )
    session.add(round_)
    leads = session.execute(
        sa.select(Activity.id, ActivityEntity.entity_id)
        .join(ActivityEntity, ActivityEntity.activity_id == Activity.id)
        .where(
            Activity.working_group_id == group.id,
            ActivityEntity.role.in_(LEADING_ROLES),
            active_in_period(period_start, period_end),
        )
        .order_by(Activity.sort_key)
    ).all()
    round_.items = [RoundItem(activity_id=a, entity_id=e, draft={}) for a, e in leads]
    # as `active_in_period` leaves cancelled activities out: nobody reports on what is off
    events = [
        e
        for e in group_events_due(session, group, period_start, period_end)
        if e.status != Status.CANCELLED
    ]
    acronyms = {a for event in events for a in event.leads}
    entity_ids: dict[str, int] = {
        acronym: entity_id
        for acronym, entity_id in session.execute(
            sa.select(Entity.acronym, Entity.id).where(Entity.acronym.in_(acronyms))
        )
    }
    # a repeating meeting held twice in the period is one item to report on
    event_leads = dict.fromkeys((e.id, entity_ids[a]) for e in events for a in e.leads)
    round_.items += [RoundItem(milestone_id=m, entity_id=e, draft={}) for m, e in event_leads]
    session.flush()
    return round_


def group_events_due(
    session: so.Session, group: WorkingGroup, start: date, end: date
) -> list[Item]:
    """The group's own meetings and milestones (of no activity, an expert group meeting, say)
    due in the period: a round asks for reports on them and the report names them, since no
    activity's highlights would."""
    return find_items(
        session,
        ItemFilter(
            working_group=group.short_name,
            kinds=frozenset({"milestone"}),
            groups_own=True,
            due_from=start,
            due_to=end,
        ),
        end,
    ).items


def close_round(session: so.Session, round_: ReportingRound, person: Person | None) -> None:
    if person is not None:
        require(can_edit_workplan(person, round_.working_group), "only coordinators close rounds")
    if round_.closed_at is None:
        round_.closed_at = utcnow()
        session.flush()


def find_round(session: so.Session, group: WorkingGroup | None, key: str) -> ReportingRound:
    """A round by its id, or by its label within a group; RoundError names what exists."""
    query = sa.select(ReportingRound).options(so.joinedload(ReportingRound.working_group))
    of_group = [ReportingRound.working_group_id == group.id] if group else []
    wanted = " ".join(key.split()).lower()
    rounds = session.scalars(query.where(*of_group)).all()
    # a label may be all digits too ("2019")
    named = [r for r in rounds if r.label.lower() == wanted or round_aliases(r) & {wanted}]
    by_id = [r for r in rounds if key.isdigit() and r.id == int(key)]
    found = {r.id: r for r in (*by_id, *named)}
    if len(found) > 1:
        where = "" if group else "; give the working group"
        names = ", ".join(
            f"{r.working_group.short_name} {r.label} (id {r.id})" for r in found.values()
        )
        raise RoundError(f"{key!r} names several rounds: {names}{where}")
    if not found:
        raise RoundError(f"no round {key!r}")
    return next(iter(found.values()))


def round_aliases(round_: ReportingRound) -> set[str]:
    """Other ways people name a round's period: "2020 h1", "h1 2020", "2020"."""
    start, end = round_.period_start, round_.period_end
    names: set[str] = set()
    if start.year == end.year:
        if (start.month, start.day, end.month, end.day) == (1, 1, 6, 30):
            names |= {f"{start.year} h1", f"h1 {start.year}", f"first half of {start.year}"}
        if (start.month, start.day, end.month, end.day) == (7, 1, 12, 31):
            names |= {f"{start.year} h2", f"h2 {start.year}", f"second half of {start.year}"}
        if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
            names.add(str(start.year))
    return names


@dataclass
class ReportFields:
    """What a lead reports on one item; read from a form, JSON or a Slack modal."""

    status: Status
    progress: str
    milestones: list[int] = field(default_factory=list)
    #: (indicator id, value, source, note)
    actuals: list[tuple[int, str, str, str]] = field(default_factory=list)
    risks: str = ""
    next_steps: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "status": self.status.value,
            "progress": self.progress,
            "milestones": self.milestones,
            "actuals": [list(a) for a in self.actuals],
            "risks": self.risks,
            "next_steps": self.next_steps,
        }


def round_item_for(
    session: so.Session,
    round_: ReportingRound,
    subject: Activity | Milestone,
    person: Person,
    entity_id: int | None = None,
) -> RoundItem:
    """The row a person reports through: their entity's for the item, or, for a
    coordinator of the group, the first lead's, or the lead's `entity_id` names (a coordinator
    recording one co-lead's update). RoundError if the item is not in the round."""
    rows = [
        i
        for i in round_.items
        if _is_of(i, subject) and (entity_id is None or i.entity_id == entity_id)
    ]
    if not rows:
        raise RoundError(
            f"{subject.code} is not in the round {round_.label} "
            f"of {round_.working_group.short_name}"
        )
    own = [i for i in rows if i.entity_id == person.entity_id]
    if own and can_update_progress(person, subject):
        return own[0]
    if coordinates(person, round_.working_group):
        return rows[0]
    raise PermissionDenied(f"{person.name} does not report on {subject.code} in this round")


def _is_of(item: RoundItem, subject: Activity | Milestone) -> bool:
    if isinstance(subject, Activity):
        return item.activity_id == subject.id
    return item.milestone_id == subject.id


def items_to_report(
    session: so.Session,
    round_: ReportingRound,
    person: Person,
    *,
    entity: str | None = None,
    with_milestones: bool = False,
) -> list[RoundItem]:
    """The items a person reports on in a round, in workplan order: their entity's ones they
    may update (a lead's), or all of them for the group's coordinators; only those of the
    entity with the acronym `entity`, if given, as when a coordinator reports for one lead.
    Loaded with what the report form shows, in a few queries however many items there are."""
    activity = so.contains_eager(RoundItem.activity)
    query = (
        sa.select(RoundItem)
        .outerjoin(Activity, Activity.id == RoundItem.activity_id)
        .outerjoin(Milestone, Milestone.id == RoundItem.milestone_id)
        .join(Entity, Entity.id == RoundItem.entity_id)
        .where(RoundItem.round_id == round_.id)
        .options(
            activity.selectinload(Activity.entity_links).joinedload(ActivityEntity.entity),
            so.contains_eager(RoundItem.milestone)
            .selectinload(Milestone.entity_links)
            .joinedload(MilestoneEntity.entity),
            so.contains_eager(RoundItem.entity),
            so.joinedload(RoundItem.submitted_by),
            *(
                [
                    activity.selectinload(Activity.milestones).load_only(
                        Milestone.title, Milestone.date_text, Milestone.status, Milestone.due_date
                    )
                ]
                if with_milestones
                else []
            ),
        )
        # the activities in workplan order, then the group's own events by date
        .order_by(
            RoundItem.activity_id.is_(None),
            Activity.sort_key,
            Milestone.due_date,
            Milestone.code,
            Entity.acronym,
        )
    )
    if entity is not None:
        query = query.where(Entity.acronym == entity)
    if coordinates(person, round_.working_group):
        return list(session.scalars(query))
    if person.entity_id is None:
        return []
    mine = session.scalars(query.where(RoundItem.entity_id == person.entity_id))
    return [i for i in mine if can_update_progress(person, i.subject)]


def reports_in(session: so.Session, round_: ReportingRound, person: Person) -> bool:
    """Whether the person has anything to report in the round (`items_to_report`), without
    loading a coordinator's hundreds of items to find out."""
    if coordinates(person, round_.working_group):
        return session.scalar(sa.select(sa.exists().where(RoundItem.round_id == round_.id))) is True
    return bool(items_to_report(session, round_, person))


def save_draft(session: so.Session, item: RoundItem, person: Person, draft: dict[str, Any]) -> None:
    """Keep what the lead typed, unchecked: a draft may be half-written."""
    round_item_for(session, item.round, item.subject, person, item.entity_id)
    item.draft = {k: v for k, v in draft.items() if k in _DRAFT_FIELDS}
    item.draft_saved_at = utcnow()


_DRAFT_FIELDS = ("status", "progress", "milestones", "actuals", "risks", "next_steps")


def submit_report(
    session: so.Session,
    round_: ReportingRound,
    subject: Activity | Milestone,
    actor: Actor,
    fields: ReportFields,
    today: date,
    entity_id: int | None = None,
) -> RoundItem:
    """Record a lead's report on one item of a round, all or nothing: the status and progress
    go into the item's history through `update_progress` (so they obey its rules and land
    where every other update lands), achieved milestones are completed the same way, and
    indicator actuals and risks are added. Bad input raises RoundError or ValueError before
    anything is written. `entity_id` names the lead's row when an item has several (as the
    form and the Slack modal know it)."""
    assert actor.person is not None, "a report is made by a person"
    if not round_.is_open:
        raise RoundError(f"the round {round_.label} is closed")
    item = round_item_for(session, round_, subject, actor.person, entity_id)
    code = subject.code
    if not fields.progress.strip():
        raise RoundError(f"{code}: say what progress was made in {round_.label}")
    milestones = {m.id: m for m in item.achievable_milestones}
    for milestone_id in fields.milestones:
        if milestone_id not in milestones:
            raise RoundError(f"milestone {milestone_id} is not one of {code}'s")
    indicators = {
        i.id: i
        for i in (reportable_indicators(session, subject) if isinstance(subject, Activity) else [])
    }
    if fields.risks.strip() and not isinstance(subject, Activity):
        raise RoundError(
            f"{code}: a risk is raised on the activity or output it threatens, "
            "not on a meeting of the group"
        )
    for indicator_id, value, _source, _note in fields.actuals:
        indicator = indicators.get(indicator_id)
        if indicator is None:
            raise RoundError(f"indicator {indicator_id} does not measure {code}'s output")
        try:
            read_value(indicator.unit, value)
        except ValueError as exc:
            raise RoundError(f"{indicator.code} ({indicator.name}): {exc}") from None
    context = {"round": round_.id, "round_label": round_.label}
    note = f"{round_.label}: {fields.progress.strip()}"
    if fields.next_steps.strip():
        note += f"\nNext steps: {fields.next_steps.strip()}"
    entry = update_progress(
        session, subject, actor, status=fields.status, note=note, today=today, context=context
    )
    for milestone_id in fields.milestones:
        milestone = milestones[milestone_id]
        if milestone.status != Status.COMPLETED:
            update_progress(
                session,
                milestone,
                actor,
                status=Status.COMPLETED,
                note=f"achieved ({round_.label})",
                today=today,
                context=context,
            )
    for indicator_id, value, source, note_text in fields.actuals:
        if value.strip():
            record_actual(
                session,
                indicators[indicator_id],
                actor,
                period=round_.label,
                value=value,
                source=source or f"{item.entity.acronym} report, {round_.label}",
                note=note_text,
                period_start=round_.period_start,
                period_end=round_.period_end,
            )
    if fields.risks.strip():
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(Risk)
            .where(Risk.working_group_id == round_.working_group_id)
        )
        session.add(
            Risk(
                working_group_id=round_.working_group_id,
                code=f"R{(count or 0) + 1}-{round_.id}",
                activity_id=subject.id,
                description=fields.risks.strip(),
                raised_by=f"{actor.person.name} ({item.entity.acronym})",
                raised_when=today.isoformat(),
                raised_on=today,
            )
        )
    item.report = fields.as_json()
    item.submitted_at, item.submitted_on = utcnow(), today
    item.submitted_by = actor.person
    item.status_change_id = entry.id if entry else None
    item.draft = {}
    session.flush()
    return item


def reportable_indicators(session: so.Session, activity: Activity) -> list[Indicator]:
    """The indicators a report on an activity may give actuals for: its output's, and the
    outcome's above it."""
    return reportable_indicators_of(session, [activity])[activity.id]


def reportable_indicators_of(
    session: so.Session, activities: list[Activity]
) -> dict[int, list[Indicator]]:
    """`reportable_indicators` of each activity, by id, in a fixed number of queries per
    working group however many activities (a round's form lists hundreds)."""
    found: dict[int, list[Indicator]] = {a.id: [] for a in activities}
    for group_id in {a.working_group_id for a in activities}:
        outputs = outputs_by_activity(session, group_id)
        results = {
            a.id: [o.id] + ([o.parent_id] if o.parent_id else [])
            for a in activities
            if a.working_group_id == group_id and (o := outputs.get(a.id)) is not None
        }
        wanted = {r for ids in results.values() for r in ids}
        by_result: dict[int, list[Indicator]] = {}
        for indicator in session.scalars(
            sa.select(Indicator).where(Indicator.result_id.in_(wanted)).order_by(Indicator.sort_key)
        ):
            by_result.setdefault(indicator.result_id, []).append(indicator)
        for activity_id, ids in results.items():
            found[activity_id] = sorted(
                (i for r in ids for i in by_result.get(r, [])), key=lambda i: i.sort_key
            )
    return found


class Completion(enum.StrEnum):
    REPORTED = "reported"
    REPORTED_LATE = "reported late"
    NOT_YET = "not yet"
    LATE = "late"


def completion_of(item: RoundItem, due: date, today: date) -> Completion:
    if item.submitted_on is not None:
        return Completion.REPORTED if item.submitted_on <= due else Completion.REPORTED_LATE
    return Completion.LATE if today > due else Completion.NOT_YET


@dataclass
class EntityProgress:
    entity: Entity
    items: list[tuple[RoundItem, Completion]]

    @property
    def reported(self) -> int:
        return sum(1 for _, c in self.items if c in (Completion.REPORTED, Completion.REPORTED_LATE))

    @property
    def state(self) -> Completion:
        states = {c for _, c in self.items}
        if states <= {Completion.REPORTED, Completion.REPORTED_LATE}:
            return (
                Completion.REPORTED_LATE
                if Completion.REPORTED_LATE in states
                else Completion.REPORTED
            )
        return Completion.LATE if Completion.LATE in states else Completion.NOT_YET


@dataclass
class RoundStatus:
    round: ReportingRound
    entities: list[EntityProgress]

    @property
    def total(self) -> int:
        return sum(len(e.items) for e in self.entities)

    @property
    def reported(self) -> int:
        return sum(e.reported for e in self.entities)

    def waiting(self) -> list[EntityProgress]:
        return [e for e in self.entities if e.state in (Completion.NOT_YET, Completion.LATE)]


def round_status(session: so.Session, round_: ReportingRound, today: date) -> RoundStatus:
    items = session.scalars(
        sa.select(RoundItem)
        .where(RoundItem.round_id == round_.id)
        .options(
            so.joinedload(RoundItem.activity),
            so.joinedload(RoundItem.milestone),
            so.joinedload(RoundItem.entity),
        )
    ).all()
    by_entity: dict[int, EntityProgress] = {}
    for item in sorted(items, key=lambda i: (i.entity.acronym, i.sort_key)):
        progress = by_entity.setdefault(item.entity_id, EntityProgress(item.entity, []))
        progress.items.append((item, completion_of(item, round_.due_date, today)))
    return RoundStatus(round_, list(by_entity.values()))


def rounds_of(session: so.Session, group: WorkingGroup | None = None) -> list[ReportingRound]:
    return list(
        session.scalars(
            sa.select(ReportingRound)
            .where(*([ReportingRound.working_group_id == group.id] if group else []))
            .options(so.joinedload(ReportingRound.working_group))
            .order_by(ReportingRound.due_date.desc(), ReportingRound.id.desc())
        )
    )


def round_steps_due(round_: ReportingRound, today: date) -> str | None:
    """The chaser a round's open requests earn today, if any: before the due date at the
    group's lead times (the tightest reached, and none on or before the day it opened),
    and once after it ("chaser-after"). The request itself is sent when the round opens."""
    due = round_.due_date
    if today > due:
        return "chaser-after"
    reached = [d for d in round_.working_group.lead_days if due - timedelta(days=d) <= today]
    reached = [d for d in reached if due - timedelta(days=d) > round_.opened_on]
    return f"chaser-{min(reached)}" if reached else None


def lead_recipients(session: so.Session, entity: Entity) -> list[str]:
    """Who hears of an entity's requests: its active leads, or else its contact address."""
    people = session.scalars(
        sa.select(Person.email)
        .where(Person.entity_id == entity.id, Person.role == PersonRole.LEAD, Person.active)
        .order_by(Person.email)
    ).all()
    if people:
        return list(people)
    return [entity.contact_email] if entity.contact_email else []


def report_fields_from(values: Any, indicators: Iterable[Indicator]) -> ReportFields:
    """A report from form-like values (`getlist` for repeated fields): status, progress,
    milestone (repeated ids), actual-ID-value/-source/-note, risks, next_steps. Raises
    RoundError for a status or milestone that cannot be read."""
    try:
        status = Status.parse(values.get("status", ""))
    except ValueError as exc:
        raise RoundError(str(exc)) from None
    milestones = []
    for text in values.getlist("milestone"):
        if not str(text).isdigit():
            raise RoundError(f"milestone {text!r} is not a milestone id")
        milestones.append(int(text))
    actuals = [
        (
            i.id,
            values.get(f"actual-{i.id}-value", "").strip(),
            values.get(f"actual-{i.id}-source", "").strip(),
            values.get(f"actual-{i.id}-note", "").strip(),
        )
        for i in indicators
        if values.get(f"actual-{i.id}-value", "").strip()
    ]
    return ReportFields(
        status=status,
        progress=values.get("progress", ""),
        milestones=milestones,
        actuals=actuals,
        risks=values.get("risks", ""),
        next_steps=values.get("next_steps", ""),
    )


def draft_from(values: Any) -> dict[str, Any]:
    """What a half-filled form holds, kept as typed (a draft is not checked)."""
    return {
        "status": values.get("status", ""),
        "progress": values.get("progress", ""),
        "milestones": [v for v in values.getlist("milestone") if str(v).isdigit()],
        "actuals": {
            key: value for key, value in values.items() if key.startswith("actual-") and value
        },
        "risks": values.get("risks", ""),
        "next_steps": values.get("next_steps", ""),
    }


def rounds_coordinated_by(session: so.Session, person_id: int) -> list[ReportingRound]:
    """The rounds of the groups a person coordinates: their due dates go in the person's
    calendar feed."""
    person = session.get(Person, person_id)
    groups = [g.id for g in person.working_groups if coordinates(person, g)] if person else []
    if not groups:
        return []
    return list(
        session.scalars(
            sa.select(ReportingRound)
            .where(ReportingRound.working_group_id.in_(groups))
            .options(so.joinedload(ReportingRound.working_group))
            .order_by(ReportingRound.due_date, ReportingRound.id)
        )
    )


# --- the progress report --------------------------------------------------------------------

#: The report's sections in the GMG report's order, with the titles the documents use; each
#: may carry a coordinator's summary paragraph kept with the round.
REPORT_SECTIONS = {
    "objectives": "Objectives",
    "highlights": "Work programme highlights",
    "indicators": "Indicators",
    "findings": "Key findings and lessons learned",
    "risks": "Risks and dependencies",
    "outcomes": "Outcomes",
    "synergies": "Synergies with cross-cutting themes",
    "partners": "Partners",
    "next_steps": "Next steps",
}


@dataclass
class ReportedUpdate:
    when: date | None
    who: str
    status: Status
    note: str


@dataclass
class ActivityLine:
    activity: Activity
    leads: list[str]
    updates: list[ReportedUpdate]
    milestones_achieved: list[Milestone]
    themes: list[str]


@dataclass
class OutputHighlights:
    #: None: activities that serve no output.
    output: Result | None
    activities: list[ActivityLine]


@dataclass
class IndicatorLine:
    indicator: Indicator
    #: The latest actual up to the period's end, and the one in the period if any.
    actual: IndicatorActual | None
    in_period: bool

    @property
    def baseline(self) -> float | None:
        return _number(self.indicator.unit, self.indicator.baseline_value)

    @property
    def target(self) -> float | None:
        return _number(self.indicator.unit, self.indicator.target_value)

    @property
    def value(self) -> float | None:
        return _number(self.indicator.unit, self.actual.value) if self.actual else None


def _number(unit: str, text: str) -> float | None:
    try:
        return read_value(unit, text)
    except ValueError:
        return None


@dataclass
class NextStep:
    code: str
    title: str
    when: str
    source: str


@dataclass
class GroupMilestone:
    """A meeting or milestone of the group itself, as the report of a period names it."""

    item: Item
    #: A meeting held by the period's end (and by the day the report is written) whose report
    #: is not in yet.
    awaiting_report: bool
    updates: list[ReportedUpdate] = field(default_factory=list)

    @property
    def state(self) -> str:
        return "held, its report awaited" if self.awaiting_report else self.item.status.label


@dataclass
class ProgressReport:
    """What a progress report says, from the data alone; renderers only lay it out."""

    group: WorkingGroup
    start: date
    end: date
    round: ReportingRound | None
    objectives: list[str]
    highlights: list[OutputHighlights]
    #: The group's own meetings and milestones (of no activity) due in the period.
    group_milestones: list[GroupMilestone]
    indicators: list[IndicatorLine]
    findings: list[str]
    risks: list[Risk]
    outcomes: list[OutcomeView]
    synergies: list[tuple[GroupTheme, list[str]]]
    partners: list[str]
    next_steps: list[NextStep]

    @property
    def title(self) -> str:
        return f"{self.group.name}: progress report, {self.period}"

    @property
    def period(self) -> str:
        if self.round is not None:
            return self.round.label
        return f"{format_date(self.start)} to {format_date(self.end)}"

    def summary(self, section: str) -> str:
        return (self.round.summaries or {}).get(section, "").strip() if self.round else ""

    @property
    def status_counts(self) -> dict[Status, int]:
        counts: dict[Status, int] = {}
        for block in self.highlights:
            for line in block.activities:
                counts[line.activity.status] = counts.get(line.activity.status, 0) + 1
        return counts


def report_round(
    session: so.Session, group: WorkingGroup, start: date, end: date
) -> ReportingRound | None:
    """The round a report of this period belongs to: its summaries are the report's."""
    return session.scalar(
        sa.select(ReportingRound)
        .where(
            ReportingRound.working_group_id == group.id,
            ReportingRound.period_start == start,
            ReportingRound.period_end == end,
        )
        .order_by(ReportingRound.id.desc())
        .limit(1)
    )


def progress_report(
    session: so.Session, group: WorkingGroup, start: date, end: date, today: date | None = None
) -> ProgressReport:
    """A working group's progress report for a period, in the shape of the GMG report, written
    on `today` (by default the period's last day): a meeting after it is not said to be held."""
    if end < start:
        raise RoundError(
            f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})"
        )
    chain = results_chain(session, group)
    # the chain holds every activity of the group already; loading the period's again, with
    # their entities as objects, took two fifths of a report's time at 10,000 activities
    in_period = Activity.working_group_id == group.id, active_in_period(start, end)
    active = set(session.scalars(sa.select(Activity.id).where(*in_period)))
    activities = [a for a in chain.activities.values() if a.id in active]
    entities: dict[int, list[tuple[str, EntityRole]]] = {}
    for activity_id, acronym, role in session.execute(
        sa.select(ActivityEntity.activity_id, Entity.acronym, ActivityEntity.role)
        .join(Entity, Entity.id == ActivityEntity.entity_id)
        .join(Activity, Activity.id == ActivityEntity.activity_id)
        .where(*in_period)
        .order_by(ActivityEntity.activity_id, Entity.acronym)
    ):
        entities.setdefault(activity_id, []).append((acronym, role))
    # only the milestones achieved in the period: loading every milestone of every activity
    # to pick these cost most of a programme report's time at 10,000 activities
    achieved: dict[int, list[Milestone]] = {}
    for milestone in session.scalars(
        sa.select(Milestone)
        .where(
            Milestone.working_group_id == group.id,
            Milestone.activity_id.is_not(None),
            Milestone.status == Status.COMPLETED,
            Milestone.completed_on.between(start, end),
        )
        .order_by(Milestone.completed_on, Milestone.code)
    ):
        achieved.setdefault(milestone.activity_id, []).append(milestone)  # type: ignore[arg-type]
    updates = _updates_in(session, group, start, end)
    blocks: dict[int | None, OutputHighlights] = {}
    for view in chain.outcomes:
        for output in view.outputs:
            blocks[output.output.id] = OutputHighlights(output.output, [])
    for activity in activities:
        output = chain.output_of.get(activity.id)
        block = blocks.setdefault(output.id if output else None, OutputHighlights(output, []))
        block.activities.append(
            ActivityLine(
                activity,
                list(leads_of(entities.get(activity.id, []))),
                updates.get(activity.id, []),
                achieved.get(activity.id, []),
                [t.name for t in chain.themes_of.get(activity.id, [])],
            )
        )
    highlights = [b for k, b in blocks.items() if k is not None] + (
        [blocks[None]] if None in blocks else []
    )
    indicators = [_indicator_line(i, start, end) for i in chain.indicators]
    round_ = report_round(session, group, start, end)
    return ProgressReport(
        group=group,
        start=start,
        end=end,
        round=round_,
        objectives=chain.objectives,
        highlights=highlights,
        group_milestones=_group_milestones(session, group, start, end, today or end),
        indicators=indicators,
        findings=[f for line in indicators if (f := _finding(line))],
        risks=[r for r in chain.risks if r.raised_on is None or r.raised_on <= end],
        outcomes=[v for v in chain.outcomes if v.outcome is not None],
        synergies=[
            (
                s,
                [
                    a.code
                    for a_id, a in chain.activities.items()
                    if s.theme in chain.themes_of.get(a_id, [])
                ],
            )
            for s in chain.synergies
        ],
        partners=_partners(group, [entities.get(a.id, []) for a in activities]),
        next_steps=_next_steps(session, group, end, round_),
    )


def _group_milestones(
    session: so.Session, group: WorkingGroup, start: date, end: date, today: date
) -> list[GroupMilestone]:
    """The events of the period that belong to no activity (an expert group meeting, say),
    which the activities' highlights would leave out, with what was reported on them."""
    updates = _updates_in(session, group, start, end, Milestone)
    after = min(end, today) + timedelta(days=1)  # held by the period's end, and by today
    return [
        GroupMilestone(i, i.awaiting_report(after), updates.get(i.id, []))
        for i in group_events_due(session, group, start, end)
    ]


def _updates_in(
    session: so.Session,
    group: WorkingGroup,
    start: date,
    end: date,
    model: type[Activity] | type[Milestone] = Activity,
) -> dict[int, list[ReportedUpdate]]:
    """Per activity (or per milestone of the group's own), what was reported for the period:
    reports in the group's rounds of a period within it, and progress updates made during
    it."""
    round_entries = (
        sa.select(RoundItem.status_change_id)
        .join(ReportingRound, ReportingRound.id == RoundItem.round_id)
        .where(
            ReportingRound.working_group_id == group.id,
            ReportingRound.period_start >= start,
            ReportingRound.period_end <= end,
            RoundItem.status_change_id.is_not(None),
        )
    )
    begin = datetime.combine(start, time.min, UTC)
    finish = datetime.combine(end + timedelta(days=1), time.min, UTC)
    item_id = StatusChange.activity_id if model is Activity else StatusChange.milestone_id
    entries = session.scalars(
        sa.select(StatusChange)
        .join(model, model.id == item_id)
        .where(
            model.working_group_id == group.id,
            *([Milestone.activity_id.is_(None)] if model is Milestone else []),
            StatusChange.from_status.is_not(None),
            sa.or_(
                StatusChange.id.in_(round_entries),
                sa.and_(StatusChange.changed_at >= begin, StatusChange.changed_at < finish),
            ),
        )
        .order_by(StatusChange.id)
    )
    found: dict[int, list[ReportedUpdate]] = {}
    for entry in entries:
        key = entry.activity_id if model is Activity else entry.milestone_id
        assert key is not None
        found.setdefault(key, []).append(
            ReportedUpdate(entry.changed_at.date(), entry.actor, entry.to_status, entry.note)
        )
    return found


def _indicator_line(indicator: Indicator, start: date, end: date) -> IndicatorLine:
    known = [a for a in indicator.actuals if a.period_end is None or a.period_end <= end]
    latest = known[-1] if known else None
    in_period = bool(latest and latest.period_end and latest.period_end >= start)
    return IndicatorLine(indicator, latest, in_period)


def _finding(line: IndicatorLine) -> str | None:
    """What an indicator's figures say, in words, and only what they say."""
    indicator, actual = line.indicator, line.actual
    if actual is None or line.value is None:
        return None
    unit = (
        " percent"
        if indicator.unit.lower() in ("percent", "%", "percentage")
        else f" {indicator.unit}"
    )
    now = f"{actual.value}{unit} ({actual.period})"
    if line.baseline is None:
        return f"{indicator.name}: {now}."
    then = f"{indicator.baseline_value}{unit} ({indicator.baseline_when})"
    if line.value == line.baseline:
        moved = "unchanged at"
        return f"{indicator.name}: {moved} {now}."
    moved = "rose" if line.value > line.baseline else "fell"
    sentence = f"{indicator.name} {moved} from {then} to {now}"
    if line.target is not None:
        sentence += f"; the target is {indicator.target_value}{unit} ({indicator.target_when})"
    return sentence + "."


def _partners(
    group: WorkingGroup, activities_entities: list[list[tuple[str, EntityRole]]]
) -> list[str]:
    """The group's members and leads, then every other entity named on its activities."""
    names = [e.acronym for e in group.lead_entities] + [e.acronym for e in group.member_entities]
    for named in activities_entities:
        for acronym, _role in named:
            if acronym not in names:
                names.append(acronym)
    return names


def _next_steps(
    session: so.Session, group: WorkingGroup, end: date, round_: ReportingRound | None
) -> list[NextStep]:
    """What is due in the next period (as long as this one, at least three months), and the
    next steps leads reported."""
    steps: list[NextStep] = []
    if round_ is not None:
        for item in sorted(round_.items, key=lambda i: i.sort_key):
            text = (item.report or {}).get("next_steps", "").strip()
            if text:
                steps.append(
                    NextStep(item.subject.code, text, "", f"reported by {item.entity.acronym}")
                )
    horizon = end + timedelta(days=max(92, (end - (round_.period_start if round_ else end)).days))
    due = find_items(
        session,
        ItemFilter(
            working_group=group.short_name,
            due_from=end + timedelta(days=1),
            due_to=horizon,
            open_only=True,
        ),
        end,
    ).items
    steps += [NextStep(i.code, i.title, i.due_text, "due") for i in due]
    return steps


@dataclass
class GroupSummary:
    """One working group's line in the programme-wide report."""

    group: WorkingGroup
    status_counts: dict[Status, int]
    #: Items of the group's rounds in the period, and how many were reported by the due date.
    round_items: int
    on_time: int
    indicators: list[IndicatorLine]

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.round_items if self.round_items else None


@dataclass
class ProgrammeReport:
    start: date
    end: date
    groups: list[GroupSummary]
    #: Each group's full progress report: only for the documents, which print them all.
    reports: list[ProgressReport]

    @property
    def title(self) -> str:
        return f"Programme progress report, {format_date(self.start)} to {format_date(self.end)}"


def programme_report(
    session: so.Session, start: date, end: date, today: date, *, with_group_reports: bool = False
) -> ProgrammeReport:
    """The figures across every working group for the period, counted in SQL: building the
    25 group reports of a large programme to count their statuses took over a second."""
    if end < start:
        raise RoundError(
            f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})"
        )
    groups = session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.short_name)).all()
    counts: dict[int, dict[Status, int]] = {}
    for group_id, status, count in session.execute(
        sa.select(Activity.working_group_id, Activity.status, sa.func.count())
        .where(active_in_period(start, end))
        .group_by(Activity.working_group_id, Activity.status)
    ):
        counts.setdefault(group_id, {})[status] = count
    indicators: dict[int, list[IndicatorLine]] = {}
    for indicator in session.scalars(
        sa.select(Indicator)
        .join(Result, Result.id == Indicator.result_id)
        .options(so.contains_eager(Indicator.result), so.selectinload(Indicator.actuals))
        .order_by(Result.sort_key, Indicator.sort_key)
    ):
        line = _indicator_line(indicator, start, end)
        indicators.setdefault(indicator.result.working_group_id, []).append(line)
    round_items: dict[int, list[tuple[RoundItem, date]]] = {}
    for round_ in session.scalars(
        sa.select(ReportingRound)
        .where(ReportingRound.period_start >= start, ReportingRound.period_end <= end)
        .options(so.selectinload(ReportingRound.items))
    ):
        round_items.setdefault(round_.working_group_id, []).extend(
            (i, round_.due_date) for i in round_.items
        )
    summaries = []
    for group in groups:
        items = round_items.get(group.id, [])
        on_time = sum(1 for i, due in items if completion_of(i, due, today) == Completion.REPORTED)
        summaries.append(
            GroupSummary(
                group, counts.get(group.id, {}), len(items), on_time, indicators.get(group.id, [])
            )
        )
    reports = (
        [progress_report(session, g, start, end, today) for g in groups]
        if with_group_reports
        else []
    )
    return ProgrammeReport(start, end, summaries, reports)
