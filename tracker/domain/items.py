"""Items as the front ends see them, and `find_items`, which every one of them asks.

Pages, the API, the bot, the reminders and the feeds each build an `ItemFilter`
(`tracker.domain.query`) and ask `find_items`; what due, open, overdue and upcoming mean is
`tracker.domain.rules`', applied here in SQL and to the rows read. Recurring items expand
into their occurrences (or, for calendar feeds, stay one series). The dashboards' tallies
count with the same conditions.
"""

from __future__ import annotations

import calendar
import functools
import heapq
import weakref
from collections import namedtuple
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rruleset, rrulestr

from tracker.domain import rules
from tracker.domain.entities import EntityDirectory, resolve_working_group
from tracker.domain.query import ItemFilter, ItemKind
from tracker.domain.rules import UPCOMING_DAYS, due_column, milestone_due
from tracker.domain.search import matches_word
from tracker.domain.themes import activities_with_themes
from tracker.models import (
    Activity,
    ActivityEntity,
    Entity,
    EntityRole,
    GroupRole,
    Milestone,
    MilestoneKind,
    Person,
    Status,
    WorkingGroup,
    WorkingGroupEntity,
    has_uncommitted_content,
    person_working_group,
    read_content_state,
)
from tracker.timeline import Precision, Timeline, format_date, format_span


@dataclass(frozen=True)
class Item:
    """An activity or milestone as every front end shows it; an occurrence of a recurring one
    carries that occurrence's dates."""

    kind: ItemKind
    id: int
    uid: str
    code: str
    title: str
    description: str
    working_group: str
    working_group_name: str
    status: Status
    due: date | None
    start: date | None
    end: date | None
    start_precision: Precision | None
    end_precision: Precision | None
    ongoing: bool
    #: As written: an activity's timeline or a milestone's date.
    timeline_text: str
    #: Acronyms of the entities that lead it.
    leads: tuple[str, ...]
    #: (acronym, role) of every entity named on it.
    entities: tuple[tuple[str, EntityRole], ...]
    parent_code: str | None
    recurrence: str | None
    version: int
    updated_at: datetime
    milestone_kind: MilestoneKind | None = None
    location: str = ""
    start_time: time | None = None
    end_time: time | None = None
    timezone: str | None = None
    #: True for one occurrence of a recurring item.
    occurrence: bool = False
    #: Where `leads` come from when the item names none itself (a milestone): "activity 37",
    #: "working group EGMS"; None when they are its own.
    leads_from: str | None = None
    working_group_id: int = 0
    #: The code as lists order it: an activity's `sort_key` ("3.2" before "3.10").
    sort_code: str = ""

    @property
    def due_precision(self) -> Precision | None:
        if self.kind == "milestone" and self.milestone_kind == MilestoneKind.MEETING:
            return self.start_precision
        return self.end_precision

    @property
    def due_text(self) -> str:
        """The due date as a person writes it: "June 2020", "20 January 2020"."""
        if self.due is None:
            return "no date"
        return format_date(self.due, self.due_precision)

    @property
    def when(self) -> str:
        """The whole span as a person writes it: "20-21 January 2020"."""
        return format_span(
            self.start, self.end, self.start_precision, self.end_precision, ongoing=self.ongoing
        )

    @property
    def is_open(self) -> bool:
        return rules.is_open(self.status)

    def is_overdue(self, today: date) -> bool:
        return rules.is_overdue(self.status, self.recurrence, self.due, today)

    def is_upcoming(self, today: date, days: int = UPCOMING_DAYS) -> bool:
        return rules.is_upcoming(self.status, self.due, today, days)

    def awaiting_report(self, today: date) -> bool:
        return rules.awaits_report(
            self.status,
            self.milestone_kind if self.kind == "milestone" else None,
            self.recurrence,
            self.end or self.start,
            today,
        )


@dataclass
class ItemPage:
    items: list[Item]
    #: How many items match in all, of which `items` holds the first `limit`.
    total: int
    filter: ItemFilter = field(default_factory=ItemFilter)


def find_items(
    session: so.Session,
    flt: ItemFilter,
    today: date,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> ItemPage:
    """Items matching `flt`, soonest due first (undated last), with how many match in all:
    the `limit` from `offset` on (a list's page), or all.

    The query count does not depend on the amount of data: the small tables (groups, entities)
    once, then per kind one query for the rows, one for their entities, one for the total when
    `limit` cuts, and two for recurring items. Rows are read as plain rows, not ORM objects:
    a feed or a reminder scan reads tens of thousands of them.
    """
    query, flt = flt, flt.on(today)
    wg_id, entity_id = _resolve_names(session, flt)
    if offset and limit is not None:
        return _page(session, query, flt, today, wg_id, entity_id, limit, offset)
    # a text search scans every row whatever the order: its row query counts them on the way,
    # where a separate count would scan them again; other filters count from an index
    counted: list[int] | None = [] if flt.text and limit is not None else None
    items, occurrences = _first(
        session, flt, today, wg_id, entity_id, _Lookups.load(session), limit, counted=counted
    )
    if limit is None:
        return ItemPage(items, len(items), query)
    if counted is not None:
        return ItemPage(items, sum(counted) + occurrences, query)
    # counted whether or not the page is full: the same queries always
    total = _count_once(session, flt, today, wg_id, entity_id) + occurrences
    return ItemPage(items, total, query)


def _page(
    session: so.Session,
    query: ItemFilter,
    flt: ItemFilter,
    today: date,
    wg_id: int | None,
    entity_id: int | None,
    limit: int,
    offset: int,
) -> ItemPage:
    """A later page of `find_items`, cut by SQL: one statement over both kinds orders the rows
    that do not recur by `_sort_key` and skips to the page with OFFSET.

    The occurrences of recurring items are placed in Python (they are few), so the page may
    hold some of them: with `m` occurrences in all, the rows from `offset - m` on are enough,
    and the first of them says how many occurrences come before it.
    """
    models = _models(flt)
    lookups = _Lookups.load(session)
    placed: dict[type[Activity] | type[Milestone], list[Item]] = {}
    for model in models:  # a recurring item is never overdue
        base = _conditions(model, flt, wg_id, entity_id)
        placed[model] = [] if flt.overdue else _placed(session, model, base, flt, today)
    occurrences = sorted(
        ((_sort_key(o), o) for found in placed.values() for o in found), key=lambda pair: pair[0]
    )
    legs = [
        sa.select(
            due_column(model).label("due"),
            model.working_group_id.label("group_id"),
            _sort_code(model).label("code"),
            sa.literal("activity" if model is Activity else "milestone").label("kind"),
            model.id.label("id"),
        ).where(*_once(model, flt, today, wg_id, entity_id))
        for model in models
    ]
    rows = (sa.union_all(*legs) if len(legs) > 1 else legs[0]).subquery()
    start = max(0, offset - len(occurrences))
    wanted = offset + limit - start
    keys = [
        (due is None, due or date.max, group, code, kind, id_)
        for due, group, code, kind, id_ in session.execute(
            sa.select(rows)
            .order_by(
                rows.c.due.is_(None),
                rows.c.due,
                rows.c.group_id,
                rows.c.code,
                rows.c.kind,
                rows.c.id,
            )
            .offset(start)
            .limit(wanted)
        )
    ]
    total = _count_once(session, flt, today, wg_id, entity_id) + len(occurrences)
    if not keys and start:  # every row and occurrence comes before the page
        return ItemPage([], total, query)
    before = sum(1 for key, _ in occurrences if keys and key < keys[0]) if start else 0
    merged: list[tuple[Any, Item | None]] = list(
        heapq.merge(((k, None) for k in keys), occurrences[before:], key=lambda pair: pair[0])
    )
    if len(keys) == wanted:  # rows go on past the last one read: what follows it is unknown
        last = max(i for i, (_, o) in enumerate(merged) if o is None)
        merged = merged[: last + 1]
    chosen = merged[offset - start - before :][:limit]
    whole: dict[tuple[str, int], Item] = {}
    for model in models:
        kind = "activity" if model is Activity else "milestone"
        ids = {key[5] for key, o in chosen if key[4] == kind}
        for item in _rows(session, model, [model.id.in_(ids)], lookups):
            whole[kind, item.id] = item
    items = [
        whole[key[4], key[5]] if o is None else _with_timing(whole[key[4], key[5]], o)
        for key, o in chosen
    ]
    return ItemPage(items, total, query)


@dataclass
class ItemIds:
    """The first items `find_items` finds, as (kind, id), soonest due first; an item recurring
    within them once per occurrence. `total` is `find_items`' total."""

    ids: list[tuple[ItemKind, int]]
    total: int


def find_item_ids(session: so.Session, flt: ItemFilter, today: date, *, limit: int) -> ItemIds:
    """The ids and total of what `find_items` finds, for a caller that reads its own columns
    of the items (the timeline): the same filters, order and total, but per kind only a few
    columns of the first rows, with no entities and no whole rows of recurring items."""
    flt = flt.on(today)
    wg_id, entity_id = _resolve_names(session, flt)
    pages: list[list[tuple[Any, ...]]] = []
    total = 0
    for model in _models(flt):
        kind: ItemKind = "activity" if model is Activity else "milestone"
        once = _once(model, flt, today, wg_id, entity_id)
        due = due_column(model)
        columns = [model.id, due, model.working_group_id, _sort_code(model)]
        if flt.text:  # counted on the way, as `find_items` does
            columns.append(sa.func.count().over())
        rows = session.execute(
            sa.select(*columns).where(*once).order_by(*_order(model, flt)).limit(limit)
        ).all()
        if flt.text:
            total += rows[0][-1] if rows else 0
        else:
            total += session.scalar(sa.select(sa.func.count()).select_from(model).where(*once)) or 0
        keyed = [
            (d is None, d or date.max, group, code, kind, id_) for id_, d, group, code, *_ in rows
        ]
        placed: list[Item] = []
        if not flt.overdue:  # a recurring item is never overdue
            placed = _placed(session, model, _conditions(model, flt, wg_id, entity_id), flt, today)
        total += len(placed)
        occurrences = sorted(_sort_key(o) for o in placed)
        pages.append(list(heapq.merge(keyed, occurrences[:limit]))[:limit])
    first = list(heapq.merge(*pages))[:limit]
    return ItemIds([(k[4], k[5]) for k in first], total)


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
    lookups = _Lookups.load(session)
    late = replace(flt, overdue=True)
    soon = replace(flt, upcoming=soon_days)
    first_late, _ = _first(session, late, today, wg_id, None, lookups, size)
    first_soon, _ = _first(session, soon.on(today), today, wg_id, None, lookups, size, soon_placed)
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
    return _tally(session, flt, today, soon_days, *_resolve_names(session, flt))[0]


#: Per kind, the occurrences of its open recurring items due soon, as `_placed` finds them.
_Placed = dict[type[Activity] | type[Milestone], list[Item]]


def _tally(
    session: so.Session,
    flt: ItemFilter,
    today: date,
    soon_days: int,
    wg_id: int | None,
    entity_id: int | None,
    leader_id: int | None = None,
) -> tuple[DashboardCounts, _Placed]:
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

    kinds = _models(flt)
    counted: list[sa.Select[Any]] = []
    for model in kinds:
        once = [*_conditions(model, flt, wg_id, entity_id), *_window_conditions(model, flt, today)]
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
                ("led", [*_conditions(model, mine, wg_id, None), alternative])
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
    placed: _Placed = {model: [] for model in kinds}
    if flt.overdue:  # a recurring item is never overdue
        return counts, placed
    for model in kinds:
        for series in _outlines(session, model, _conditions(model, flt, wg_id, entity_id)):
            group = series.working_group
            if flt.windowed:
                for found in _occurrences_in(series, flt, today):
                    add("all", group, found.status, 1)
            if series.is_open:
                due_soon = _occurrences_in(series, soon, today)
                placed[model].extend(due_soon)
                add("soon", group, series.status, len(due_soon))
    return counts, placed


#: Per database, the dashboards' tallies counted at its current content state (version and
#: when it moved, so a restored database cannot match tallies of another past), by day,
#: window, group and leader.
_TALLIES: weakref.WeakKeyDictionary[
    sa.Engine, dict[tuple[Any, ...], tuple[DashboardCounts, _Placed]]
]
_TALLIES = weakref.WeakKeyDictionary()
#: Dashboards told apart at one content state: groups (and all) times leading entities.
_TALLIES_KEPT = 1024


def _remembered_tally(
    session: so.Session,
    flt: ItemFilter,
    today: date,
    soon_days: int,
    wg_id: int | None,
    leader_id: int | None,
) -> tuple[DashboardCounts, _Placed]:
    """`_tally`, counted once per content state: counting reads every row (tens of ms on
    PostgreSQL at 50,000 milestones), and most requests come while nothing changed.

    Exact: a tally is kept only if the content state read before it is still the one read
    after it, so every statement between saw that one state, also where each statement has
    its own snapshot (PostgreSQL's READ COMMITTED). A session whose transaction changed the
    workplan without committing counts for itself alone.
    """
    state = read_content_state(session)  # first: autoflush notes the session's own changes
    if has_uncommitted_content(session):
        return _tally(session, flt, today, soon_days, wg_id, None, leader_id)
    kept = _TALLIES.setdefault(session.get_bind().engine, {})
    key = (state, today, soon_days, wg_id, leader_id)
    found = kept.get(key)
    if found is None:
        found = _tally(session, flt, today, soon_days, wg_id, None, leader_id)
        if read_content_state(session) == state:
            if len(kept) >= _TALLIES_KEPT or any(other[0] != state for other in kept):
                kept.clear()
            kept[key] = found
    counts, placed = found
    # copies: the caller may change what it is given
    return replace(
        counts,
        by_status={group: dict(n) for group, n in counts.by_status.items()},
        overdue=dict(counts.overdue),
        due_soon=dict(counts.due_soon),
    ), {model: list(items) for model, items in placed.items()}


def _resolve_names(session: so.Session, flt: ItemFilter) -> tuple[int | None, int | None]:
    wg_id = resolve_working_group(session, flt.working_group).id if flt.working_group else None
    entity_id = EntityDirectory.load(session).resolve(flt.entity).id if flt.entity else None
    return wg_id, entity_id


def overdue(session: so.Session, today: date, flt: ItemFilter | None = None) -> ItemPage:
    return find_items(session, replace(flt or ItemFilter(), overdue=True), today)


def due_between(
    session: so.Session, start: date, end: date, today: date, flt: ItemFilter | None = None
) -> ItemPage:
    return find_items(session, replace(flt or ItemFilter(), due_from=start, due_to=end), today)


def upcoming(
    session: so.Session, today: date, days: int = UPCOMING_DAYS, flt: ItemFilter | None = None
) -> ItemPage:
    flt = replace(flt or ItemFilter(), open_only=True)
    return due_between(session, today, today + timedelta(days=days), today, flt)


def _sort_key(item: Item) -> tuple[bool, date, int, str, str, int]:
    """The order of every list, soonest due first, undated last; `_order` in SQL."""
    return (
        item.due is None,
        item.due or date.max,
        item.working_group_id,
        item.sort_code,
        item.kind,
        item.id,
    )


def _sort_code(model: type[Activity] | type[Milestone]) -> sa.ColumnElement[str]:
    return Activity.sort_key if model is Activity else Milestone.code  # type: ignore[return-value]


# --- the queries ----------------------------------------------------------------------------


def _conditions(
    model: type[Activity] | type[Milestone],
    flt: ItemFilter,
    wg_id: int | None,
    entity_id: int | None,
) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if wg_id is not None:
        conditions.append(model.working_group_id == wg_id)
    if flt.statuses:
        conditions.append(model.status.in_(flt.statuses))
    if flt.open_only or flt.overdue:
        conditions.append(rules.open_condition(model))
    if flt.code:
        conditions.append(sa.func.lower(model.code) == flt.code.strip().lower())
    conditions += [matches_word(model, word) for word in (flt.text or "").split()]
    ids = flt.activity_ids if model is Activity else flt.milestone_ids
    if ids is not None:
        conditions.append(model.id.in_(ids))
    if flt.themes:
        themed = activities_with_themes(flt.themes)
        column = model.id if model is Activity else model.activity_id
        conditions.append(column.in_(themed))
    if entity_id is not None:
        conditions.append(_entity_condition(model, flt, entity_id))
    if flt.person_id is not None:
        conditions.append(_person_condition(model, flt, flt.person_id))
    return conditions


def _person_condition(
    model: type[Activity] | type[Milestone], flt: ItemFilter, person_id: int
) -> sa.ColumnElement[bool]:
    groups = sa.select(person_working_group.c.working_group_id).where(
        person_working_group.c.person_id == person_id
    )
    entity = sa.select(Person.entity_id).where(Person.id == person_id).scalar_subquery()
    return sa.or_(model.working_group_id.in_(groups), _entity_condition(model, flt, entity))


def _entity_condition(
    model: type[Activity] | type[Milestone],
    flt: ItemFilter,
    entity_id: int | sa.ScalarSelect[int | None],
) -> sa.ColumnElement[bool]:
    return sa.or_(*rules.entity_alternatives(model, entity_id, leading_only=flt.leading_only))


def _window_conditions(
    model: type[Activity] | type[Milestone], flt: ItemFilter, today: date
) -> list[sa.ColumnElement[bool]]:
    due = due_column(model)
    conditions: list[sa.ColumnElement[bool]] = []
    if flt.due_from is not None:
        conditions.append(due >= flt.due_from)
    if flt.due_to is not None:
        conditions.append(due <= flt.due_to)
    if flt.overdue:
        conditions.append(rules.overdue_condition(model, today))
    return conditions


#: Up to this many ids go into an IN list; more, and the row query itself is the IN subquery.
_IN_LIST_MAX = 900

_PARENT = so.aliased(Activity)

_ROW_COLUMNS: dict[type[Activity] | type[Milestone], tuple[Any, ...]] = {
    Activity: (
        Activity.id,
        Activity.uid,
        Activity.code,
        Activity.title,
        Activity.description,
        Activity.working_group_id,
        Activity.status,
        Activity.planned_start,
        Activity.planned_end,
        Activity.planned_start_precision,
        Activity.planned_end_precision,
        Activity.ongoing,
        Activity.timeline_text,
        Activity.recurrence,
        Activity.version,
        Activity.updated_at,
        Activity.sort_key,
        _PARENT.code.label("parent_code"),
    ),
    Milestone: (
        Milestone.id,
        Milestone.uid,
        Milestone.code,
        Milestone.title,
        Milestone.description,
        Milestone.working_group_id,
        Milestone.activity_id,
        Milestone.kind,
        Milestone.status,
        Milestone.start_date,
        Milestone.end_date,
        Milestone.start_precision,
        Milestone.end_precision,
        Milestone.due_date,
        Milestone.date_text,
        Milestone.recurrence,
        Milestone.version,
        Milestone.updated_at,
        Milestone.location,
        Milestone.start_time,
        Milestone.end_time,
        Milestone.timezone,
        _PARENT.code.label("parent_code"),
    ),
}


@dataclass(frozen=True)
class _Lookups:
    """The small tables every item refers to, read once per query."""

    #: working group id -> (short name, name)
    groups: dict[int, tuple[str, str]]
    acronyms: dict[int, str]
    #: working group id -> its entities as a milestone of the group takes them
    group_entities: dict[int, tuple[tuple[str, EntityRole], ...]]

    @classmethod
    def load(cls, session: so.Session) -> _Lookups:
        groups = {
            r.id: (r.short_name, r.name)
            for r in session.execute(
                sa.select(WorkingGroup.id, WorkingGroup.short_name, WorkingGroup.name)
            )
        }
        acronyms: dict[int, str] = dict(session.execute(sa.select(Entity.id, Entity.acronym)).all())  # type: ignore[arg-type]
        pairs: dict[int, list[tuple[str, GroupRole]]] = {}
        for group_id, entity_id, role in session.execute(
            sa.select(
                WorkingGroupEntity.working_group_id,
                WorkingGroupEntity.entity_id,
                WorkingGroupEntity.role,
            )
        ):
            pairs.setdefault(group_id, []).append((acronyms[entity_id], role))
        # a milestone without an activity belongs to its working group
        return cls(
            groups, acronyms, {g: rules.milestone_entities(None, (), p) for g, p in pairs.items()}
        )


#: Entities named on an item: (acronym, role), in acronym order.
_Named = tuple[tuple[str, EntityRole], ...]


def _rows(
    session: so.Session,
    model: type[Activity] | type[Milestone],
    where: list[sa.ColumnElement[bool]],
    lookups: _Lookups,
    *,
    order: list[Any] | None = None,
    limit: int | None = None,
    counted: list[int] | None = None,
) -> list[Item]:
    """Items for the rows matching `where`, in `order`, with their entities (two queries).

    With `counted`, how many rows match in all is appended to it, counted by the same
    statement (a window over the matches, before the limit) rather than by a second one.
    """
    parent_id = Activity.parent_id if model is Activity else Milestone.activity_id
    columns = _ROW_COLUMNS[model]
    if counted is not None:
        columns = (*columns, sa.func.count().over().label("matching"))
    query = (
        sa.select(*columns)
        .outerjoin(_PARENT, _PARENT.id == parent_id)
        .where(*where)
        .order_by(*(order or []))
        .limit(limit)
    )
    if session.autoflush:
        session.flush()  # as `session.execute` would: the rows include what is pending
    # plain columns, so run as Core: the ORM's result handling cost a fifth of reading a whole
    # programme (PostgreSQL: 2.1 -> 1.6 s); read by name as a named tuple: `sa.Row` looks up
    # every name it is asked for, which cost more than the query for tens of thousands of rows
    result = session.connection().execute(query)
    fields = namedtuple("_Row", result.keys())
    rows = [fields._make(row) for row in result]
    if counted is not None:
        counted.append(rows[0].matching if rows else 0)
    activity_ids = (
        [r.id for r in rows]
        if model is Activity
        else [r.activity_id for r in rows if r.activity_id is not None]
    )
    if len(activity_ids) <= _IN_LIST_MAX:
        linked: Any = activity_ids
    else:  # the same rows' ids as a subquery: no bound parameter per row
        linked = sa.select(parent_id if model is Milestone else Activity.id).where(*where)
    entities: dict[int, list[tuple[str, EntityRole]]] = {}
    # asked even for no rows: a query count that depends on the data would hide an N+1
    for activity_id, entity_id, role in session.execute(
        sa.select(ActivityEntity.activity_id, ActivityEntity.entity_id, ActivityEntity.role).where(
            ActivityEntity.activity_id.in_(linked)
        )
    ):
        entities.setdefault(activity_id, []).append((lookups.acronyms[entity_id], role))
    if model is Activity:
        return [_activity_item(r, lookups, sorted(entities.get(r.id, ()))) for r in rows]
    # many milestones share an activity (or, without one, a group): name its entities and
    # leads once, not for every milestone (a feed reads 50,000)
    named: dict[tuple[int | None, int], tuple[_Named, tuple[str, ...]]] = {}

    def named_for(r: Any) -> tuple[_Named, tuple[str, ...]]:
        key = (r.activity_id, r.working_group_id)
        found = named.get(key)
        if found is None:
            pairs = (
                tuple(sorted(entities.get(r.activity_id, ())))
                if r.activity_id is not None
                else lookups.group_entities.get(r.working_group_id, ())
            )
            found = named[key] = (pairs, rules.leads_of(pairs))
        return found

    return [_milestone_item(r, lookups, *named_for(r)) for r in rows]


def _find(
    session: so.Session,
    model: type[Activity] | type[Milestone],
    flt: ItemFilter,
    today: date,
    wg_id: int | None,
    entity_id: int | None,
    limit: int | None,
    lookups: _Lookups,
    placed: list[Item] | None = None,
    counted: list[int] | None = None,
) -> tuple[list[Item], int]:
    once = _once(model, flt, today, wg_id, entity_id)
    order = _order(model, flt)
    items = _rows(session, model, once, lookups, order=order, limit=limit, counted=counted)
    if flt.overdue:  # a recurring item is never overdue
        return items, 0
    if placed is None:
        placed = _placed(session, model, _conditions(model, flt, wg_id, entity_id), flt, today)
    occurrences, occurrence_count = _recurring(session, model, placed, limit, lookups)
    merged = list(heapq.merge(items, occurrences, key=_sort_key))
    return (merged[:limit] if limit is not None else merged), occurrence_count


def _order(model: type[Activity] | type[Milestone], flt: ItemFilter) -> list[Any]:
    """The order of the rows that do not recur (occurrences are merged in by `_sort_key`)."""
    due = due_column(model)
    # NULLS LAST lets the engines walk the due index in order and stop at the limit; with a
    # text search, which may match nothing, a scan and a sort cost less than that walk
    order: list[Any] = [due.asc().nulls_last(), model.working_group_id, _sort_code(model), model.id]
    if flt.text:
        order.insert(0, due.is_(None))
    return order


def _models(flt: ItemFilter) -> list[type[Activity] | type[Milestone]]:
    return [m for k, m in (("activity", Activity), ("milestone", Milestone)) if k in flt.kinds]


def _once(
    model: type[Activity] | type[Milestone],
    flt: ItemFilter,
    today: date,
    wg_id: int | None,
    entity_id: int | None,
) -> list[sa.ColumnElement[bool]]:
    """The conditions on the rows that do not recur."""
    # cheap tests first: engines that keep the written order then skip the text search
    return [
        model.recurrence.is_(None),
        *_window_conditions(model, flt, today),
        *_conditions(model, flt, wg_id, entity_id),
    ]


def _first(
    session: so.Session,
    flt: ItemFilter,
    today: date,
    wg_id: int | None,
    entity_id: int | None,
    lookups: _Lookups,
    limit: int | None,
    placed: _Placed | None = None,
    counted: list[int] | None = None,
) -> tuple[list[Item], int]:
    """The first `limit` items matching `flt`, and how many occurrences of recurring items do
    (`placed`: those occurrences, if already placed; `counted`: see `_rows`)."""
    pages: list[list[Item]] = []
    occurrences = 0
    for model in _models(flt):
        items, count = _find(
            session,
            model,
            flt,
            today,
            wg_id,
            entity_id,
            limit,
            lookups,
            None if placed is None else placed[model],
            counted,
        )
        pages.append(items)
        occurrences += count
    merged = list(heapq.merge(*pages, key=_sort_key))
    return (merged[:limit] if limit is not None else merged), occurrences


def _count_once(
    session: so.Session, flt: ItemFilter, today: date, wg_id: int | None, entity_id: int | None
) -> int:
    """How many rows that do not recur match `flt`: a statement per kind."""
    return sum(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(model)
            .where(*_once(model, flt, today, wg_id, entity_id))
        )
        or 0
        for model in _models(flt)
    )


def _recurring(
    session: so.Session,
    model: type[Activity] | type[Milestone],
    placed: list[Item],
    limit: int | None,
    lookups: _Lookups,
) -> tuple[list[Item], int]:
    """The `placed` occurrences of recurring items, soonest first (the first `limit`), and how
    many.

    Occurrences are placed from a few columns of every recurring row (`_placed`); only the rows
    whose occurrences are kept are then loaded whole.
    """
    placed = sorted(placed, key=_sort_key)
    kept = placed if limit is None else placed[:limit]
    wanted = [model.id.in_({o.id for o in kept})]  # also for none: the same queries always
    whole = {item.id: item for item in _rows(session, model, wanted, lookups)}
    return [_with_timing(whole[o.id], o) for o in kept], len(placed)


def _placed(
    session: so.Session,
    model: type[Activity] | type[Milestone],
    base: list[sa.ColumnElement[bool]],
    flt: ItemFilter,
    today: date,
) -> list[Item]:
    """The occurrences of the recurring items matching `base` that `flt` finds, as outlines."""
    placed: list[Item] = []
    for series in _outlines(session, model, base):
        found = _occurrences_in(series, flt, today)
        if flt.series:  # the series itself, when one of its occurrences is in the window
            found = [series] if found else []
        placed.extend(found)
    return placed


_OUTLINE_COLUMNS: dict[type[Activity] | type[Milestone], tuple[sa.ColumnElement[Any], ...]] = {
    Activity: (
        Activity.id,
        Activity.code,
        Activity.sort_key.label("sort_code"),
        Activity.working_group_id,
        Activity.status,
        Activity.recurrence,
        Activity.planned_start,
        Activity.planned_end,
        Activity.planned_start_precision,
        Activity.planned_end_precision,
        Activity.ongoing,
    ),
    Milestone: (
        Milestone.id,
        Milestone.code,
        Milestone.code.label("sort_code"),
        Milestone.working_group_id,
        Milestone.status,
        Milestone.recurrence,
        Milestone.start_date,
        Milestone.end_date,
        Milestone.start_precision,
        Milestone.end_precision,
        Milestone.kind,
        Milestone.due_date,
    ),
}


def _outlines(
    session: so.Session, model: type[Activity] | type[Milestone], base: list[sa.ColumnElement[bool]]
) -> list[Item]:
    """The recurring items matching `base`, each with only what places its occurrences."""
    query = (
        sa.select(*_OUTLINE_COLUMNS[model], WorkingGroup.short_name)
        .join(WorkingGroup, WorkingGroup.id == model.working_group_id)
        .where(model.recurrence.is_not(None), *base)
    )
    return [_outline(model, row) for row in session.execute(query)]


def _outline(model: type[Activity] | type[Milestone], row: sa.Row[Any]) -> Item:
    """A recurring item with only what places its occurrences; the rest stays blank."""
    blank: dict[str, Any] = {
        "uid": "",
        "title": "",
        "description": "",
        "working_group_name": "",
        "timeline_text": "",
        "leads": (),
        "entities": (),
        "parent_code": None,
        "version": 0,
        "updated_at": datetime.min,
    }
    if model is Activity:
        return Item(
            kind="activity",
            id=row.id,
            code=row.code,
            sort_code=row.sort_code,
            working_group_id=row.working_group_id,
            status=row.status,
            working_group=row.short_name,
            due=row.planned_end,
            start=row.planned_start,
            end=row.planned_end,
            start_precision=row.planned_start_precision,
            end_precision=row.planned_end_precision,
            ongoing=row.ongoing,
            recurrence=row.recurrence,
            **blank,
        )
    return Item(
        kind="milestone",
        id=row.id,
        code=row.code,
        sort_code=row.sort_code,
        working_group_id=row.working_group_id,
        status=row.status,
        working_group=row.short_name,
        due=row.due_date,
        start=row.start_date,
        end=row.end_date,
        start_precision=row.start_precision,
        end_precision=row.end_precision,
        ongoing=False,
        recurrence=row.recurrence,
        milestone_kind=row.kind,
        **blank,
    )


def _with_timing(item: Item, placed: Item) -> Item:
    """The whole item with the dates of one of its occurrences, as `occurrence` sets them."""
    return replace(
        item,
        start=placed.start,
        end=placed.end,
        due=placed.due,
        end_precision=placed.end_precision,
        ongoing=placed.ongoing,
        occurrence=placed.occurrence,
    )


def _activity_item(r: Any, lookups: _Lookups, entities: list[tuple[str, EntityRole]]) -> Item:
    short_name, name = lookups.groups[r.working_group_id]
    return Item(
        kind="activity",
        id=r.id,
        uid=r.uid,
        code=r.code,
        title=r.title,
        description=r.description,
        working_group=short_name,
        working_group_name=name,
        status=r.status,
        due=r.planned_end,
        start=r.planned_start,
        end=r.planned_end,
        start_precision=r.planned_start_precision,
        end_precision=r.planned_end_precision,
        ongoing=r.ongoing,
        timeline_text=r.timeline_text,
        leads=rules.leads_of(entities),
        entities=tuple(entities),
        parent_code=r.parent_code,
        recurrence=r.recurrence,
        version=r.version,
        updated_at=r.updated_at,
        working_group_id=r.working_group_id,
        sort_code=r.sort_key,
    )


def _milestone_item(r: Any, lookups: _Lookups, entities: _Named, leads: tuple[str, ...]) -> Item:
    """A milestone is led by its activity's leads, or else by its working group's."""
    short_name, name = lookups.groups[r.working_group_id]
    return Item(
        kind="milestone",
        id=r.id,
        uid=r.uid,
        code=r.code,
        title=r.title,
        description=r.description,
        working_group=short_name,
        working_group_name=name,
        status=r.status,
        due=r.due_date,
        start=r.start_date,
        end=r.end_date,
        start_precision=r.start_precision,
        end_precision=r.end_precision,
        ongoing=False,
        timeline_text=r.date_text,
        leads=leads,
        entities=entities,
        leads_from=f"activity {r.parent_code}"
        if r.activity_id is not None
        else f"working group {short_name}",
        parent_code=r.parent_code,
        recurrence=r.recurrence,
        version=r.version,
        updated_at=r.updated_at,
        working_group_id=r.working_group_id,
        sort_code=r.code,
        milestone_kind=r.kind,
        location=r.location,
        start_time=r.start_time,
        end_time=r.end_time,
        timezone=r.timezone,
    )


# --- recurrence -----------------------------------------------------------------------------


def _period_end(start: date, precision: Precision | None) -> date:
    if precision == Precision.YEAR:
        return date(start.year, 12, 31)
    if precision == Precision.MONTH:
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return start


@functools.lru_cache(maxsize=512)
def _rule(recurrence: str, start: date) -> rrule | rruleset:
    """A rule parsed once and its occurrences kept: stepping through rules on every query cost
    more than the queries themselves. A weekly rule keeps ~2,600 dates for the 50 years the
    next occurrence is looked for in, so the cache is bounded."""
    return rrulestr(recurrence, dtstart=datetime.combine(start, time()), cache=True)


def occurrence_starts(item: Item, after: date, before: date) -> Iterator[date]:
    """Start dates of a recurring item's occurrences with start in [after, before]."""
    if item.recurrence is None or item.start is None:
        return
    rule = _rule(item.recurrence, item.start)
    until = item.end if item.kind == "activity" and not item.ongoing else None
    # lazily: callers that want the next occurrence stop at the first, not decades later
    for moment in rule.xafter(datetime.combine(after, time()), inc=True):  # type: ignore[union-attr]
        if moment.date() > before or (until is not None and moment.date() > until):
            return
        yield moment.date()


def occurrence(item: Item, start: date) -> Item:
    """The occurrence of a recurring item that starts on `start` (see `occurrence_starts`)."""
    if item.kind == "activity":
        # one occurrence is the period the start was written as: "January 2018" recurs as Januaries
        end = _period_end(start, item.start_precision)
        return replace(
            item,
            start=start,
            end=end,
            due=end,
            end_precision=item.start_precision,
            ongoing=False,
            occurrence=True,
        )
    assert item.start is not None
    end = start + ((item.end - item.start) if item.end else timedelta(0))
    if item.end is not None and item.end_precision in (Precision.MONTH, Precision.YEAR):
        # whole periods shift as wholes: "2020" every other year recurs as 2022, not as
        # 2 January 2022 to 1 January 2023
        end = _period_end(item.end + relativedelta(start, item.start), item.end_precision)
    shifted = replace(item, start=start, end=end, occurrence=True)
    return replace(shifted, due=milestone_due(item.milestone_kind, shifted.start, shifted.end))


def _occurrences_in(item: Item, flt: ItemFilter, today: date) -> list[Item]:
    """A recurring item's occurrences due in the filter's window; without a window, the next one."""
    if item.start is None:
        return [] if flt.windowed else [item]
    # an occurrence may start up to one period before its due date
    slack = relativedelta(years=1, days=1)
    if flt.windowed:
        lower = (flt.due_from or item.start) - slack
        upper = flt.due_to or (flt.due_from or today) + relativedelta(years=10)
        found = [occurrence(item, s) for s in occurrence_starts(item, lower, upper)]
        return [
            o
            for o in found
            if o.due is not None
            and (flt.due_from is None or o.due >= flt.due_from)
            and (flt.due_to is None or o.due <= flt.due_to)
        ]
    upcoming_ones = (
        occurrence(item, s)
        for s in occurrence_starts(item, today - slack, today + relativedelta(years=50))
    )
    nxt = next((o for o in upcoming_ones if o.due is not None and o.due >= today), None)
    return [nxt] if nxt else [item]


def next_occurrence(item: Item, today: date) -> Item | None:
    """The next occurrence due on or after today, or the item itself if it does not recur."""
    if item.recurrence is None:
        return item if item.due is not None and item.due >= today else None
    found = _occurrences_in(item, ItemFilter(), today)
    return found[0] if found and found[0].occurrence else None


# --- writing derived dates ------------------------------------------------------------------


def apply_timeline(item: Activity | Milestone, timeline: Timeline) -> None:
    """Store a parsed timeline on an activity or milestone, keeping the text as written."""
    if isinstance(item, Activity):
        item.timeline_text = timeline.text
        item.planned_start = timeline.start
        item.planned_end = timeline.end
        item.planned_start_precision = timeline.start_precision
        item.planned_end_precision = timeline.end_precision
        item.ongoing = timeline.ongoing
        item.recurrence = timeline.recurrence
        return
    item.date_text = timeline.text
    item.start_date = timeline.start
    item.end_date = timeline.end
    item.start_precision = timeline.start_precision
    item.end_precision = timeline.end_precision
    item.recurrence = timeline.recurrence
    item.due_date = milestone_due(item.kind, timeline.start, timeline.end)
