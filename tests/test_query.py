"""The one item query: read from a query string, written back, and the same on every page."""

from __future__ import annotations

import json
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from tests.test_api import token_for
from tests.test_pages import rows
from tracker.domain.query import ItemFilter, QueryError, parse_query, query_args, query_pairs
from tracker.models import Status


def test_the_feeds_older_names_mean_the_same_as_the_lists():
    assert parse_query({"text": ["census"]}) == parse_query({"q": ["census"]})
    assert parse_query({"overdue": ["1"]}) == parse_query({"due": ["overdue"]})
    assert (
        parse_query({"upcoming": ["30"]}) == parse_query({"due": ["30"]}) == ItemFilter(upcoming=30)
    )


def test_unknown_parameters_are_named():
    with pytest.raises(QueryError) as caught:
        parse_query(MultiDict([("search", "census"), ("kind", "activity"), ("colour", "red")]))
    assert set(caught.value.fields) == {"search", "colour"}
    assert "unknown parameter" in caught.value.fields["search"]
    assert parse_query({"page": ["2"]}, extra={"page"}) == ItemFilter()


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"due": ["soon"]}, "due", "use overdue or a number of days"),
        ({"upcoming": ["-3"]}, "upcoming", "a number of days"),
        ({"due": ["overdue"], "upcoming": ["30"]}, "due", "one window at a time"),
        ({"kind": ["meeting"]}, "kind", "use activity or milestone"),
        ({"status": ["finished"]}, "status", "unknown status"),
        ({"leading": ["perhaps"]}, "leading", "use 1 or 0"),
        ({"due_from": ["2020-02-30"]}, "due_from", "is not a date"),
        ({"due_from": ["2020-03-01"], "due_to": ["2020-02-01"]}, "due_to", "ends before"),
        ({"working_group": ["WS1", "EGMS"]}, "working_group", "give one value"),
    ],
)
def test_bad_values_are_named(args, field, message):
    with pytest.raises(QueryError) as caught:
        parse_query(args)
    assert message in caught.value.fields[field]


def test_a_query_reads_back_as_itself():
    flt = ItemFilter(
        working_group="WS1",
        entity="ILO",
        leading_only=True,
        statuses=frozenset({Status.DELAYED, Status.PLANNED}),
        text="rural migration",
        kinds=frozenset({"milestone"}),
        due_from=date(2020, 1, 1),
        due_to=date(2020, 12, 31),
        upcoming=90,
    )
    assert parse_query(MultiDict(query_pairs(flt))) == flt
    assert parse_query(MultiDict(query_pairs(ItemFilter(overdue=True, open_only=True)))) == (
        ItemFilter(overdue=True, open_only=True)
    )
    assert query_args(ItemFilter()) == {}


def test_upcoming_is_read_on_the_day_and_within_given_dates():
    today = date(2020, 1, 15)
    assert ItemFilter(upcoming=30).on(today) == ItemFilter(
        due_from=today, due_to=date(2020, 2, 14), open_only=True
    )
    narrowed = ItemFilter(upcoming=30, due_to=date(2020, 1, 31)).on(today)
    assert (narrowed.due_from, narrowed.due_to) == (today, date(2020, 1, 31))


def test_the_list_reads_the_feeds_names_and_refuses_unknown_ones(client, auth):
    auth.sign_in_as("member@example.org")
    overdue = rows(client.get("/items?due=overdue&working_group=WS1").get_data(as_text=True))
    assert rows(client.get("/items?overdue=1&working_group=WS1").get_data(as_text=True)) == overdue
    assert rows(client.get("/items?text=recruitment+cost").get_data(as_text=True)) == ["3.4"]
    response = client.get("/items?search=census")
    assert response.status_code == 400
    assert "search: unknown parameter" in response.get_data(as_text=True)
    assert client.get("/timeline?colour=red").status_code == 400


def test_the_api_refuses_unknown_parameters_by_name(client, session):
    headers = token_for(session, "member@example.org")
    response = client.get("/api/v1/items?overdue=1&q=census&bogus=2", headers=headers)
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"bogus"}
    found = client.get("/api/v1/items?overdue=1&working_group=WS1", headers=headers).get_json()
    assert {i["code"] for i in found["items"]} == {"1.1", "1-M1"}


def test_the_commands_spell_the_same_query(runner):
    def listed(*args):
        result = runner.invoke(args=["items", "--json", *args])
        assert result.exit_code == 0, result.output
        return [(i["working_group"], i["code"]) for i in json.loads(result.output)["items"]]

    assert listed("--due", "overdue", "--working-group", "WS1") == listed(
        "--overdue", "--working-group", "WS1"
    )
    assert listed("--due", "30") == listed("--upcoming", "30") == listed("--upcoming")
    assert listed("--q", "recruitment cost") == listed("--text", "recruitment cost")
    assert listed("--kind", "milestone", "--working-group", "M4SD") == [
        ("M4SD", "W1-S1"),
        ("M4SD", "W1-S2"),
        ("M4SD", "W1-R"),
    ]
    bad = runner.invoke(args=["items", "--due", "soon"])
    assert bad.exit_code == 2 and "--due: 'soon': use overdue or a number of days" in bad.output
    both = runner.invoke(args=["items", "--due", "7", "--overdue"])
    assert both.exit_code == 2 and "one window at a time" in both.output


def test_the_api_pages_as_the_list_does(client, session):
    headers = token_for(session, "member@example.org")
    whole = client.get("/api/v1/items?per_page=500", headers=headers).get_json()
    codes = [(i["working_group"], i["code"], i["due"]) for i in whole["items"]]
    paged = []
    for page in range(1, whole["total"] // 9 + 2):
        found = client.get(f"/api/v1/items?per_page=9&page={page}", headers=headers).get_json()
        assert found["total"] == whole["total"] and found["page"] == page
        paged += [(i["working_group"], i["code"], i["due"]) for i in found["items"]]
    assert paged == codes and len(codes) == whole["total"]
