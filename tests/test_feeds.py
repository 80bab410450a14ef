"""Feed addresses over HTTP: tokens, scopes, filters, conditional requests, the page, the CLI."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.http import http_date

from tests.conftest import TEST_TODAY, seed
from tests.feeds_support import events, pin_rows, read_both, token_for
from tests.webtools import post
from tracker.demo import generate
from tracker.domain.entities import EntityDirectory, set_entities
from tracker.domain.items import ItemFilter, apply_timeline, find_items
from tracker.domain.status import Actor, update_progress
from tracker.extensions import db
from tracker.feeds.models import FeedToken
from tracker.feeds.polls import _kept_for, close_kept_connection, poll_state
from tracker.feeds.routes import NO_OPTIONS
from tracker.feeds.services import (
    USE_RECORDED_EVERY,
    FeedOptions,
    note_use,
    revoke_token,
    rotate_token,
)
from tracker.models import (
    Activity,
    EntityRole,
    Milestone,
    MilestoneKind,
    Person,
    Status,
    WorkingGroup,
    read_content_state,
    utcnow,
)
from tracker.timeline import parse_timeline

CALENDAR = "text/calendar; charset=utf-8"
COORDINATOR = "coordinator@example.org"
MEMBER = "member@example.org"  # UNICEF, in WS1


def _summaries(body):
    calendar, _ = read_both(body)
    return {str(e["summary"]) for e in calendar.walk("VEVENT")}


def _item(session, model, code):
    return session.scalars(sa.select(model).where(model.code == code)).one()


# --- what each feed holds ---------------------------------------------------------------------


def test_person_feed_holds_their_groups_and_their_entitys_items(client, session):
    token = token_for(session, MEMBER)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response.content_type == CALENDAR
    found = _summaries(response.data)
    assert any(s.startswith("WS1 3.4 due:") for s in found)  # their working group
    assert any(s.startswith("EGMS TF1 due:") for s in found)  # UNICEF takes part (OECD, UNICEF)
    assert not any(s.startswith("M4SD") for s in found)  # neither
    assert "X-WR-CALNAME:Working group member – Workplan Tracker" in response.text


def test_group_entity_and_programme_feeds(client, session):
    token = token_for(session, MEMBER)
    group = client.get(f"/calendar/{token}/working-groups/EGMS.ics")
    assert group.status_code == 200
    assert all(s.startswith("EGMS") for s in _summaries(group.data))
    entity = client.get(f"/calendar/{token}/entities/UN%20DESA.ics")
    expected = find_items(session, ItemFilter(entity="UN DESA", series=True), TEST_TODAY)
    assert len(events(read_both(entity.data)[0])) == len(
        [i for i in expected.items if i.due or i.recurrence]
    )
    everything = client.get(f"/calendar/{token}/all.ics")
    assert len(_summaries(everything.data)) > len(_summaries(group.data))
    assert client.get(f"/calendar/{token}/working-groups/NOPE.ics").status_code == 404
    assert client.get(f"/calendar/{token}/entities/UNICEFF.ics").status_code == 404


def test_list_filters_carry_into_the_feed(client, session):
    token = token_for(session, COORDINATOR)
    completed = _summaries(client.get(f"/calendar/{token}/all.ics?status=completed").data)
    assert completed and all("Cancelled" not in s for s in completed)
    assert any(s.startswith("M4SD: Global webinar") for s in completed)
    window = client.get(
        f"/calendar/{token}/working-groups/EGMS.ics?due_from=2022-01-01&due_to=2022-12-31"
    )
    # the IFMS is due in 2022 only as an occurrence: the series comes whole, with its RRULE
    assert _summaries(window.data) == {"EGMS: International Forum on Migration Statistics (IFMS)"}
    assert "RRULE:FREQ=YEARLY;INTERVAL=2" in window.text
    named = client.get(f"/calendar/{token}/all.ics?status=planned,delayed&working_group=WS1")
    assert "X-WR-CALNAME:delayed or planned · WS1 – Workplan Tracker" in named.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=finished", "unknown status 'finished'"),
        ("due_from=June", "due_from: 'June' is not a date"),
        ("due_from=2021-01-01&due_to=2020-01-01", "due_to: ends before the start"),
        ("overdue=perhaps", "overdue: 'perhaps': use 1 or 0"),
        ("upcoming=-3", "a number of days"),
        ("kind=meeting", "use activity or milestone"),
        ("working_group=EGMS", "this is already the WS1 feed"),
        ("entity=UNICEFF", "did you mean UNICEF"),
    ],
)
def test_bad_filters_are_named(client, session, query, message):
    token = token_for(session, COORDINATOR)
    response = client.get(f"/calendar/{token}/working-groups/WS1.ics?{query}")
    assert response.status_code == 400 and message in response.text


def test_unknown_parameters_are_named_and_the_lists_names_apply(client, session):
    """A feed once ignored `q=census` and served every event as if it applied."""
    token = token_for(session, COORDINATOR)
    refused = client.get(f"/calendar/{token}/working-groups/WS1.ics?v=2")
    assert refused.status_code == 400 and "v: unknown parameter" in refused.text
    listed = client.get(f"/calendar/{token}/working-groups/WS1.ics?q=census")
    older = client.get(f"/calendar/{token}/working-groups/WS1.ics?text=census")
    every = client.get(f"/calendar/{token}/working-groups/WS1.ics")
    assert listed.status_code == 200 and listed.data == older.data
    assert 0 < listed.data.count(b"BEGIN:VEVENT") < every.data.count(b"BEGIN:VEVENT")


@pytest.mark.parametrize("accept", ["text/html", "application/json", "*/*", "text/plain;q=1"])
def test_calendar_whatever_the_client_accepts(client, session, accept):
    token = token_for(session, COORDINATOR)
    response = client.get(f"/calendar/{token}.ics", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["Content-Type"] == CALENDAR


def test_public_group_feed_needs_no_token(client, session):
    assert client.get("/calendar/public/working-groups/WS1.ics").status_code == 404
    group = session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "WS1")).one()
    group.feed_public = True
    session.commit()
    response = client.get("/calendar/public/working-groups/WS1.ics")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "public, no-cache"
    token = token_for(session, COORDINATOR)
    assert response.data == client.get(f"/calendar/{token}/working-groups/WS1.ics").data
    assert client.get("/calendar/public/working-groups/EGMS.ics").status_code == 404
    unknown = client.get("/calendar/public/working-groups/WS2.ics")
    assert unknown.status_code == 404 and "WS1" not in unknown.text  # no suggestions to strangers


# --- tokens -----------------------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_die_at_once(client, session):
    token = token_for(session, COORDINATOR, "Outlook")
    row = session.scalars(sa.select(FeedToken).where(FeedToken.name == "Outlook")).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(session.execute(sa.select(FeedToken.__table__)).all())
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    assert row.last_used_at is not None
    assert client.get(f"/calendar/{token[:-1]}x.ics").status_code == 404

    person = row.person
    person.active = False
    session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    person.active = True
    session.commit()

    new = rotate_token(row)
    session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{new}/working-groups/WS1.ics").status_code == 200
    revoke_token(session, row)
    session.commit()
    assert client.get(f"/calendar/{new}.ics").status_code == 404
    assert client.get(f"/calendar/{new}/all.ics").status_code == 404


def test_page_hands_out_addresses_once(client, auth, session):
    auth.sign_in_as(COORDINATOR)
    page = client.get("/calendar/")
    assert page.status_code == 200 and "You have no calendar address yet" in page.text
    made = post(client, "/calendar/tokens", {"name": "Phone", "query": ""})
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).text
    [token] = set(re.findall(r"/calendar/([A-Za-z0-9_-]{43})\.ics", page))
    assert f'value="http://tracker.test/calendar/{token}.ics"' in page
    assert f'href="webcal://tracker.test/calendar/{token}.ics"' in page
    assert f"webcal://tracker.test/calendar/{token}/working-groups/WS1.ics" in page
    assert f"webcal://tracker.test/calendar/{token}/entities/UN%20DESA.ics" in page
    assert 'class="copy"' in page and 'src="/static/feeds.js"' in page
    with client.get("/static/feeds.js") as script:
        assert "navigator.clipboard" in script.text
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    again = client.get("/calendar/").text
    assert token not in again and "Phone" in again  # listed, never shown again

    duplicate = post(client, "/calendar/tokens", {"name": " phone "}, follow_redirects=True)
    assert "already have an address named" in duplicate.text

    row = session.scalars(sa.select(FeedToken).where(FeedToken.name == "Phone")).one()
    rotated = post(client, f"/calendar/tokens/{row.id}/rotate", follow_redirects=True).text
    [new] = set(re.findall(r"/calendar/([A-Za-z0-9_-]{43})\.ics", rotated))
    assert new != token and client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    post(client, f"/calendar/tokens/{row.id}/revoke")
    assert client.get(f"/calendar/{new}.ics").status_code == 404


def test_page_carries_the_list_filters_into_an_address(client, auth, session):
    auth.sign_in_as(MEMBER)
    query = "status=planned&working_group=WS1"
    assert "one for the list you came from: planned · WS1" in client.get(f"/calendar/?{query}").text
    page = post(
        client, "/calendar/tokens", {"name": "Laptop", "query": query}, follow_redirects=True
    ).text
    [url] = re.findall(r'value="(http://tracker.test/calendar/[^/"]+/all\.ics\?[^"]+)"', page)
    assert url.endswith("/all.ics?working_group=WS1&amp;status=planned")
    feed = client.get(url.replace("&amp;", "&").removeprefix("http://tracker.test"))
    assert feed.status_code == 200 and "planned · WS1" in feed.text


def test_tokens_are_their_owners_alone(client, auth, session):
    token_for(session, COORDINATOR, "Outlook")
    row = session.scalars(sa.select(FeedToken).where(FeedToken.name == "Outlook")).one()
    auth.sign_in_as(MEMBER)
    assert post(client, f"/calendar/tokens/{row.id}/revoke").status_code == 403
    assert post(client, f"/calendar/tokens/{row.id}/rotate").status_code == 403
    assert session.get(FeedToken, row.id) is not None


def test_members_do_not_publish_a_groups_feed(client, auth, session):
    auth.sign_in_as(MEMBER)
    assert "Make public" not in client.get("/calendar/").text
    refused = post(client, "/calendar/working-groups/WS1/public", {"public": "1"})
    assert refused.status_code == 403
    assert client.get("/calendar/public/working-groups/WS1.ics").status_code == 404


def test_coordinators_publish_their_groups_feed(client, auth, session):
    auth.sign_in_as(COORDINATOR)
    page = post(
        client, "/calendar/working-groups/WS1/public", {"public": "1"}, follow_redirects=True
    ).text
    assert "The WS1 feed is public" in page
    assert "webcal://tracker.test/calendar/public/working-groups/WS1.ics" in page
    assert client.get("/calendar/public/working-groups/WS1.ics").status_code == 200
    post(client, "/calendar/working-groups/WS1/public", {"public": "0"})
    assert client.get("/calendar/public/working-groups/WS1.ics").status_code == 404


def test_page_and_downloads_need_a_signed_in_person(client, session):
    assert client.get("/calendar/", headers={"Accept": "application/json"}).status_code == 401
    assert (
        client.get("/activities/1.ics", headers={"Accept": "application/json"}).status_code == 401
    )


# --- single downloads -------------------------------------------------------------------------


def test_each_activity_and_milestone_downloads_alone(client, auth, session):
    auth.sign_in_as(MEMBER)
    activity = _item(session, Activity, "3.4")
    response = client.get(f"/activities/{activity.id}.ics")
    assert response.status_code == 200 and response.content_type == CALENDAR
    assert response.headers["Content-Disposition"] == 'attachment; filename="WS1-3.4.ics"'
    [event] = read_both(response.data)[0].walk("VEVENT")
    assert str(event["uid"]) == f"activity-{activity.uid}@workplan-tracker"
    ifms = _item(session, Milestone, "IFMS-2020")
    series = client.get(f"/milestones/{ifms.id}.ics")
    assert "RRULE:FREQ=YEARLY;INTERVAL=2" in series.text
    undated = _item(session, Activity, "36(b)")
    missing = client.get(f"/activities/{undated.id}.ics")
    assert missing.status_code == 404 and "no date to put in a calendar" in missing.text
    assert client.get("/milestones/999999.ics").status_code == 404


# --- conditional requests ---------------------------------------------------------------------


def test_conditional_requests(client, session):
    pin_rows(session)
    token = token_for(session, COORDINATOR)
    url = f"/calendar/{token}/working-groups/EGMS.ics"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert modified == "Mon, 02 Dec 2019 08:30:00 GMT"

    def status(**headers):
        return client.get(url, headers=headers).status_code

    assert status(**{"If-None-Match": etag}) == 304
    assert status(**{"If-None-Match": f"W/{etag}"}) == 304
    assert status(**{"If-None-Match": f'"other", {etag}'}) == 304
    assert status(**{"If-None-Match": '"other"'}) == 200
    assert status(**{"If-None-Match": "*"}) == 304
    assert status(**{"If-Modified-Since": modified}) == 304
    assert status(**{"If-Modified-Since": "Sun, 01 Dec 2019 08:30:00 GMT"}) == 200
    assert status(**{"If-Modified-Since": "yesterday, more or less"}) == 200
    assert status(**{"If-Modified-Since": http_date(utcnow() + timedelta(days=1))}) == 200
    # If-None-Match decides when both are sent
    assert status(**{"If-None-Match": '"other"', "If-Modified-Since": modified}) == 200
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.data == b"" and not_modified.headers["ETag"] == etag
    assert client.head(url, headers={"If-None-Match": etag}).status_code == 304

    milestone = _item(session, Milestone, "37-M2")
    update_progress(
        session, milestone, Actor.system("test", "cli"), status=Status.COMPLETED, today=TEST_TODAY
    )
    session.commit()
    changed = client.get(url, headers={"If-None-Match": etag, "If-Modified-Since": modified})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert status(**{"If-Modified-Since": modified}) == 200
    assert status(**{"If-None-Match": changed.headers["ETag"]}) == 304


def test_a_change_of_entities_is_a_change(client, session):
    pin_rows(session)
    token = token_for(session, COORDINATOR)
    url = f"/calendar/{token}/working-groups/WS1.ics"
    first = client.get(url)
    activity = _item(session, Activity, "3.4")
    version = activity.version
    unfpa = EntityDirectory.load(session).resolve("UNFPA")
    set_entities(activity, [(unfpa, EntityRole.LEAD)], text=activity.entities_text)
    session.commit()
    assert activity.version == version + 1  # and so the event's SEQUENCE
    second = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and "Leads: UNFPA" in second.text.replace("\r\n ", "")


def test_a_deletion_is_a_change(client, session):
    group = session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "WS1")).one()
    doomed = Milestone(working_group=group, code="X", kind=MilestoneKind.DEADLINE, title="Doomed")
    apply_timeline(doomed, parse_timeline("1 March 2020"))
    session.add(doomed)
    session.commit()
    pin_rows(session)  # so that the deletion is later to the second
    token = token_for(session, COORDINATOR)
    url = f"/calendar/{token}/working-groups/WS1.ics"
    before = client.get(url)
    assert "Doomed" in before.text
    version, _ = read_content_state(session)
    session.delete(doomed)
    session.commit()
    assert read_content_state(session)[0] == version + 1
    after = client.get(url, headers={"If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200 and "Doomed" not in after.text


def test_a_feed_of_upcoming_items_changes_with_the_day(client, app, session):
    token = token_for(session, COORDINATOR)
    url = f"/calendar/{token}/all.ics?upcoming=30"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    app.config["TODAY"] = TEST_TODAY + timedelta(days=1)
    try:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 200
    finally:
        app.config["TODAY"] = TEST_TODAY


def test_query_count_does_not_grow_with_the_programme(client, session, count_queries):
    token = token_for(session, COORDINATOR)
    url = f"/calendar/{token}/all.ics"

    def measure():
        client.get(url)  # the first read records the token's use
        with count_queries() as full:
            etag = client.get(url).headers["ETag"]
        with count_queries() as cached:
            assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        return full.count, cached.count

    small = measure()
    generate(session, activities=60, milestones=120, groups=3, seed=11)
    session.commit()
    large = measure()
    assert large == small, (small, large)


def test_a_poll_is_one_statement_and_no_session(empty_app):
    """What calendar clients do all day: ask again with the ETag they hold. The statement runs
    on the kept connection's DBAPI cursor, past SQLAlchemy's statement events. On SQLite the
    next poll, with nothing written since, is answered from what the first read; PostgreSQL
    has no synchronous word of other commits, so there every poll asks again."""
    seed(empty_app)
    client = empty_app.test_client()
    with empty_app.app_context():
        token = token_for(db.session, COORDINATOR)
    url = f"/calendar/{token}/working-groups/EGMS.ics"
    etag = client.get(url).headers["ETag"]  # records the token's use: the next hour reads only
    through_engine: list[str] = []
    on_the_cursor: list[str] = []
    sessions: list[object] = []

    def statement(_conn, _cursor, sql, *_args):
        through_engine.append(sql)

    def session_opened(session, _transaction, _connection):
        sessions.append(session)

    with empty_app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", statement)
        sa.event.listen(sa.orm.Session, "after_begin", session_opened)
        kept = _kept_for(db.engine).driver
        traced = isinstance(kept, sqlite3.Connection)
        if traced:
            kept.set_trace_callback(on_the_cursor.append)
        try:
            assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
            first = list(on_the_cursor)
            asked = None if traced else _last_statement(kept.info.backend_pid)
            assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
            again = None if traced else _last_statement(kept.info.backend_pid)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", statement)
            sa.event.remove(sa.orm.Session, "after_begin", session_opened)
            if traced:
                kept.set_trace_callback(None)
    assert through_engine == [] and sessions == []
    if traced:
        assert first[0] == "PRAGMA data_version" and "content_state" in first[1]
        assert len(first) == 2 and on_the_cursor[2:] == ["PRAGMA data_version"]
    else:
        assert asked is not None and again is not None
        assert "content_state" in asked[1] and "feed_token" in asked[1]
        assert again[1] == asked[1] and again[0] > asked[0]


def _last_statement(backend_pid: int) -> tuple[object, str]:
    """When the backend began its last statement, and its text, read on a bare driver
    connection of its own, which neither statement events nor sessions see."""
    other = db.engine.raw_connection()
    try:
        cursor = other.cursor()
        cursor.execute(
            "SELECT query_start, query FROM pg_stat_activity WHERE pid = %s", (backend_pid,)
        )
        started, query = cursor.fetchone()
        return started, query
    finally:
        other.close()


def test_a_poll_reads_what_the_session_reads_and_reconnects(empty_app):
    """The cursor's rows converted as SQLAlchemy converts them; a lost connection costs one
    poll the full path, and the next poll connects anew."""
    seed(empty_app)
    with empty_app.app_context():
        token = token_for(db.session, COORDINATOR)
        row = db.session.scalars(sa.select(FeedToken)).one()
        row.last_used_at = utcnow()
        db.session.commit()
        state = read_content_state(db.session)
        db.session.rollback()
        assert poll_state(token) == state and poll_state(None) == state
        assert isinstance(state[1], datetime) and state[1].utcoffset() == timedelta(0)
        assert poll_state("no such token") is None
        lost = _kept_for(db.engine)
        if db.engine.dialect.name == "postgresql":
            pid = lost.driver.info.backend_pid
            # waits (up to 5 s) for the backend to end: the kept connection's socket is closed
            db.session.execute(sa.select(sa.func.pg_terminate_backend(pid, 5000)))
            db.session.rollback()
        else:
            lost.driver.close()
        assert poll_state(token) is None
        assert poll_state(token) == state
        assert _kept_for(db.engine) is not lost


def _is_closed(driver_connection: Any, dbapi: Any) -> bool:
    try:
        driver_connection.cursor().execute("SELECT 1")
    except dbapi.Error:
        return True
    return False


def test_a_kept_connection_is_closed_with_its_thread(empty_app):
    """A server's request thread that polled leaves no open connection when it ends."""
    seed(empty_app)
    drivers: list[Any] = []

    def request_thread() -> None:
        with empty_app.app_context():
            assert poll_state(None) is not None
            drivers.append(_kept_for(db.engine).driver)

    thread = threading.Thread(target=request_thread)
    thread.start()
    thread.join()
    with empty_app.app_context():
        assert _is_closed(drivers[0], db.engine.dialect.loaded_dbapi)


def test_a_kept_connection_outlives_a_dispose_and_then_closes(empty_app):
    """Out of the pool: a dispose neither closes it nor leaves its close to an abandoned pool
    (which left the driver's connection to the garbage collector, open)."""
    seed(empty_app)
    with empty_app.app_context():
        state = poll_state(None)
        driver = _kept_for(db.engine).driver
        db.engine.dispose()
        assert poll_state(None) == state
        close_kept_connection()
        assert _is_closed(driver, db.engine.dialect.loaded_dbapi)


def test_query_count_holds_past_the_loaders_batch_size(session, count_queries):
    """Eager loading "IN" 500 ids at a time would add a query per 500 items."""
    coordinator = session.scalars(sa.select(Person).where(Person.email == COORDINATOR)).one()
    flt = ItemFilter(series=True, person_id=coordinator.id)
    with count_queries() as small:
        find_items(session, flt, TEST_TODAY)
    generate(session, activities=520, milestones=520, groups=1, seed=12)
    coordinator.working_groups = session.scalars(sa.select(WorkingGroup)).all()
    session.flush()
    with count_queries() as large:
        page = find_items(session, flt, TEST_TODAY)
    assert page.total > 1040
    assert large.count == small.count, (small.statements, large.statements)


# --- the command line -------------------------------------------------------------------------


def test_feed_commands_manage_tokens(runner, client, session):
    made = runner.invoke(args=["feed", "create", MEMBER, "Tablet"])
    assert made.exit_code == 0, made.output
    [token] = set(re.findall(r"/calendar/([A-Za-z0-9_-]{43})\.ics", made.output))
    assert f"webcal://tracker.test/calendar/{token}/working-groups/WS1.ics" in made.output
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    listed = runner.invoke(args=["feed", "list", MEMBER])
    assert "Tablet" in listed.output and token not in listed.output
    again = runner.invoke(args=["feed", "create", MEMBER, "tablet"])
    assert again.exit_code == 1 and "already have an address named" in again.output
    rotated = runner.invoke(args=["feed", "rotate", MEMBER, "Tablet"])
    [new] = set(re.findall(r"/calendar/([A-Za-z0-9_-]{43})\.ics", rotated.output))
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert runner.invoke(args=["feed", "revoke", MEMBER, "Tablet"]).exit_code == 0
    assert client.get(f"/calendar/{new}.ics").status_code == 404
    missing = runner.invoke(args=["feed", "revoke", MEMBER, "Tablet"])
    assert missing.exit_code == 1 and "has no address named 'Tablet'" in missing.output
    stranger = runner.invoke(args=["feed", "create", "nobody@example.org", "x"])
    assert stranger.exit_code == 2 and "no person with e-mail" in stranger.output


def test_feed_public_command(runner, client, session):
    result = runner.invoke(args=["feed", "public", "ws1"])
    assert result.exit_code == 0 and "webcal://tracker.test/calendar/public" in result.output
    assert client.get("/calendar/public/working-groups/WS1.ics").status_code == 200
    runner.invoke(args=["feed", "public", "WS1", "--off"])
    assert client.get("/calendar/public/working-groups/WS1.ics").status_code == 404
    assert runner.invoke(args=["feed", "public", "WS2"]).exit_code == 2


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (["--working-group", "WS1"], "working-groups/WS1.ics"),
        (["--entity", "UN DESA"], "entities/UN%20DESA.ics"),
        ([], "all.ics"),
        (
            ["--working-group", "EGMS", "--status", "completed", "--spans"],
            "working-groups/EGMS.ics?status=completed&spans=1",
        ),
    ],
)
def test_export_writes_what_the_feed_serves(runner, client, session, tmp_path, args, path):
    token = token_for(session, COORDINATOR)
    out = tmp_path / "feed.ics"
    result = runner.invoke(args=["calendar", "export", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == client.get(f"/calendar/{token}/{path}").data
    read_both(out.read_bytes())


def test_export_names_bad_input(runner, tmp_path):
    out = tmp_path / "feed.ics"
    unknown = runner.invoke(args=["calendar", "export", "--entity", "UNICEFF", "-o", str(out)])
    assert unknown.exit_code == 1 and "did you mean UNICEF" in unknown.output
    status = runner.invoke(args=["calendar", "export", "--status", "done", "-o", str(out)])
    assert status.exit_code == 2 and "unknown status 'done'" in status.output
    assert not out.exists()


def test_options_read_back_from_their_own_query():
    args = {
        "status": ["planned,delayed", "in progress"],
        "kind": ["milestone"],
        "due_from": ["2020-01-01"],
        "upcoming": ["30"],
        "open": ["1"],
        "text": ["  census   data "],
        "entity": ["ILO"],
        "leading": ["yes"],
        "spans": ["on"],
    }
    options = FeedOptions.from_query(args)
    assert options.filter.statuses == {Status.PLANNED, Status.DELAYED, Status.IN_PROGRESS}
    assert options.filter.text == "census data" and options.filter.leading_only and options.spans
    again = {}
    for name, value in options.query():
        again.setdefault(name, []).append(value)
    assert FeedOptions.from_query(again) == options
    assert options.depends_on_today
    assert not FeedOptions(ItemFilter(statuses=options.filter.statuses)).depends_on_today
    assert FeedOptions.from_query({}) == NO_OPTIONS  # what an address without a query means


def test_use_is_recorded_at_most_hourly(session):
    token_for(session, MEMBER, "Phone")
    row = session.scalars(sa.select(FeedToken).where(FeedToken.name == "Phone")).one()
    now = utcnow()
    assert note_use(row, now) and row.last_used_at == now
    assert not note_use(row, now + USE_RECORDED_EVERY - timedelta(seconds=1))
    assert note_use(row, now + USE_RECORDED_EVERY) and row.last_used_at > now


def test_moving_a_person_to_another_group_changes_their_feed(client, session):
    pin_rows(session)
    token = token_for(session, MEMBER)
    first = client.get(f"/calendar/{token}.ics")
    member = session.scalars(sa.select(Person).where(Person.email == MEMBER)).one()
    member.working_groups = [
        session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "M4SD")).one()
    ]
    session.commit()
    second = client.get(
        f"/calendar/{token}.ics",
        headers={
            "If-None-Match": first.headers["ETag"],
            "If-Modified-Since": first.headers["Last-Modified"],
        },
    )
    assert second.status_code == 200
    assert any(s.startswith("M4SD") for s in _summaries(second.data))
    assert not any(s.startswith("WS1 3.4") for s in _summaries(second.data))
    only_since = client.get(
        f"/calendar/{token}.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert only_since.status_code == 200
