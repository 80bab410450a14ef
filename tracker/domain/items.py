"""`find_items`, which every front end asks: the item query in SQL.

Pages, the API, the bot, the reminders and the feeds each build an `ItemFilter`
(`tracker.domain.query`) and get `Item`s (`tracker.domain.item`); what due, open, overdue and
upcoming mean is `tracker.domain.rules`', applied here in SQL. Recurring items expand into
their occurrences (`tracker.domain.recurrence`), or, for calendar feeds, stay one series.
The dashboards count with the same conditions (`tracker.domain.dashboard`).
"""

from __future__ import annotations

import functools
import heapq
from collections import namedtuple
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.domain import rules
from tracker.domain.entities import EntityDirectory, resolve_working_group
from tracker.domain.item import Item, ItemPage, list_order
from tracker.domain.query import ItemFilter, ItemKind
from tracker.domain.recurrence import occurrences_in
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
    MilestoneEntity,
    Person,
    WorkingGroup,
    WorkingGroupEntity,
    person_working_group,
)
from tracker.timeline import Timeline

#: Per kind, the occurrences of its open recurring items due soon, as `_placed` finds them.
Placed = dict[type[Activity] | type[Milestone], list[Item]]


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
    wg_id, entity_id = resolve_names(session, flt)
    if offset and limit is not None:
        return _page(session, query, flt, today, wg_id, entity_id, limit, offset)
    # a text search scans every row whatever the order: its row query counts them on the way,
    # where a separate count would scan them again; other filters count from an index
    counted: list[int] | None = [] if flt.text and limit is not None else None
    items, occurrences = first_items(
        session, flt, today, wg_id, entity_id, Lookups.load(session), limit, counted=counted
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
    """A later page of `find_items`: per kind, the keys of the rows that do not recur, in
    `list_order`, up to the page's last (an index walk that stops at the LIMIT), merged; then
    the page's rows read whole.

    The occurrences of recurring items are placed in Python (they are few), so the page may
    hold some of them: with `m` occurrences in all, the rows from `offset - m` on are enough,
    and the first of them says how many occurrences come before it.
    """
    models = kinds_of(flt)
    lookups = Lookups.load(session)
    placed: dict[type[Activity] | type[Milestone], list[Item]] = {}
    for model in models:  # a recurring item is never overdue
        base = item_conditions(model, flt, wg_id, entity_id)
        placed[model] = [] if flt.overdue else _placed(session, model, base, flt, today)
    occurrences = sorted(
        ((list_order(o), o) for found in placed.values() for o in found), key=lambda pair: pair[0]
    )
    start = max(0, offset - len(occurrences))
    wanted = offset + limit - start
    kinds = [(m, "activity" if m is Activity else "milestone") for m in models]
    # each kind's rows walked in their own order (its due index) to the last the page may
    # need, then merged here: one statement over both kinds sorted every matching row of both
    # for a late page, the whole programme for a page of everything
    walks = [
        [
            (due is None, due or date.max, group, code, kind, id_)
            for due, group, code, id_ in session.execute(
                sa.select(due_column(model), model.working_group_id, _sort_code(model), model.id)
                .where(*_once(model, flt, today, wg_id, entity_id))
                .order_by(*_order(model, flt))
                .limit(start + wanted)
            )
        ]
        for model, kind in kinds
    ]
    # the first start + wanted of the merge are the first of all rows: a kind's unread rows
    # come after its last read one
    keys = list(heapq.merge(*walks))[start : start + wanted]
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
    for model, kind in kinds:
        ids = {key[5] for key, o in chosen if key[4] == kind}
        for item in _rows(session, model, [model.id.in_(ids)], lookups):
            whole[kind, item.id] = item
    items = [
        whole[key[4], key[5]] if o is None else _with_timing(whole[key[4], key[5]], o)
        for key, o in chosen
    ]
    return ItemPage(items, total, query)


def count_items(session: so.Session, flt: ItemFilter, today: date) -> int:
    """How many items `find_items` finds (its `total`), counted without reading any: a
    statement per kind, and the recurring items' occurrences placed as it places them."""
    flt = flt.on(today)
    wg_id, entity_id = resolve_names(session, flt)
    total = _count_once(session, flt, today, wg_id, entity_id)
    if flt.overdue:  # a recurring item is never overdue
        return total
    for model in kinds_of(flt):
        base = item_conditions(model, flt, wg_id, entity_id)
        total += len(_placed(session, model, base, flt, today))
    return total


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
    wg_id, entity_id = resolve_names(session, flt)
    pages: list[list[tuple[Any, ...]]] = []
    total = 0
    for model in kinds_of(flt):
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
            placed = _placed(
                session, model, item_conditions(model, flt, wg_id, entity_id), flt, today
            )
        total += len(placed)
        occurrences = sorted(list_order(o) for o in placed)
        pages.append(list(heapq.merge(keyed, occurrences[:limit]))[:limit])
    first = list(heapq.merge(*pages))[:limit]
    return ItemIds([(k[4], k[5]) for k in first], total)


def resolve_names(session: so.Session, flt: ItemFilter) -> tuple[int | None, int | None]:
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


def _sort_code(model: type[Activity] | type[Milestone]) -> sa.ColumnElement[str]:
    return Activity.sort_key if model is Activity else Milestone.code  # type: ignore[return-value]


# --- the queries ----------------------------------------------------------------------------


def item_conditions(
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
    if flt.groups_own:
        conditions.append(sa.false() if model is Activity else model.activity_id.is_(None))
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


def window_conditions(
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


def _in_list_or_query(
    ids: list[int], column: sa.ColumnElement[Any], where: list[sa.ColumnElement[bool]]
) -> Any:
    """What an IN takes for the rows' `column`: the ids read, or past `_IN_LIST_MAX` the
    rows' own query as a subquery, so that no statement gets a bound parameter per row."""
    return ids if len(ids) <= _IN_LIST_MAX else sa.select(column).where(*where)


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
class Lookups:
    """The small tables every item refers to, read once per query."""

    #: working group id -> (short name, name)
    groups: dict[int, tuple[str, str]]
    acronyms: dict[int, str]
    #: working group id -> its entities, (acronym, role in the group)
    group_entities: dict[int, tuple[tuple[str, GroupRole], ...]]

    @classmethod
    def load(cls, session: so.Session) -> Lookups:
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
        return cls(groups, acronyms, {g: tuple(p) for g, p in pairs.items()})


#: Entities named on an item: (acronym, role), in acronym order.
_Named = tuple[tuple[str, EntityRole], ...]


@functools.cache
def _row_type(names: tuple[str, ...]) -> type[tuple[Any, ...]]:
    """A named tuple class per set of columns, made once: making one (it compiles code) cost
    more than some small queries themselves."""
    return namedtuple("_Row", names)  # type: ignore[misc]


def _rows(
    session: so.Session,
    model: type[Activity] | type[Milestone],
    where: list[sa.ColumnElement[bool]],
    lookups: Lookups,
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
    fields = _row_type(tuple(result.keys()))
    rows = [fields._make(row) for row in result]
    if counted is not None:
        counted.append(rows[0].matching if rows else 0)
    activity_ids = (
        [r.id for r in rows]
        if model is Activity
        else [r.activity_id for r in rows if r.activity_id is not None]
    )
    linked = _in_list_or_query(
        activity_ids, parent_id if model is Milestone else Activity.id, where
    )
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
    # the few milestones that name entities of their own (asked even for no rows, as above)
    own: dict[int, list[tuple[str, EntityRole]]] = {}
    milestone_ids = _in_list_or_query([r.id for r in rows], Milestone.id, where)
    for milestone_id, entity_id, role in session.execute(
        sa.select(
            MilestoneEntity.milestone_id, MilestoneEntity.entity_id, MilestoneEntity.role
        ).where(MilestoneEntity.milestone_id.in_(milestone_ids))
    ):
        own.setdefault(milestone_id, []).append((lookups.acronyms[entity_id], role))
    # many milestones share an activity (or, without one, a group): name its entities and
    # leads once, not for every milestone (a feed reads 50,000)
    named: dict[tuple[int | None, int], tuple[_Named, tuple[str, ...]]] = {}

    def named_for(r: Any) -> tuple[_Named, tuple[str, ...], bool]:
        if r.id in own:
            pairs = rules.milestone_entities(tuple(own[r.id]), r.activity_id, (), ())
            return pairs, rules.leads_of(pairs), False
        key = (r.activity_id, r.working_group_id)
        found = named.get(key)
        if found is None:
            pairs = rules.milestone_entities(
                (),
                r.activity_id,
                tuple(entities.get(r.activity_id, ())),
                lookups.group_entities.get(r.working_group_id, ()),
            )
            found = named[key] = (pairs, rules.leads_of(pairs))
        return (*found, True)

    return [_milestone_item(r, lookups, *named_for(r)) for r in rows]


def _find(
    session: so.Session,
    model: type[Activity] | type[Milestone],
    flt: ItemFilter,
    today: date,
    wg_id: int | None,
    entity_id: int | None,
    limit: int | None,
    lookups: Lookups,
    placed: list[Item] | None = None,
    counted: list[int] | None = None,
) -> tuple[list[Item], int]:
    once = _once(model, flt, today, wg_id, entity_id)
    order = _order(model, flt)
    items = _rows(session, model, once, lookups, order=order, limit=limit, counted=counted)
    if flt.overdue:  # a recurring item is never overdue
        return items, 0
    if placed is None:
        placed = _placed(session, model, item_conditions(model, flt, wg_id, entity_id), flt, today)
    occurrences, occurrence_count = _recurring(session, model, placed, limit, lookups)
    merged = list(heapq.merge(items, occurrences, key=list_order))
    return (merged[:limit] if limit is not None else merged), occurrence_count


def _order(model: type[Activity] | type[Milestone], flt: ItemFilter) -> list[Any]:
    """The order of the rows that do not recur (occurrences are merged in by `list_order`)."""
    due = due_column(model)
    # NULLS LAST lets the engines walk the due index in order and stop at the limit; with a
    # text search, which may match nothing, a scan and a sort cost less than that walk
    order: list[Any] = [due.asc().nulls_last(), model.working_group_id, _sort_code(model), model.id]
    if flt.text:
        order.insert(0, due.is_(None))
    return order


def kinds_of(flt: ItemFilter) -> list[type[Activity] | type[Milestone]]:
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
        *window_conditions(model, flt, today),
        *item_conditions(model, flt, wg_id, entity_id),
    ]


def first_items(
    session: so.Session,
    flt: ItemFilter,
    today: date,
    wg_id: int | None,
    entity_id: int | None,
    lookups: Lookups,
    limit: int | None,
    placed: Placed | None = None,
    counted: list[int] | None = None,
) -> tuple[list[Item], int]:
    """The first `limit` items matching `flt`, and how many occurrences of recurring items do
    (`placed`: those occurrences, if already placed; `counted`: see `_rows`)."""
    pages: list[list[Item]] = []
    occurrences = 0
    for model in kinds_of(flt):
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
    merged = list(heapq.merge(*pages, key=list_order))
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
        for model in kinds_of(flt)
    )


def _recurring(
    session: so.Session,
    model: type[Activity] | type[Milestone],
    placed: list[Item],
    limit: int | None,
    lookups: Lookups,
) -> tuple[list[Item], int]:
    """The `placed` occurrences of recurring items, soonest first (the first `limit`), and how
    many.

    Occurrences are placed from a few columns of every recurring row (`_placed`); only the rows
    whose occurrences are kept are then loaded whole.
    """
    placed = sorted(placed, key=list_order)
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
    for series in outlines(session, model, base):
        found = occurrences_in(series, flt, today)
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


def outlines(
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


def _activity_item(r: Any, lookups: Lookups, entities: list[tuple[str, EntityRole]]) -> Item:
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


def _milestone_item(
    r: Any, lookups: Lookups, entities: _Named, leads: tuple[str, ...], inherited: bool
) -> Item:
    """A milestone is led by its own leads, or its activity's, or else its working group's."""
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
        leads_from=None
        if not inherited
        else f"activity {r.parent_code}"
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
