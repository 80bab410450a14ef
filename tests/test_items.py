"""The domain queries on the seed workplans: due, overdue, upcoming, by entity and more."""

import dataclasses
from datetime import date

import pytest
import sqlalchemy as sa

from tracker.domain.entities import UnknownName
from tracker.domain.items import (
    ItemFilter,
    count_items,
    due_between,
    find_item_ids,
    find_items,
    overdue,
    upcoming,
)
from tracker.domain.recurrence import _remembered_occurrences, next_occurrence, occurrences_in
from tracker.models import Activity, Status, WorkingGroup, code_sort_key

D = date


def codes(page):
    return [(i.working_group, i.code) for i in page.items]


def test_activity_is_due_on_its_planned_end(session):
    page = due_between(session, D(2020, 6, 1), D(2020, 6, 30), D(2020, 1, 1))
    assert ("WS1", "3.4") in codes(page)  # Ongoing – June 2020
    item = next(i for i in page.items if i.code == "3.4")
    assert item.due == D(2020, 6, 30)
    assert item.due_text == "June 2020"
    assert item.leads == ("ILO",)


def test_meeting_is_due_on_its_first_day_and_deliverable_on_its_last(session):
    page = due_between(session, D(2020, 1, 20), D(2020, 1, 20), D(2020, 1, 1))
    assert ("EGMS", "IFMS-2020") in codes(page)
    assert (
        due_between(session, D(2014, 12, 31), D(2014, 12, 31), D(2014, 1, 1)).items[0].code
        == "NS-3"
    )


def test_overdue_is_due_before_today_and_not_closed(session):
    today = D(2020, 7, 1)
    found = codes(overdue(session, today))
    assert ("WS1", "3.4") in found  # June 2020, not reported
    assert ("WS1", "3.9") not in found  # August 2020: not yet due
    assert ("EGMS", "EGM-2019") not in found  # completed
    assert ("M4SD", "W1-S1") not in found


def test_closing_an_item_takes_it_off_the_overdue_list(session):
    activity = session.scalars(sa.select(Activity).where(Activity.code == "3.4")).one()
    activity.status = Status.CANCELLED
    session.flush()
    assert ("WS1", "3.4") not in codes(overdue(session, D(2020, 7, 1)))


def test_upcoming_looks_thirty_days_ahead_at_open_items(session):
    found = codes(upcoming(session, D(2020, 1, 10)))
    assert ("EGMS", "IFMS-2020") in found
    assert ("WS1", "3.1") in found  # January 2020
    assert all(
        D(2020, 1, 10) <= i.due <= D(2020, 2, 9) for i in upcoming(session, D(2020, 1, 10)).items
    )


@pytest.mark.parametrize(
    "name",
    [
        "UN DESA",
        "un desa",
        "UN/DESA",
        "DESA",
        "UNSD",
        "United Nations Department of Economic and Social Affairs",
    ],
)
def test_entity_by_acronym_name_or_alias(session, name):
    page = find_items(session, ItemFilter(entity=name, leading_only=True), D(2020, 1, 1))
    assert ("WS1", "1.2") in codes(page)


def test_leading_only_leaves_out_partners(session):
    all_roles = codes(find_items(session, ItemFilter(entity="OECD"), D(2020, 1, 1)))
    leading = codes(
        find_items(session, ItemFilter(entity="OECD", leading_only=True), D(2020, 1, 1))
    )
    assert ("EGMS", "37") in all_roles  # partner of the Cairo meetings
    assert ("EGMS", "37") not in leading
    assert ("WS1", "4") in leading  # co-organizer of the IFMS


def test_milestone_is_led_by_its_activitys_leads(session):
    page = find_items(
        session,
        ItemFilter(entity="IOM", leading_only=True, kinds=frozenset({"milestone"})),
        D(2020, 1, 1),
    )
    assert ("EGMS", "IFMS-2020") in codes(page)


def test_unknown_entity_suggests_close_names(session):
    with pytest.raises(UnknownName) as caught:
        find_items(session, ItemFilter(entity="UNICEFF"), D(2020, 1, 1))
    assert "UNICEF" in str(caught.value)


def test_by_working_group_status_and_text(session):
    page = find_items(session, ItemFilter(working_group="m4sd"), D(2020, 1, 1))
    assert {i.working_group for i in page.items} == {"M4SD"}
    page = find_items(session, ItemFilter(statuses=frozenset({Status.COMPLETED})), D(2020, 1, 1))
    assert ("EGMS", "EGM-2019") in codes(page)
    page = find_items(session, ItemFilter(text="rural migration"), D(2020, 1, 1))
    assert codes(page) == [("WS1", "3.1")]
    page = find_items(session, ItemFilter(code="3.2"), D(2020, 1, 1))
    assert codes(page) == [("WS1", "3.2")]


def test_working_group_by_full_name(session):
    page = find_items(session, ItemFilter(working_group="Thematic workstream 1"), D(2020, 1, 1))
    assert page.total > 20


def test_recurring_items_expand_into_occurrences(session):
    page = due_between(
        session, D(2022, 1, 1), D(2022, 12, 31), D(2020, 1, 1), ItemFilter(text="IFMS")
    )
    ifms = [i for i in page.items if i.code == "IFMS-2020"]
    assert len(ifms) == 1
    assert (ifms[0].start, ifms[0].end, ifms[0].occurrence) == (
        D(2022, 1, 20),
        D(2022, 1, 21),
        True,
    )
    assert ifms[0].location == "Cairo, Egypt"
    assert ifms[0].when == "20-21 January 2022"
    activity = next(i for i in page.items if i.code == "4")
    assert (activity.start, activity.end, activity.due_text) == (
        D(2022, 1, 1),
        D(2022, 1, 31),
        "January 2022",
    )
    # no occurrence in the odd years
    assert not due_between(
        session, D(2021, 1, 1), D(2021, 12, 31), D(2020, 1, 1), ItemFilter(code="IFMS-2020")
    ).items


def test_next_occurrence_after_today(session):
    [item] = find_items(session, ItemFilter(code="IFMS-2020"), D(2026, 11, 21)).items
    assert item.due == D(2028, 1, 20)
    assert next_occurrence(item, D(2026, 11, 21)).when == "20-21 January 2028"


def test_occurrences_are_remembered_per_item_as_it_is_and_per_window(session):
    """Placed once for every list; an edited item (another version, other dates) is placed
    anew, and no caller can change what another is given."""
    [item] = find_items(session, ItemFilter(code="IFMS-2020"), D(2026, 11, 21)).items
    series = dataclasses.replace(item, start=D(2020, 1, 20), end=D(2020, 1, 21), occurrence=False)
    window = ItemFilter(due_from=D(2027, 1, 1), due_to=D(2031, 12, 31))
    first = occurrences_in(series, window, D(2026, 11, 21))
    assert [o.due for o in first] == [D(2028, 1, 20), D(2030, 1, 20)]
    first.clear()
    assert len(occurrences_in(series, window, D(2026, 11, 21))) == 2
    moved = dataclasses.replace(series, start=D(2021, 1, 20), end=D(2021, 1, 21), version=9)
    assert [o.due for o in occurrences_in(moved, window, D(2026, 11, 21))] == [
        D(2027, 1, 20),
        D(2029, 1, 20),
        D(2031, 1, 20),
    ]
    # a short window's and the next one are the ones remembered
    january = ItemFilter(due_from=D(2028, 1, 1), due_to=D(2028, 1, 31))
    for flt in (january, ItemFilter()):
        before = _remembered_occurrences.cache_info().hits
        first = occurrences_in(series, flt, D(2026, 11, 21))
        assert [o.due for o in first] == [D(2028, 1, 20)]
        first.clear()
        assert [o.due for o in occurrences_in(series, flt, D(2026, 11, 21))] == [D(2028, 1, 20)]
        assert _remembered_occurrences.cache_info().hits == before + 1
        assert [o.due for o in occurrences_in(moved, flt, D(2026, 11, 21))] == (
            [] if flt is january else [D(2027, 1, 20)]
        )


def test_recurring_items_are_never_overdue(session):
    assert ("EGMS", "IFMS-2020") not in codes(overdue(session, D(2026, 11, 21)))


def test_limit_keeps_the_soonest_and_counts_all(session):
    everything = overdue(session, D(2026, 11, 21))
    first = find_items(session, ItemFilter(overdue=True), D(2026, 11, 21), limit=5)
    assert first.total == everything.total > 5
    assert codes(first) == codes(everything)[:5]
    dues = [i.due for i in everything.items]
    assert dues == sorted(dues)


@pytest.mark.parametrize(
    "flt",
    [
        ItemFilter(),
        ItemFilter(kinds=frozenset({"activity"})),
        ItemFilter(overdue=True),
        ItemFilter(text="IFMS", due_from=D(2021, 1, 1), due_to=D(2024, 12, 31)),
        ItemFilter(working_group="EGMS", kinds=frozenset({"milestone"})),
        ItemFilter(entity="ILO", leading_only=True),
        ItemFilter(entity="IOM", open_only=True),
        ItemFilter(due_from=D(2020, 1, 1)),  # the IFMS recurs in it
    ],
)
@pytest.mark.parametrize("limit", [1, 7, 10_000])
def test_item_ids_are_those_find_items_finds(session, flt, limit):
    today = D(2020, 7, 1)
    page = find_items(session, flt, today, limit=limit)
    found = find_item_ids(session, flt, today, limit=limit)
    assert found.ids == [(i.kind, i.id) for i in page.items]
    assert found.total == page.total
    assert (
        count_items(session, flt, today) == page.total == len(find_items(session, flt, today).items)
    )


def test_code_sort_key_orders_numbers_naturally():
    assert sorted(["3.10", "3.2", "3.1", "10", "2"], key=code_sort_key) == [
        "2",
        "3.1",
        "3.2",
        "3.10",
        "10",
    ]


def _add_activities(session, n):
    group = session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "WS1")).one()
    ilo = (
        session.scalars(sa.select(Activity).where(Activity.code == "3.5"))
        .one()
        .entity_links[0]
        .entity
    )
    from tracker.domain.entities import set_entities
    from tracker.domain.items import apply_timeline
    from tracker.timeline import parse_timeline

    for i in range(n):
        activity = Activity(
            working_group=group,
            code=f"9.{i}",
            sort_key=code_sort_key(f"9.{i}"),
            title=f"Generated {i}",
        )
        apply_timeline(activity, parse_timeline("March 2020 – June 2020"))
        set_entities(activity, [(ilo, "lead")])
        session.add(activity)
    session.flush()


def test_query_count_does_not_grow_with_data(session, count_queries):
    flt = ItemFilter(entity="ILO", due_from=D(2020, 1, 1), due_to=D(2020, 12, 31))
    with count_queries() as small:
        before = find_items(session, flt, D(2020, 1, 1))
    _add_activities(session, 150)
    session.expire_all()
    with count_queries() as large:
        after = find_items(session, flt, D(2020, 1, 1))
    assert after.total == before.total + 150
    assert large.count == small.count, (small.statements, large.statements)
