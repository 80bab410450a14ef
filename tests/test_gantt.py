"""The timeline chart's layout: bars, open ends, clipping, markers, grouping, today's line."""

from __future__ import annotations

from datetime import date

from tests.conftest import TEST_TODAY
from tests.webtools import activity, milestone
from tracker.domain.items import ItemFilter
from tracker.main.gantt import CHART_WIDTH, LABEL_WIDTH, build_chart, chart_range
from tracker.models import WorkingGroup


def code(row) -> str:
    return row.label.removeprefix("↻ ").split(" ")[0]


def rows_by_code(chart):
    return {code(row): row for row in chart.rows if row.kind == "activity"}


def points(row):
    return [tuple(float(v) for v in p.split(",")) for p in row.bar.split()]


def test_bars_follow_planned_dates_and_open_sides_are_arrows(session):
    chart = build_chart(
        session,
        ItemFilter(working_group="WS1", kinds=frozenset({"activity"})),
        TEST_TODAY,
        date(2019, 1, 1),
        date(2020, 12, 31),
    )
    rows = rows_by_code(chart)
    # "September 2019 – January 2020": from 1 September 2019 to the end of January 2020
    closed = points(rows["3.1"])
    days = (date(2020, 12, 31) - date(2019, 1, 1)).days + 1
    expected_start = LABEL_WIDTH + (date(2019, 9, 1) - date(2019, 1, 1)).days / days * CHART_WIDTH
    expected_end = LABEL_WIDTH + (date(2020, 2, 1) - date(2019, 1, 1)).days / days * CHART_WIDTH
    assert abs(min(x for x, _ in closed) - expected_start) < 0.1
    assert abs(max(x for x, _ in closed) - expected_end) < 0.1
    assert len(closed) == 4  # square at both ends
    # "Ongoing – June 2020": the start is open, drawn as an arrow from the chart's edge
    open_start = rows["3.4"]
    assert open_start.open_start and not open_start.open_end
    assert len(points(open_start)) == 5 and min(x for x, _ in points(open_start)) == LABEL_WIDTH
    # "December 2017 – Ongoing": starts before the chart (cut square), the end is open
    clipped = rows["3.7"]
    assert not clipped.open_start and clipped.open_end
    assert max(x for x, _ in points(clipped)) == LABEL_WIDTH + CHART_WIDTH
    # no timeline at all
    assert rows["3"].bar is None and rows["3"].note == "no dates"
    # today's line
    assert chart.today_x is not None and LABEL_WIDTH < chart.today_x < LABEL_WIDTH + CHART_WIDTH


def test_grouped_by_working_group_then_parent(session):
    chart = build_chart(session, ItemFilter(kinds=frozenset({"activity"})), TEST_TODAY)
    groups = [row.label.split(" ")[0] for row in chart.rows if row.kind == "group"]
    assert groups == ["EGMS", "GMG-DR", "GPMS", "M4SD", "WS1"]
    order = [code(row) for row in chart.rows]
    assert order.index("3") < order.index("3.1") < order.index("3.20") < order.index("4")
    assert rows_by_code(chart)["4"].label.startswith("↻ ")  # it recurs
    depths = {code(row): row.depth for row in chart.rows if row.kind == "activity"}
    assert depths["3"] == 0 and depths["3.4"] == 1
    assert chart.shown >= 40 and chart.height > 40 * 26


def test_milestones_are_markers_on_their_rows(session):
    chart = build_chart(session, ItemFilter(working_group="EGMS"), TEST_TODAY)
    meeting = milestone(session, "EGMS", "37-M3")
    parent = activity(session, "EGMS", "37")
    row = next(r for r in chart.rows if r.target == parent.id)
    assert meeting.id in {m.milestone_id for m in row.markers}
    group_row = next(r for r in chart.rows if r.kind == "group")
    egm = milestone(session, "EGMS", "EGM-2019")
    assert egm.activity_id is None and egm.id in {m.milestone_id for m in group_row.markers}


def test_filtered_children_keep_their_group(session):
    chart = build_chart(session, ItemFilter(entity="ILO", leading_only=True), TEST_TODAY)
    codes = [code(row) for row in chart.rows]
    assert codes[0] == "WS1" and set(codes[1:]) == {"1.1", "2", "3.3", "3.4", "3.5", "3.6"}


def test_empty_group_still_has_its_row(session):
    session.add(WorkingGroup(short_name="NEW", name="A new group"))
    session.commit()
    chart = build_chart(session, ItemFilter(working_group="NEW"), TEST_TODAY)
    assert [row.kind for row in chart.rows] == ["group"] and chart.shown == 0


def test_chart_range_parsing():
    assert chart_range({"from": "2019", "to": "2020-06"}) == (
        date(2019, 1, 1),
        date(2020, 6, 30),
        {},
    )
    _, _, errors = chart_range({"from": "soon", "to": "2020-02-30"})
    assert set(errors) == {"from", "to"}
    _, _, errors = chart_range({"from": "2021", "to": "2020"})
    assert errors == {"to": "the end must come after the start"}


def test_page_links_rows_and_markers_and_escapes_their_titles(client, session, auth):
    auth.sign_in_as("member@example.org")
    meeting = milestone(session, "EGMS", "37-M3")
    meeting.title = 'Expert meeting <"Cairo" & co>'
    session.commit()
    parent = activity(session, "EGMS", "37")
    page = client.get("/timeline?working_group=EGMS").get_data(as_text=True)
    assert f'<a href="/activities/{parent.id}" class="row">' in page
    assert 'href="/groups/EGMS"' in page
    assert f'<a href="/milestones/{meeting.id}"><title>37-M3 Expert meeting' in page
    assert "&lt;&#34;Cairo&#34; &amp; co&gt; (meeting, " in page
    assert '<circle class="marker marker-' in page  # a meeting is a circle


def test_a_capped_chart_says_how_many_it_leaves_out(client, auth, monkeypatch):
    monkeypatch.setattr("tracker.main.gantt.MAX_ROWS", 3)
    auth.sign_in_as("member@example.org")
    page = client.get("/timeline").get_data(as_text=True)
    assert page.count('class="row"') == 3
    assert "the 3 due soonest of" in page and "choose a working group or other filters" in page
    page = client.get("/timeline?working_group=WS1").get_data(as_text=True)
    assert "the 3 due soonest of" in page and "choose other filters to see the rest" in page


def test_the_default_span_is_the_data_shown(session):
    # the 2014 work programme alone: 2014, not the years around today (2020)
    chart = build_chart(session, ItemFilter(working_group="GMG-DR"), TEST_TODAY)
    assert (chart.start, chart.end) == (date(2014, 1, 1), date(2014, 12, 31))
    assert chart.today_x is None
    assert not any(r.note == "outside the years shown" for r in chart.rows)
    # more than ten years of data: ten of them, around today
    everything = build_chart(session, ItemFilter(), TEST_TODAY)
    assert everything.start <= TEST_TODAY <= everything.end
    assert everything.end.year - everything.start.year <= 10


def test_undated_rows_hidden_on_request_and_narrow_labels(session):
    flt = ItemFilter(working_group="WS1")
    every = build_chart(session, flt, TEST_TODAY)
    dated = build_chart(session, flt, TEST_TODAY, dated_only=True)
    undated = [r for r in every.rows if r.note == "no dates" and not r.markers]
    assert undated and dated.undated_hidden == len(undated)
    assert len(dated.rows) == len(every.rows) - len(undated)
    assert not any(r.note == "no dates" and not r.markers for r in dated.rows)
    narrow = build_chart(session, flt, TEST_TODAY, label_width=150)
    assert narrow.label_width == 150 and narrow.width == 150 + CHART_WIDTH + 10
    assert max(len(r.label) for r in narrow.rows if r.kind == "activity") <= 22
    assert all(float(p.split(",")[0]) >= 150 for r in narrow.rows if r.bar for p in r.bar.split())


def test_phones_get_the_narrow_label_column(client, auth):
    auth.sign_in_as("member@example.org")
    wide = client.get("/timeline?working_group=WS1").get_data(as_text=True)
    phone = client.get("/timeline?working_group=WS1", headers={"Sec-CH-UA-Mobile": "?1"}).get_data(
        as_text=True
    )
    assert f'class="label-edge" x1="{LABEL_WIDTH}"' in wide
    assert 'class="label-edge" x1="150"' in phone
    forced = client.get("/timeline?working_group=WS1&labels=narrow").get_data(as_text=True)
    assert 'class="label-edge" x1="150"' in forced


def test_today_label_stays_inside_the_chart(session):
    chart = build_chart(
        session,
        ItemFilter(working_group="WS1"),
        date(2020, 12, 30),
        date(2020, 1, 1),
        date(2020, 12, 31),
    )
    assert chart.today_label_left and chart.today_x is not None
    early = build_chart(session, ItemFilter(working_group="WS1"), TEST_TODAY, date(2020, 1, 1))
    assert not early.today_label_left
