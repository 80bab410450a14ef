"""Dashboards, lists with filters, the activity and milestone pages, and progress updates."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests.webtools import activity, milestone, post
from tracker.models import Status, StatusChange


def rows(page: str) -> list[str]:
    """The codes in the first column of an items table."""
    return re.findall(r'<td data-label="Code">([^<]*)</td>', page)


def test_dashboard_counts_link_through(client, auth):
    auth.sign_in_as("member@example.org")
    page = client.get("/").get_data(as_text=True)
    assert re.search(r"<strong>6</strong> overdue", page)
    assert 'href="/items?due=overdue"' in page
    assert 'href="/items?status=completed"' in page
    # what is due in the next 30 days, linked to the item's page
    assert re.search(r'<a href="/milestones/\d+">One-day meeting of the Expert Group', page)
    # the member's entity (UNICEF) and what it leads
    assert "open, led by UNICEF" in page


def test_group_dashboard_is_scoped(client, auth):
    auth.sign_in_as("member@example.org")
    page = client.get("/groups/EGMS").get_data(as_text=True)
    assert "International Forum on Migration Statistics" in page
    assert "Thematic workstream 1" not in page
    assert 'href="/items?working_group=EGMS&amp;due=overdue"' in page
    assert client.get("/groups/NOPE").status_code == 404


def _cards(page: str) -> list[tuple[str, int, str]]:
    """(link, count, label) of every card of a dashboard."""
    found = re.findall(
        r'<li class="card[^"]*"><a href="([^"]+)"><strong>(\d+)</strong> ([^<]+)</a>', page
    )
    return [(html.unescape(href), int(n), label) for href, n, label in found]


def _listed(client, href: str) -> int:
    page = client.get(href).get_data(as_text=True)
    match = re.search(r'<p role="status">(\d+) items?', page)
    assert match, href
    return int(match.group(1))


@pytest.mark.parametrize("who", ["un-desa.focal-point@example.org", "member@example.org"])
@pytest.mark.parametrize("where", ["/", "/groups/WS1", "/groups/EGMS"])
def test_every_dashboard_card_counts_what_its_link_lists(client, auth, who, where):
    """ "24 open, led by UN DESA" once linked to 25 items, one of them completed."""
    auth.sign_in_as(who)
    cards = _cards(client.get(where).get_data(as_text=True))
    assert len(cards) >= 3 + len(Status)  # overdue, due soon, led, one per status
    for href, count, label in cards:
        assert _listed(client, href) == count, (where, label, href)


def test_recently_updated_shows_who_and_what(client, session, auth):
    auth.sign_in_as("ilo.focal-point@example.org")
    item = activity(session, "WS1", "3.4")
    response = post(
        client,
        f"/activities/{item.id}/progress",
        {"status": "in_progress", "note": "Pilot in two countries", "version": item.version},
    )
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    section = page[page.index('id="recent"') :]
    assert "WS1 3.4" in section and "ILO focal point" in section
    assert "Pilot in two countries" in section
    assert "WS1 3.4" in client.get("/groups/WS1").get_data(as_text=True)
    assert "WS1 3.4" not in client.get("/groups/EGMS").get_data(as_text=True)


def test_list_filters(client, auth):
    auth.sign_in_as("member@example.org")
    led = rows(client.get("/items?entity=ILO&leading=1").get_data(as_text=True))
    assert led == ["1.1", "3.4", "2", "3.5", "3.3", "3.6"]
    overdue = client.get("/items?due=overdue&working_group=WS1").get_data(as_text=True)
    assert set(rows(overdue)) == {"1.1", "1-M1"}
    soon = rows(client.get("/items?due=30").get_data(as_text=True))
    assert "37-M3" in soon and "4" in soon
    window = rows(client.get("/items?due_from=2020-01-01&due_to=2020-01-31").get_data(as_text=True))
    assert "37-M3" in window
    assert rows(client.get("/items?q=recruitment+cost&kind=activity").get_data(as_text=True)) == [
        "3.4"
    ]
    assert rows(client.get("/items?kind=milestone&working_group=M4SD").get_data(as_text=True)) == [
        "W1-S1",
        "W1-S2",
        "W1-R",
    ]


def test_list_filter_by_status_and_the_url_is_shareable(client, session, auth):
    auth.sign_in_as("member@example.org")
    item = activity(session, "WS1", "3.5")
    item.status = Status.DELAYED
    session.commit()
    page = client.get("/items?status=delayed&status=planned").get_data(as_text=True)
    assert rows(page) == ["3.5"]
    # the form shows the filters it was given
    assert re.search(r'value="delayed" checked', page)
    assert re.search(r'value="planned" checked', page)


def test_bad_filters_say_what_is_wrong(client, auth):
    auth.sign_in_as("member@example.org")
    response = client.get("/items?entity=ILOO&due_from=2020-13-01&status=done")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "is not a date such as 2020-01-31" in page
    assert "unknown status" in page
    response = client.get("/items?entity=ILOO")
    assert response.status_code == 400
    assert "did you mean ILO" in response.get_data(as_text=True)


def test_list_pages_through(client, auth, monkeypatch):
    from tracker.main import routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 10)
    auth.sign_in_as("member@example.org")
    first = client.get("/items?working_group=WS1").get_data(as_text=True)
    second = client.get("/items?working_group=WS1&page=2").get_data(as_text=True)
    assert len(rows(first)) == 10 and rows(second)
    assert not set(rows(first)) & set(rows(second))
    assert 'href="/items?page=2&amp;working_group=WS1"' in first


def test_activity_page_shows_timeline_entities_children_and_history(client, session, auth):
    auth.sign_in_as("member@example.org")
    parent = activity(session, "WS1", "3")
    item = activity(session, "WS1", "3.4")
    page = client.get(f"/activities/{item.id}").get_data(as_text=True)
    assert "Ongoing – June 2020" in page  # as written
    assert "from open to June 2020 (ongoing)" in page
    assert "first day open, last day 30 June 2020" in page
    assert 'ILO <span class="muted">International Labour Organization</span> – lead' in page
    assert f'href="/activities/{parent.id}"' in page  # the breadcrumb to its parent
    assert "created" in page  # the history's first entry
    assert "Update progress" not in page  # a member reads only
    parent_page = client.get(f"/activities/{parent.id}").get_data(as_text=True)
    assert f'href="/activities/{item.id}"' in parent_page  # its sub-activities
    assert client.get("/activities/999999").status_code == 404


def test_milestone_page(client, session, auth):
    auth.sign_in_as("member@example.org")
    item = milestone(session, "M4SD", "W1-S1")
    page = client.get(f"/milestones/{item.id}").get_data(as_text=True)
    assert "09:00–11:30 Europe/Paris" in page
    assert "Online" in page


def test_lead_updates_status_dates_and_note(client, session, auth):
    auth.sign_in_as("ilo.focal-point@example.org")
    item = activity(session, "WS1", "3.4")
    page = client.get(f"/activities/{item.id}").get_data(as_text=True)
    assert "Update progress" in page
    response = post(
        client,
        f"/activities/{item.id}/progress",
        {
            "status": "in_progress",
            "note": "Data collection started",
            "actual_start": "2020-01-06",
            "version": str(item.version),
        },
    )
    assert response.status_code == 302
    session.refresh(item)
    assert item.status == Status.IN_PROGRESS
    assert item.actual_start == date(2020, 1, 6)
    entry = item.history[-1]
    assert (entry.actor, entry.source, entry.from_status, entry.to_status) == (
        "ILO focal point",
        "web",
        Status.NOT_REPORTED,
        Status.IN_PROGRESS,
    )
    assert entry.details == {"actual_start": [None, "2020-01-06"]}
    history = client.get(f"/activities/{item.id}").get_data(as_text=True)
    assert "Data collection started" in history and "actual start: – → 2020-01-06" in history


def test_second_editor_gets_a_conflict_not_an_overwrite(client, session, auth):
    auth.sign_in_as("ilo.focal-point@example.org")
    item = activity(session, "WS1", "3.4")
    seen = item.version
    first = post(client, f"/activities/{item.id}/progress", {"status": "delayed", "version": seen})
    assert first.status_code == 302
    second = post(
        client,
        f"/activities/{item.id}/progress",
        {"status": "completed", "note": "All done", "version": seen},
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    conflict = re.search(r'<p class="flash error" role="alert">(.*?)</p>', page).group(1)
    assert conflict == (
        "Not saved: WS1 3.4 was changed by someone else since you opened it. Below are the "
        "latest status and history, and your entries, kept in the form: check them and save again."
    )
    assert "All done" in page  # what the lead typed is kept
    session.refresh(item)
    assert item.status == Status.DELAYED
    assert [e.to_status for e in item.history][-1] == Status.DELAYED
    # the form now carries the new version: saving again applies it deliberately
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert int(version) == item.version
    again = post(
        client,
        f"/activities/{item.id}/progress",
        {"status": "completed", "note": "All done", "version": version},
    )
    assert again.status_code == 302
    session.refresh(item)
    assert item.status == Status.COMPLETED


def test_bad_update_gets_the_form_back_and_saves_nothing(client, session, auth):
    auth.sign_in_as("ilo.focal-point@example.org")
    item = activity(session, "WS1", "3.4")
    before = len(item.history)
    response = post(
        client,
        f"/activities/{item.id}/progress",
        {
            "status": "completed",
            "actual_start": "2020-02-01",
            "actual_end": "2020-01-01",
            "version": item.version,
        },
    )
    assert response.status_code == 400
    assert "The end is before the start (2020-02-01)." in response.get_data(as_text=True)
    response = post(
        client, f"/activities/{item.id}/progress", {"status": "finished", "version": item.version}
    )
    assert response.status_code == 400
    session.refresh(item)
    assert item.status == Status.NOT_REPORTED and len(item.history) == before


def test_milestone_completion_is_dated(client, session, auth):
    auth.sign_in_as("iom.focal-point@example.org")
    item = milestone(session, "EGMS", "37-M3")
    response = post(
        client, f"/milestones/{item.id}/progress", {"status": "completed", "version": item.version}
    )
    assert response.status_code == 302
    session.refresh(item)
    assert item.status == Status.COMPLETED and item.completed_on == date(2020, 1, 10)


def test_who_may_update(client, session, auth):
    item = activity(session, "WS1", "3.4")  # ILO leads
    for email, expected in [
        ("member@example.org", 403),
        ("who.focal-point@example.org", 403),
        ("coordinator@example.org", 302),
    ]:
        auth.sign_in_as(email)
        response = post(
            client,
            f"/activities/{item.id}/progress",
            {"status": "planned", "version": activity(session, "WS1", "3.4").version},
        )
        assert response.status_code == expected, email
    assert (
        session.scalar(
            sa.select(sa.func.count()).where(
                StatusChange.activity_id == item.id, StatusChange.source == "web"
            )
        )
        == 1
    )


def test_timeline_page(client, auth):
    auth.sign_in_as("member@example.org")
    page = client.get("/timeline?working_group=WS1").get_data(as_text=True)
    assert "<svg" in page and 'class="today"' in page
    assert client.get("/timeline?from=2020-13").status_code == 400
    assert client.get("/timeline?from=2021&to=2020").status_code == 400


def test_the_timeline_is_drawn_once_per_content_state(client, session, auth, count_queries):
    """A second view while nothing changed reads no rows; a change shows at once."""
    auth.sign_in_as("member@example.org")
    url = "/timeline?working_group=WS1&from=2019-03-01"  # a chart no other test drew

    def reads_items(counted) -> bool:
        return any("FROM activity" in statement for statement in counted.statements)

    with count_queries() as first:
        page = client.get(url).get_data(as_text=True)
    with count_queries() as again:
        assert client.get(url).get_data(as_text=True) == page
    assert reads_items(first) and not reads_items(again)
    item = activity(session, "WS1", "3.4")
    item.title = "Recruitment costs, redrawn"
    session.commit()
    assert "Recruitment costs, redrawn" in client.get(url).get_data(as_text=True)


def test_phone_layout_and_accessibility_basics(client, auth):
    auth.sign_in_as("ilo.focal-point@example.org")
    page = client.get("/items").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<a class="skip" href="#content">' in page
    # every form control has a label
    for control_id in re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', page):
        assert f'for="{control_id}"' in page, control_id


def test_item_pages_offer_their_calendar_file_and_the_nav_every_feature(client, auth, session):
    auth.sign_in_as("member@example.org")
    item = activity(session, "WS1", "3.4")
    page = client.get(f"/activities/{item.id}").get_data(as_text=True)
    assert f'href="/activities/{item.id}.ics"' in page
    for target in ("/chat", "/calendar/", "/items", "/timeline", "/reminders/preferences"):
        assert f'href="{target}"' in page
    ifms = milestone(session, "EGMS", "IFMS-2020")
    page = client.get(f"/milestones/{ifms.id}").get_data(as_text=True)
    assert f'href="/milestones/{ifms.id}.ics"' in page
    download = client.get(f"/milestones/{ifms.id}.ics")
    assert download.status_code == 200 and b"BEGIN:VEVENT" in download.data


@pytest.mark.parametrize(
    "query", ["", "working_group=EGMS", "due_from=2019-01-01&due_to=2030-12-31"]
)
def test_pages_cut_in_sql_add_up_to_the_whole_list(client, auth, query):
    """Every page from its OFFSET, recurring items' occurrences among the rows, in one order."""
    auth.sign_in_as("member@example.org")
    whole = client.get(f"/items?per_page=500&{query}").get_data(as_text=True)
    total = int(re.search(r'<p role="status">(\d+) items?', whole).group(1))
    paged: list[str] = []
    for page in range(1, (total + 6) // 7 + 1):
        found = rows(client.get(f"/items?per_page=7&page={page}&{query}").get_data(as_text=True))
        assert len(found) == min(7, total - len(paged)), page
        paged += found
    assert paged == rows(whole) and len(paged) == total
    assert client.get(f"/items?per_page=7&page=999&{query}").status_code == 200
    last = client.get(f"/items?per_page=7&page=2&{query}").get_data(as_text=True)
    assert 'aria-current="page">2<' in last and 'rel="prev"' in last


def test_paging_parameters_are_checked(client, auth):
    auth.sign_in_as("member@example.org")
    response = client.get("/items?page=0")
    assert response.status_code == 400
    assert "page: '0': a whole number" in html.unescape(response.text)
