"""`dashboard_counts` and `recent_changes`: the dashboard's numbers agree with the lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.conftest import TEST_TODAY
from tests.webtools import activity
from tracker.domain.dashboard import dashboard, dashboard_counts
from tracker.domain.entities import EntityDirectory, resolve_working_group
from tracker.domain.items import UPCOMING_DAYS, ItemFilter, find_items
from tracker.domain.status import Actor, recent_changes, update_progress
from tracker.models import Person, Status

FILTERS = [
    ItemFilter(),
    ItemFilter(working_group="WS1"),
    ItemFilter(entity="IOM", leading_only=True),
    ItemFilter(overdue=True),
    ItemFilter(due_from=TEST_TODAY, due_to=TEST_TODAY + timedelta(days=30), open_only=True),
    # a long window holds several occurrences of the recurring items
    ItemFilter(due_from=TEST_TODAY, due_to=TEST_TODAY + timedelta(days=3650)),
    ItemFilter(kinds=frozenset({"milestone"}), statuses=frozenset({Status.COMPLETED})),
]


def per_group(items) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items:
        found[item.working_group] = found.get(item.working_group, 0) + 1
    return found


@pytest.mark.parametrize("flt", FILTERS)
def test_counts_agree_with_find_items(session, flt):
    counts = dashboard_counts(session, flt, TEST_TODAY)
    found = find_items(session, flt, TEST_TODAY)
    expected: dict[str, dict[Status, int]] = {}
    for item in found.items:
        per_status = expected.setdefault(item.working_group, dict.fromkeys(Status, 0))
        per_status[item.status] += 1
    assert counts.by_status == expected
    assert sum(sum(c.values()) for c in counts.by_status.values()) == found.total
    if flt.windowed:
        return
    late = find_items(session, replace(flt, overdue=True), TEST_TODAY).items
    soon_filter = replace(
        flt, due_from=TEST_TODAY, open_only=True, due_to=TEST_TODAY + timedelta(days=UPCOMING_DAYS)
    )
    soon = find_items(session, soon_filter, TEST_TODAY).items
    assert {g: n for g, n in counts.overdue.items() if n} == per_group(late)
    assert {g: n for g, n in counts.due_soon.items() if n} == per_group(soon)


@pytest.mark.parametrize("group", [None, "WS1", "EGMS"])
@pytest.mark.parametrize("leader", [None, "IOM", "UN DESA"])
def test_dashboard_agrees_with_find_items(session, group, leader):
    entity = EntityDirectory.load(session).resolve(leader) if leader else None
    found = dashboard(
        session,
        TEST_TODAY,
        working_group=resolve_working_group(session, group) if group else None,
        size=3,
        leader=entity,
    )
    flt = ItemFilter(working_group=group)
    late = replace(flt, overdue=True)
    soon = replace(flt, upcoming=UPCOMING_DAYS)
    assert found.overdue == find_items(session, late, TEST_TODAY, limit=3)
    assert found.upcoming == find_items(session, soon, TEST_TODAY, limit=3)
    led = None
    if leader:
        mine = replace(flt, entity=leader, leading_only=True, open_only=True)
        led = find_items(session, mine, TEST_TODAY).total
    assert found.counts == replace(dashboard_counts(session, flt, TEST_TODAY), led=led)


def test_recent_changes_leave_out_creation_and_filter_by_group(session):
    assert recent_changes(session) == []  # the seeds only created items
    item = activity(session, "WS1", "3.4")
    person = session.get(Person, 1)
    update_progress(session, item, Actor.of(person, "web"), status=Status.DELAYED, note="late")
    session.commit()
    (change,) = recent_changes(session)
    assert change.activity_id == item.id and change.note == "late"
    assert recent_changes(session, working_group=item.working_group) == [change]
    other = activity(session, "EGMS", "TF1").working_group
    assert recent_changes(session, working_group=other) == []


def test_dashboard_counts_anew_after_a_change(session):
    """The tallies kept per content state follow a committed change, and a session's own
    uncommitted change (which the content state does not name yet) is counted for it alone."""
    group = resolve_working_group(session, "WS1")
    item = activity(session, "WS1", "3.4")
    person = session.get(Person, 1)

    def counted():
        found = dashboard(session, TEST_TODAY, working_group=group, size=3)
        return found.counts, dashboard_counts(session, ItemFilter(working_group="WS1"), TEST_TODAY)

    before, expected = counted()
    assert before == expected
    for status in (Status.CANCELLED, Status.DELAYED):  # uncommitted, then committed
        update_progress(session, item, Actor.of(person, "web"), status=status, note="")
        after, expected = counted()
        assert after == expected and after != before
        before = after
        session.commit()
    assert counted()[0] == before
