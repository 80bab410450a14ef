"""The dashboards' tallies: per working group and status, overdue and due soon, counted with
the item query's own conditions, so that every card's count is the total of the list it links
to; kept per content state, since most requests come while nothing changed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.domain import rules
from tracker.domain.item import ItemPage
from tracker.domain.items import (
    Lookups,
    Placed,
    first_items,
    item_conditions,
    kinds_of,
    outlines,
    resolve_names,
    window_conditions,
)
from tracker.domain.query import ItemFilter
from tracker.domain.recurrence import occurrences_in
from tracker.domain.remembered import RememberedAtState
from tracker.domain.rules import UPCOMING_DAYS
from tracker.models import (
    Entity,
    Status,
    WorkingGroup,
)


@dataclass
class DashboardCounts:
    """What a dashboard tallies, per working group (short name)."""

    #: Items matching the filter per status; a recurring item once, or once per occurrence
    #: in the filter's window if it has one.
    by_status: dict[str, dict[Status, int]]
    #: Of those (without a window), how many are overdue, and how many open ones are due in
    #: the next `UPCOMING_DAYS` days, occurrences of recurring items included.
    overdue: dict[str, int]
    due_soon: dict[str, int]
    #: Of those, how many open ones a given entity leads (see `dashboard`).
    led: int | None = None


@dataclass
class Dashboard:
    """A dashboard's tallies and the first items of its overdue and upcoming sections."""

    counts: DashboardCounts
    #: `find_items` pages, their totals taken from `counts`; each page's `filter` is the
    #: query its card links to.
    overdue: ItemPage
    upcoming: ItemPage
    #: The query behind `counts.led` (the open items the leader leads), if there is a leader.
    led: ItemFilter | None = None

    def by_status(self, status: Status) -> ItemFilter:
        """The query behind a card counting one status."""
        return replace(self.overdue.filter, overdue=False, statuses=frozenset({status}))


def dashboard(
    session: so.Session,
    today: date,
    *,
    working_group: WorkingGroup | None,
    size: int,
    leader: Entity | None = None,
    soon_days: int = UPCOMING_DAYS,
) -> Dashboard:
    """What the dashboard of a working group (or of all) shows, each number counted once.

    The same as `dashboard_counts`, then `find_items` with `overdue` and with the next
    `soon_days` days of open items (the first `size` of each), and, as `counts.led`, the total
    of `find_items` for the open items `leader` leads. But names and small tables are read
    once, the sections' totals are the tallies', and the occurrences of recurring items due
    soon are placed once for both the tally and the section.
    """
    # no window: a recurring item counts once
    flt = ItemFilter(working_group=working_group.short_name if working_group else None)
    wg_id = working_group.id if working_group else None
    counts, soon_placed = _remembered_tally(
        session, flt, today, soon_days, wg_id, leader.id if leader else None
    )
    lookups = Lookups.load(session)
    late = replace(flt, overdue=True)
    soon = replace(flt, upcoming=soon_days)
    first_late, _ = first_items(session, late, today, wg_id, None, lookups, size)
    first_soon, _ = first_items(
        session, soon.on(today), today, wg_id, None, lookups, size, soon_placed
    )
    led = (
        None
        if leader is None
        else replace(flt, entity=leader.acronym, leading_only=True, open_only=True)
    )
    return Dashboard(
        counts,
        ItemPage(first_late, sum(counts.overdue.values()), late),
        ItemPage(first_soon, sum(counts.due_soon.values()), soon),
        led,
    )


def dashboard_counts(
    session: so.Session, flt: ItemFilter, today: date, soon_days: int = UPCOMING_DAYS
) -> DashboardCounts:
    """The dashboard's tallies: one statement counts them all, then the recurring items.

    They agree with `find_items`: by status with `flt`, overdue with `flt` and `overdue`, due
    soon with `flt` and the next `soon_days` days of open items.
    """
    return _tally(session, flt, today, soon_days, *resolve_names(session, flt))[0]


def _tally(
    session: so.Session,
    flt: ItemFilter,
    today: date,
    soon_days: int,
    wg_id: int | None,
    entity_id: int | None,
    leader_id: int | None = None,
) -> tuple[DashboardCounts, Placed]:
    """`dashboard_counts`, with the items `leader_id` leads (only without a window), and the
    occurrences due soon it placed."""
    assert leader_id is None or not flt.windowed, "led items are counted as rows, without a window"
    counts = DashboardCounts({}, {}, {}, None if leader_id is None else 0)
    soon = replace(flt, upcoming=soon_days).on(today)
    soon_span = rules.upcoming_window(today, soon_days)
    per_group = {"late": counts.overdue, "soon": counts.due_soon}

    def add(measure: str, group: str, status: Status, count: int) -> None:
        by_status = counts.by_status.get(group)
        if by_status is None:
            by_status = counts.by_status[group] = dict.fromkeys(Status, 0)
        if measure == "all":
            by_status[status] += count
        elif measure == "led":
            counts.led = (counts.led or 0) + count
        else:
            per_group[measure][group] = per_group[measure].get(group, 0) + count

    kinds = kinds_of(flt)
    counted: list[sa.Select[Any]] = []
    for model in kinds:
        once = [
            *item_conditions(model, flt, wg_id, entity_id),
            *window_conditions(model, flt, today),
        ]
        if flt.windowed:
            once.append(model.recurrence.is_(None))
        # a grouped count per measure, its condition in WHERE: each reads a range of the group
        # index alone, where one pass with a CASE per measure evaluated them on every row
        measures = [
            ("all", once),
            ("late", [*once, rules.overdue_condition(model, today)]),
            (
                "soon",
                [*once, model.recurrence.is_(None), rules.due_within_condition(model, *soon_span)],
            ),
        ]
        if leader_id is not None:  # without a window a recurring item counts once, as a row
            mine = replace(flt, leading_only=True, open_only=True)
            # one count per disjoint way of being led: each reads an index, where their OR
            # made PostgreSQL scan every milestone
            measures += [
                ("led", [*item_conditions(model, mine, wg_id, None), alternative])
                for alternative in rules.entity_alternatives(model, leader_id, leading_only=True)
            ]
        for measure, where in measures:
            counted.append(
                sa.select(
                    sa.literal_column(f"'{measure}'").label("measure"),
                    model.working_group_id.label("group_id"),
                    model.status.label("status"),
                    sa.func.count().label("n"),
                )
                .where(*where)
                .group_by(model.working_group_id, model.status)
            )
    if counted:
        union = sa.union_all(*counted).subquery()
        for measure, group, status, n in session.execute(
            sa.select(union.c.measure, WorkingGroup.short_name, union.c.status, union.c.n).join(
                WorkingGroup, WorkingGroup.id == union.c.group_id
            )
        ):
            add(measure, group, status, n)
    placed: Placed = {model: [] for model in kinds}
    if flt.overdue:  # a recurring item is never overdue
        return counts, placed
    for model in kinds:
        for series in outlines(session, model, item_conditions(model, flt, wg_id, entity_id)):
            group = series.working_group
            if flt.windowed:
                for found in occurrences_in(series, flt, today):
                    add("all", group, found.status, 1)
            if series.is_open:
                due_soon = occurrences_in(series, soon, today)
                placed[model].extend(due_soon)
                add("soon", group, series.status, len(due_soon))
    return counts, placed


#: The dashboards' tallies by day, window, group and leader; up to so many told apart at one
#: content state (groups and all, times leading entities).
_TALLIES: RememberedAtState[tuple[DashboardCounts, Placed]] = RememberedAtState(1024)


def _remembered_tally(
    session: so.Session,
    flt: ItemFilter,
    today: date,
    soon_days: int,
    wg_id: int | None,
    leader_id: int | None,
) -> tuple[DashboardCounts, Placed]:
    """`_tally`, counted once per content state: counting reads every row (tens of ms on
    PostgreSQL at 50,000 milestones), and most requests come while nothing changed."""
    found = _TALLIES.get(
        session,
        (today, soon_days, wg_id, leader_id),
        lambda: _tally(session, flt, today, soon_days, wg_id, None, leader_id),
    )
    counts, placed = found
    # copies: the caller may change what it is given
    return replace(
        counts,
        by_status={group: dict(n) for group, n in counts.by_status.items()},
        overdue=dict(counts.overdue),
        due_soon=dict(counts.due_soon),
    ), {model: list(items) for model, items in placed.items()}
