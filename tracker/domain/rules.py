"""What open, due, overdue and upcoming mean: each rule written once, for Python and SQL alike.

A rule is a function of a `Logic` and the values it reads. `PY` evaluates it on values (an
`Item`, a row of a page); `SQL` builds it on columns, so a query filters with the very
definition a page shows. The rules:

* **open**: neither completed nor cancelled;
* **due**: an activity on its planned end; a milestone on its `due_date`, which is a
  meeting's first day and a deliverable's or deadline's last (`milestone_due`);
* **a repeating item is never overdue**: its occurrences carry no status of their own;
* **overdue**: open, not repeating, and due before today;
* **upcoming**: open and due from today to `UPCOMING_DAYS` (or N) days ahead;
* **a past meeting awaits its report**: an open, non-repeating meeting whose last day has
  passed is said to be past and waiting for its report, not late as a deliverable is;
* **a milestone belongs to its activity**, or, without one, to its working group: it takes
  its entities and leads from there, unless the workplan names entities for the milestone
  itself (`milestone_entities`, `entity_alternatives`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from tracker.models import (
    CLOSED_STATUSES,
    LEADING_ROLES,
    Activity,
    ActivityEntity,
    EntityRole,
    GroupRole,
    Milestone,
    MilestoneEntity,
    MilestoneKind,
    Status,
    WorkingGroupEntity,
)

#: How far ahead "upcoming" and "due soon" look, in days.
UPCOMING_DAYS = 30

#: The role an entity of a working group takes on a milestone that belongs to the group.
ROLE_FROM_GROUP: dict[GroupRole, EntityRole] = {
    GroupRole.LEAD: EntityRole.LEAD,
    GroupRole.MEMBER: EntityRole.MEMBER,
}

Model = type[Activity] | type[Milestone]


class Logic(Protocol):
    """The few operations the rules are written in."""

    def all(self, *terms: Any) -> Any: ...
    def is_none(self, value: Any) -> Any: ...
    def is_not_none(self, value: Any) -> Any: ...
    def not_in(self, value: Any, choices: Iterable[Any]) -> Any: ...
    def before(self, value: Any, day: date) -> Any: ...
    def between(self, value: Any, start: date, end: date) -> Any: ...


class _Python:
    """Values; a missing date is before nothing and within nothing, as NULL is in SQL."""

    def all(self, *terms: Any) -> bool:
        return all(terms)

    def is_none(self, value: Any) -> bool:
        return value is None

    def is_not_none(self, value: Any) -> bool:
        return value is not None

    def not_in(self, value: Any, choices: Iterable[Any]) -> bool:
        return value not in choices

    def before(self, value: date | None, day: date) -> bool:
        return value is not None and value < day

    def between(self, value: date | None, start: date, end: date) -> bool:
        return value is not None and start <= value <= end


class _Sql:
    def all(self, *terms: Any) -> sa.ColumnElement[bool]:
        return sa.and_(*terms)

    def is_none(self, value: Any) -> sa.ColumnElement[bool]:
        return value.is_(None)  # type: ignore[no-any-return]

    def is_not_none(self, value: Any) -> sa.ColumnElement[bool]:
        return value.is_not(None)  # type: ignore[no-any-return]

    def not_in(self, value: Any, choices: Iterable[Any]) -> sa.ColumnElement[bool]:
        return value.not_in(list(choices))  # type: ignore[no-any-return]

    def before(self, value: Any, day: date) -> sa.ColumnElement[bool]:
        return value < day  # type: ignore[no-any-return]

    def between(self, value: Any, start: date, end: date) -> sa.ColumnElement[bool]:
        return sa.and_(value >= start, value <= end)


PY: Logic = _Python()
SQL: Logic = _Sql()


# --- the rules, once ------------------------------------------------------------------------


def open_rule(logic: Logic, status: Any) -> Any:
    return logic.not_in(status, CLOSED_STATUSES)


def repeats_rule(logic: Logic, recurrence: Any) -> Any:
    """A repeating item: its occurrences are placed from its rule, and it is never overdue."""
    return logic.is_not_none(recurrence)


def overdue_rule(logic: Logic, status: Any, recurrence: Any, due: Any, today: date) -> Any:
    return logic.all(open_rule(logic, status), logic.is_none(recurrence), logic.before(due, today))


def due_within_rule(logic: Logic, status: Any, due: Any, start: date, end: date) -> Any:
    """Open and due from `start` to `end` (both included): "upcoming" is this from today."""
    return logic.all(open_rule(logic, status), logic.between(due, start, end))


def upcoming_window(today: date, days: int = UPCOMING_DAYS) -> tuple[date, date]:
    """The days "upcoming" covers: from today to `days` days ahead."""
    return today, today + timedelta(days=days)


# --- in Python ------------------------------------------------------------------------------


def is_open(status: Status) -> bool:
    return bool(open_rule(PY, status))


def is_overdue(status: Status, recurrence: str | None, due: date | None, today: date) -> bool:
    return bool(overdue_rule(PY, status, recurrence, due, today))


def awaits_report(
    status: Status,
    milestone_kind: MilestoneKind | None,
    recurrence: str | None,
    last_day: date | None,
    today: date,
) -> bool:
    return (
        milestone_kind == MilestoneKind.MEETING
        and is_open(status)
        and recurrence is None
        and last_day is not None
        and last_day < today
    )


def is_upcoming(status: Status, due: date | None, today: date, days: int = UPCOMING_DAYS) -> bool:
    return bool(due_within_rule(PY, status, due, *upcoming_window(today, days)))


def due_of(row: Activity | Milestone) -> date | None:
    """The day a stored activity or milestone is due."""
    return row.planned_end if isinstance(row, Activity) else row.due_date


def row_is_overdue(row: Activity | Milestone, today: date) -> bool:
    """`is_overdue` for a stored activity or milestone (the item pages ask it)."""
    return is_overdue(row.status, row.recurrence, due_of(row), today)


def milestone_due(kind: MilestoneKind | None, start: date | None, end: date | None) -> date | None:
    """Meetings are due when they begin; deliverables and deadlines when their period ends."""
    if kind == MilestoneKind.MEETING:
        return start or end
    return end or start


def milestone_entities(
    own: tuple[tuple[str, EntityRole], ...],
    activity_id: int | None,
    activity_entities: tuple[tuple[str, EntityRole], ...],
    group_entities: Iterable[tuple[str, GroupRole]],
) -> tuple[tuple[str, EntityRole], ...]:
    """A milestone's entities: its own where the workplan names them; else its activity's,
    or, without one, its working group's."""
    if own:
        return tuple(sorted(own))
    if activity_id is not None:
        return tuple(sorted(activity_entities))
    return tuple(sorted((acronym, ROLE_FROM_GROUP[role]) for acronym, role in group_entities))


def leads_of(entities: Iterable[tuple[str, EntityRole]]) -> tuple[str, ...]:
    """The acronyms of the entities that lead (lead, co-lead or co-organizer)."""
    return tuple(sorted(acronym for acronym, role in entities if role in LEADING_ROLES))


# --- in SQL ---------------------------------------------------------------------------------


def due_column(model: Model) -> sa.ColumnElement[date | None]:
    return Activity.planned_end if model is Activity else Milestone.due_date  # type: ignore[return-value]


def open_condition(model: Model) -> sa.ColumnElement[bool]:
    return open_rule(SQL, model.status)  # type: ignore[no-any-return]


def overdue_condition(model: Model, today: date) -> sa.ColumnElement[bool]:
    return overdue_rule(SQL, model.status, model.recurrence, due_column(model), today)  # type: ignore[no-any-return]


def due_within_condition(model: Model, start: date, end: date) -> sa.ColumnElement[bool]:
    return due_within_rule(SQL, model.status, due_column(model), start, end)  # type: ignore[no-any-return]


def entity_alternatives(
    model: Model, entity_id: int | sa.ScalarSelect[int | None], *, leading_only: bool
) -> list[sa.ColumnElement[bool]]:
    """The disjoint ways an item involves the entity, as `milestone_entities` says: an activity
    through its own entities; a milestone through its own, or if it names none through its
    activity's, or if it has no activity through its working group's."""
    roles = LEADING_ROLES if leading_only else frozenset(EntityRole)
    activities = sa.select(ActivityEntity.activity_id).where(
        ActivityEntity.entity_id == entity_id, ActivityEntity.role.in_(roles)
    )
    if model is Activity:
        return [Activity.id.in_(activities)]
    group_roles = {g for g, role in ROLE_FROM_GROUP.items() if role in roles}
    groups = sa.select(WorkingGroupEntity.working_group_id).where(
        WorkingGroupEntity.entity_id == entity_id, WorkingGroupEntity.role.in_(group_roles)
    )
    own = sa.select(MilestoneEntity.milestone_id).where(
        MilestoneEntity.entity_id == entity_id, MilestoneEntity.role.in_(roles)
    )
    inherits = Milestone.id.not_in(sa.select(MilestoneEntity.milestone_id))
    return [
        Milestone.id.in_(own),
        sa.and_(inherits, Milestone.activity_id.in_(activities)),
        sa.and_(inherits, Milestone.activity_id.is_(None), Milestone.working_group_id.in_(groups)),
    ]
