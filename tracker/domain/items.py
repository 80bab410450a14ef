"""What is due, overdue and upcoming: the one place these rules live.

Every front end (pages, API, bot, reminders, feeds) asks `find_items`. An activity is due on
its planned end; a milestone on its `due_date` (meetings on their first day, deliverables and
deadlines on their last). Overdue means due before today and neither completed nor cancelled.
Recurring items expand into their occurrences (or, for calendar feeds, stay one series);
as they carry no status per occurrence, a recurring item is never overdue.
"""

from __future__ import annotations

import calendar
import functools
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import sqlalchemy as sa
import sqlalchemy.orm as so
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rruleset, rrulestr

from tracker.domain.entities import EntityDirectory, resolve_working_group
from tracker.models import (
    CLOSED_STATUSES,
    LEADING_ROLES,
    Activity,
    ActivityEntity,
    EntityRole,
    GroupRole,
    Milestone,
    MilestoneKind,
    Person,
    Status,
    WorkingGroup,
    WorkingGroupEntity,
    person_working_group,
)
from tracker.timeline import Precision, Timeline, format_date, format_span

ItemKind = Literal["activity", "milestone"]

#: How far ahead "upcoming" and "due soon" look.
UPCOMING_DAYS = 30


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
        return self.status not in CLOSED_STATUSES

    def is_overdue(self, today: date) -> bool:
        return (
            self.is_open and self.recurrence is None and self.due is not None and self.due < today
        )


@dataclass(frozen=True)
class ItemFilter:
    """The filters every list, feed, reminder scan and bot answer is built from."""

    working_group: str | None = None
    #: Acronym, name or alias.
    entity: str | None = None
    #: With `entity`: only items the entity leads (lead, co-lead or co-organizer).
    leading_only: bool = False
    statuses: frozenset[Status] = frozenset()
    #: Every word must appear in the code, title or description.
    text: str | None = None
    #: Exactly this code (as the workplan numbers it).
    code: str | None = None
    kinds: frozenset[ItemKind] = frozenset({"activity", "milestone"})
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    open_only: bool = False
    #: Limit to these item ids (the feed of one item, the items of one person's entities).
    activity_ids: frozenset[int] | None = None
    milestone_ids: frozenset[int] | None = None
    #: Only what concerns this person: everything of their working groups, and everything their
    #: entity takes part in (a person's calendar feed).
    person_id: int | None = None
    #: Recurring items once each, as their series (calendar feeds carry an RRULE), instead of
    #: their occurrences; with a due window, a series is kept if an occurrence is due in it.
    series: bool = False

    @property
    def windowed(self) -> bool:
        return self.due_from is not None or self.due_to is not None or self.overdue


@dataclass
class ItemPage:
    items: list[Item]
    #: How many items match in all, of which `items` holds the first `limit`.
    total: int
    filter: ItemFilter = field(default_factory=ItemFilter)


def find_items(
    session: so.Session, flt: ItemFilter, today: date, *, limit: int | None = None
) -> ItemPage:
    """Items matching `flt`, soonest due first (undated last), with how many match in all.

    The query count does not depend on the amount of data: one query per kind for the rows,
    one per kind for the total when `limit` cuts, plus the eager loads of their entities.
    """
    wg_id, entity_id = _resolve_names(session, flt)
    pages: list[list[Item]] = []
    total = 0
    if "activity" in flt.kinds:
        items, count = _find(session, Activity, flt, today, wg_id, entity_id, limit)
        pages.append(items)
        total += count
    if "milestone" in flt.kinds:
        items, count = _find(session, Milestone, flt, today, wg_id, entity_id, limit)
        pages.append(items)
        total += count
    merged = list(heapq.merge(*pages, key=_sort_key))
    return ItemPage(merged[:limit] if limit is not None else merged, total, flt)


def count_by_status(
    session: so.Session, flt: ItemFilter, today: date
) -> dict[str, dict[Status, int]]:
    """How many items match `flt`, per working group and status, counted in the database.

    Without a due window a recurring item counts once, with its one status; with a window,
    once per occurrence due in it (as `find_items` lists them).
    """
    wg_id, entity_id = _resolve_names(session, flt)
    counts: dict[str, dict[Status, int]] = {}

    def add(group: str, status: Status, count: int) -> None:
        per_group = counts.setdefault(group, dict.fromkeys(Status, 0))
        per_group[status] += count

    for kind, model in (("activity", Activity), ("milestone", Milestone)):
        if kind not in flt.kinds:
            continue
        base = _conditions(model, flt, wg_id, entity_id)
        once = [*base, *_window_conditions(model, flt, today)]
        if flt.windowed:
            once.append(model.recurrence.is_(None))
        rows = session.execute(
            sa.select(WorkingGroup.short_name, model.status, sa.func.count())
            .join(model.working_group)
            .where(*once)
            .group_by(WorkingGroup.short_name, model.status)
        )
        for group, status, count in rows:
            add(group, status, count)
        if flt.windowed and not flt.overdue:  # a recurring item is never overdue
            recurring = session.scalars(
                sa.select(model)
                .where(*base, model.recurrence.is_not(None))
                .options(*_load_options(model))
            ).unique()
            for row in recurring:
                for occurrence in _occurrences_in(_item(row), flt, today):
                    add(occurrence.working_group, occurrence.status, 1)
    return counts


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


def _sort_key(item: Item) -> tuple[bool, date, str, str]:
    return (item.due is None, item.due or date.max, item.working_group, item.code)


# --- the queries ----------------------------------------------------------------------------


def _due_column(model: type[Activity] | type[Milestone]) -> sa.ColumnElement[date | None]:
    return Activity.planned_end if model is Activity else Milestone.due_date  # type: ignore[return-value]


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
        conditions.append(model.status.not_in(CLOSED_STATUSES))
    if flt.code:
        conditions.append(sa.func.lower(model.code) == flt.code.strip().lower())
    for word in (flt.text or "").lower().split():
        conditions.append(
            sa.or_(
                sa.func.lower(model.code) == word,
                sa.func.lower(model.title).contains(word, autoescape=True),
                sa.func.lower(model.description).contains(word, autoescape=True),
            )
        )
    ids = flt.activity_ids if model is Activity else flt.milestone_ids
    if ids is not None:
        conditions.append(model.id.in_(ids))
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
    roles = LEADING_ROLES if flt.leading_only else frozenset(EntityRole)
    activities = sa.select(ActivityEntity.activity_id).where(
        ActivityEntity.entity_id == entity_id, ActivityEntity.role.in_(roles)
    )
    if model is Activity:
        return Activity.id.in_(activities)
    group_roles = {GroupRole.LEAD} if flt.leading_only else set(GroupRole)
    groups = sa.select(WorkingGroupEntity.working_group_id).where(
        WorkingGroupEntity.entity_id == entity_id, WorkingGroupEntity.role.in_(group_roles)
    )
    return sa.or_(
        Milestone.activity_id.in_(activities),
        sa.and_(Milestone.activity_id.is_(None), Milestone.working_group_id.in_(groups)),
    )


def _window_conditions(
    model: type[Activity] | type[Milestone], flt: ItemFilter, today: date
) -> list[sa.ColumnElement[bool]]:
    due = _due_column(model)
    conditions: list[sa.ColumnElement[bool]] = []
    if flt.due_from is not None:
        conditions.append(due >= flt.due_from)
    if flt.due_to is not None:
        conditions.append(due <= flt.due_to)
    if flt.overdue:
        conditions.append(due < today)
    return conditions


def _load_options(model: type[Activity] | type[Milestone]) -> list[so.interfaces.LoaderOption]:
    if model is Activity:
        return [
            so.joinedload(Activity.working_group),
            so.joinedload(Activity.parent).load_only(Activity.code),
            so.subqueryload(Activity.entity_links).joinedload(ActivityEntity.entity),
        ]
    return [
        so.joinedload(Milestone.working_group)
        .subqueryload(WorkingGroup.entity_links)
        .joinedload(WorkingGroupEntity.entity),
        so.joinedload(Milestone.activity)
        .subqueryload(Activity.entity_links)
        .joinedload(ActivityEntity.entity),
    ]


def _find(
    session: so.Session,
    model: type[Activity] | type[Milestone],
    flt: ItemFilter,
    today: date,
    wg_id: int | None,
    entity_id: int | None,
    limit: int | None,
) -> tuple[list[Item], int]:
    base = _conditions(model, flt, wg_id, entity_id)
    due = _due_column(model)
    # cheap tests first: engines that keep the written order then skip the text search
    once = [model.recurrence.is_(None), *_window_conditions(model, flt, today), *base]
    # NULLS LAST lets the engines walk the due index in order and stop at the limit; with a
    # text search, which may match nothing, a scan and a sort cost less than that walk
    order = [due.asc().nulls_last(), model.working_group_id]
    order.append(model.sort_key if model is Activity else model.code)
    if flt.text:
        order.insert(0, due.is_(None))
    query = sa.select(model).where(*once).options(*_load_options(model)).order_by(*order)
    query = query.limit(limit)
    items = [_item(row) for row in session.scalars(query).unique()]
    count = len(items)
    if limit is not None and count >= limit:
        count = session.scalar(sa.select(sa.func.count()).select_from(model).where(*once)) or 0

    if flt.overdue:  # a recurring item is never overdue
        return items, count
    occurrences, occurrence_count = _recurring(session, model, base, flt, today, limit)
    merged = list(heapq.merge(items, occurrences, key=_sort_key))
    return (merged[:limit] if limit is not None else merged), count + occurrence_count


def _recurring(
    session: so.Session,
    model: type[Activity] | type[Milestone],
    base: list[sa.ColumnElement[bool]],
    flt: ItemFilter,
    today: date,
    limit: int | None,
) -> tuple[list[Item], int]:
    """The occurrences of recurring items, soonest first (the first `limit`), and how many.

    Occurrences are placed from a few columns of every recurring row; only the rows whose
    occurrences are kept are then loaded whole, as loading them all cost more than the rest.
    """
    outline = sa.select(*_OUTLINE_COLUMNS[model], WorkingGroup.short_name).join(
        WorkingGroup, WorkingGroup.id == model.working_group_id
    )
    placed: list[Item] = []
    for row in session.execute(outline.where(model.recurrence.is_not(None), *base)):
        series = _outline(model, row)
        found = _occurrences_in(series, flt, today)
        if flt.series:  # the series itself, when one of its occurrences is in the window
            found = [series] if found else []
        placed.extend(found)
    placed.sort(key=_sort_key)
    kept = placed if limit is None else placed[:limit]
    if not kept:
        return [], len(placed)
    rows = session.scalars(
        sa.select(model).where(model.id.in_({o.id for o in kept})).options(*_load_options(model))
    ).unique()
    whole = {row.id: _item(row) for row in rows}
    return [_with_timing(whole[o.id], o) for o in kept], len(placed)


_OUTLINE_COLUMNS: dict[type[Activity] | type[Milestone], tuple[sa.ColumnElement[Any], ...]] = {
    Activity: (
        Activity.id,
        Activity.code,
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
        Milestone.recurrence,
        Milestone.start_date,
        Milestone.end_date,
        Milestone.start_precision,
        Milestone.end_precision,
        Milestone.kind,
        Milestone.due_date,
    ),
}


def _outline(model: type[Activity] | type[Milestone], row: sa.Row[Any]) -> Item:
    """A recurring item with only what places its occurrences; the rest stays blank."""
    blank: dict[str, Any] = {
        "uid": "",
        "title": "",
        "description": "",
        "working_group_name": "",
        "status": Status.NOT_REPORTED,
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


def _item(row: Activity | Milestone) -> Item:
    if isinstance(row, Activity):
        links = row.entity_links
        return Item(
            kind="activity",
            id=row.id,
            uid=row.uid,
            code=row.code,
            title=row.title,
            description=row.description,
            working_group=row.working_group.short_name,
            working_group_name=row.working_group.name,
            status=row.status,
            due=row.planned_end,
            start=row.planned_start,
            end=row.planned_end,
            start_precision=row.planned_start_precision,
            end_precision=row.planned_end_precision,
            ongoing=row.ongoing,
            timeline_text=row.timeline_text,
            leads=tuple(
                sorted(link.entity.acronym for link in links if link.role in LEADING_ROLES)
            ),
            entities=tuple(sorted((link.entity.acronym, link.role) for link in links)),
            parent_code=row.parent.code if row.parent else None,
            recurrence=row.recurrence,
            version=row.version,
            updated_at=row.updated_at,
        )
    entity_pairs: Iterable[tuple[str, EntityRole]]
    if row.activity is not None:
        entity_pairs = ((link.entity.acronym, link.role) for link in row.activity.entity_links)
    else:
        entity_pairs = (
            (
                link.entity.acronym,
                EntityRole.LEAD if link.role == GroupRole.LEAD else EntityRole.MEMBER,
            )
            for link in row.working_group.entity_links
        )
    entities = tuple(sorted(entity_pairs))
    return Item(
        kind="milestone",
        id=row.id,
        uid=row.uid,
        code=row.code,
        title=row.title,
        description=row.description,
        working_group=row.working_group.short_name,
        working_group_name=row.working_group.name,
        status=row.status,
        due=row.due_date,
        start=row.start_date,
        end=row.end_date,
        start_precision=row.start_precision,
        end_precision=row.end_precision,
        ongoing=False,
        timeline_text=row.date_text,
        leads=tuple(acronym for acronym, role in entities if role in LEADING_ROLES),
        entities=entities,
        parent_code=row.activity.code if row.activity else None,
        recurrence=row.recurrence,
        version=row.version,
        updated_at=row.updated_at,
        milestone_kind=row.kind,
        location=row.location,
        start_time=row.start_time,
        end_time=row.end_time,
        timezone=row.timezone,
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


def milestone_due(kind: MilestoneKind | None, start: date | None, end: date | None) -> date | None:
    """Meetings are due when they begin; deliverables and deadlines when their period ends."""
    if kind == MilestoneKind.MEETING:
        return start or end
    return end or start


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
