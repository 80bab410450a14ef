"""Feed bodies built once per content version, shared by every app instance on the database,
sent gzip-compressed to clients that accept it; the default window; If-Modified-Since."""

from __future__ import annotations

import gzip
import threading
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_TODAY, make_app, seed
from tests.feeds_support import read_both, token_for
from tracker.domain.query import ItemFilter
from tracker.domain.status import Actor, update_progress
from tracker.extensions import db
from tracker.feeds.bodies import FeedVersion, StillBuilding, feed_body
from tracker.feeds.models import FeedBody
from tracker.feeds.polls import close_kept_connection
from tracker.feeds.services import FeedOptionError, FeedOptions
from tracker.models import Milestone, Status, read_content_state, utcnow

COORDINATOR = "coordinator@example.org"
GZIP = {"Accept-Encoding": "gzip, deflate"}


def _summaries(body: bytes) -> set[str]:
    calendar, _ = read_both(body)
    return {str(e["summary"]) for e in calendar.walk("VEVENT")}


def _complete(code: str) -> None:
    milestone = db.session.scalars(sa.select(Milestone).where(Milestone.code == code)).one()
    update_progress(
        db.session,
        milestone,
        Actor.system("test", "cli"),
        status=Status.COMPLETED,
        today=TEST_TODAY,
    )
    db.session.commit()


def _statements_on(engine: sa.Engine):  # type: ignore[no-untyped-def]
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


@pytest.fixture
def two_apps(empty_app):
    """Two app instances on one seeded database, as two web workers (or hosts) are."""
    seed(empty_app)
    other = make_app(empty_app.config["SQLALCHEMY_DATABASE_URI"])
    yield empty_app, other
    with other.app_context():
        close_kept_connection()
        db.engine.dispose()


def test_a_body_is_built_once_for_every_instance(two_apps):
    first, second = two_apps
    with first.app_context():
        token = token_for(db.session, COORDINATOR)
        db.session.remove()
    url = f"/calendar/{token}/working-groups/EGMS.ics"
    built = first.test_client().get(url, headers=GZIP)
    assert built.status_code == 200 and built.headers["Content-Encoding"] == "gzip"
    with second.app_context():
        seen = _statements_on(db.engine)
        served = second.test_client().get(url, headers=GZIP)
    # the second instance read the stored body: no statement read the items
    assert not [s for s in seen if "FROM milestone" in s], seen
    assert served.data == built.data and served.headers["ETag"] == built.headers["ETag"]
    assert served.headers["Vary"] == "Accept-Encoding"
    assert any(s.startswith("EGMS 37 ") for s in _summaries(gzip.decompress(served.data)))
    with first.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedBody)) == 1

        # a new version is built anew, once, and the feed's older body goes
        _complete("37-M2")
        db.session.remove()
    changed = second.test_client().get(url, headers=GZIP)
    assert changed.headers["ETag"] != built.headers["ETag"]
    with second.app_context():
        seen = _statements_on(db.engine)
        again = first.test_client().get(url, headers=GZIP)
        assert [r.etag for r in db.session.scalars(sa.select(FeedBody))] == [
            changed.headers["ETag"].strip('"')
        ]
    assert again.data == changed.data
    assert not [s for s in seen if "FROM milestone" in s]


@pytest.mark.parametrize(
    ("accept", "compressed"),
    [
        (None, False),
        ("identity", False),
        ("gzip;q=0, identity", False),
        ("br", False),
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
    ],
)
def test_gzip_is_sent_to_clients_that_accept_it(client, session, accept, compressed):
    token = token_for(session, COORDINATOR)
    url = f"/calendar/{token}/working-groups/WS1.ics"
    plain = client.get(url, headers={"Accept-Encoding": "identity"}).data
    assert plain.startswith(b"BEGIN:VCALENDAR")
    response = client.get(url, headers={"Accept-Encoding": accept} if accept else {})
    assert response.headers["Vary"] == "Accept-Encoding"
    if compressed:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.data) == plain
    else:
        assert "Content-Encoding" not in response.headers
        assert response.data == plain


def _wanted(version: int, etag: str) -> FeedVersion:
    return FeedVersion(etag=etag, feed_key="k" * 64, version=version, last_modified=utcnow())


def _never() -> bytes:
    raise AssertionError("a second build of the same body")


def test_one_builder_per_version_others_wait_or_get_the_previous(two_apps):
    """Two engines, as two processes: while one builds, the other does not build too."""
    first, second = two_apps
    release = threading.Event()
    results: dict[str, bytes] = {}

    def slow_build() -> bytes:
        release.wait(10)
        return b"BEGIN:VCALENDAR\r\nversion two\r\n"

    with first.app_context():
        engine_one = db.engine
        feed_body(engine_one, _wanted(1, "a" * 32), lambda: b"version one")

        def build_two() -> None:
            results["built"] = feed_body(engine_one, _wanted(2, "b" * 32), slow_build).plain()

        builder = threading.Thread(target=build_two)
        builder.start()
        with second.app_context():
            engine_two = db.engine
            deadline = time.monotonic() + 5
            while db.session.get(FeedBody, "b" * 32) is None:  # the claim is in
                assert time.monotonic() < deadline
                db.session.rollback()
                time.sleep(0.01)
            db.session.rollback()
            meanwhile = feed_body(engine_two, _wanted(2, "b" * 32), _never, wait=0.2)
            assert (meanwhile.etag, meanwhile.plain()) == ("a" * 32, b"version one")
            # a feed with no earlier body waits, then is told it is still being built
            alone = FeedVersion(etag="c" * 32, feed_key="j" * 64, version=2, last_modified=utcnow())
            with db.engine.begin() as conn:
                conn.execute(
                    sa.insert(FeedBody).values(
                        etag=alone.etag,
                        feed_key=alone.feed_key,
                        version=2,
                        last_modified=alone.last_modified,
                        claimed_at=utcnow(),
                    )
                )
            began = time.monotonic()
            with pytest.raises(StillBuilding):
                feed_body(engine_two, alone, _never, wait=0.3)
            assert time.monotonic() - began >= 0.3
            release.set()
            builder.join(10)
            assert results["built"].endswith(b"version two\r\n")
            done = feed_body(engine_two, _wanted(2, "b" * 32), _never, wait=0)
            assert done.etag == "b" * 32 and done.plain() == results["built"]
            # the feed's older body is gone once the newer is built
            assert db.session.get(FeedBody, "a" * 32) is None


def test_a_claim_left_by_a_dead_builder_is_taken_over(two_apps):
    first, _second = two_apps
    with first.app_context():
        wanted = _wanted(1, "d" * 32)
        with db.engine.begin() as conn:
            conn.execute(
                sa.insert(FeedBody).values(
                    etag=wanted.etag,
                    feed_key=wanted.feed_key,
                    version=1,
                    last_modified=wanted.last_modified,
                    claimed_at=utcnow() - timedelta(minutes=10),
                )
            )
        assert feed_body(db.engine, wanted, lambda: b"rebuilt", wait=1).plain() == b"rebuilt"


def test_a_failed_build_lets_the_next_request_try(two_apps):
    first, _second = two_apps
    with first.app_context():
        wanted = _wanted(1, "e" * 32)

        def broken() -> bytes:
            raise RuntimeError("the database went away")

        with pytest.raises(RuntimeError):
            feed_body(db.engine, wanted, broken)
        assert feed_body(db.engine, wanted, lambda: b"second try").plain() == b"second try"


def test_a_build_slower_than_the_wait_answers_503_and_goes_on(two_apps):
    """In a served app the build runs beside the request: a slow one never holds it."""
    first, _second = two_apps
    release = threading.Event()

    def slow() -> bytes:
        release.wait(10)
        return b"late but whole"

    with first.app_context():
        wanted = _wanted(1, "f" * 32)
        with pytest.raises(StillBuilding):
            feed_body(db.engine, wanted, slow, wait=0.2, app=first)
        release.set()
        deadline = time.monotonic() + 10
        while (row := db.session.get(FeedBody, wanted.etag)) is None or row.body is None:
            assert time.monotonic() < deadline
            db.session.rollback()
            time.sleep(0.02)
        assert gzip.decompress(row.body) == b"late but whole"


# --- the default window -------------------------------------------------------------------


def test_feeds_start_a_year_back_unless_asked_for_more(client, session):
    token = token_for(session, COORDINATOR)
    url = f"/calendar/{token}/all.ics"
    windowed = _summaries(client.get(url).data)
    everything = _summaries(client.get(url + "?past=all").data)
    three_months = _summaries(client.get(url + "?past=3").data)
    assert three_months < windowed < everything
    # the 2014 work programme ended years before the test's today (2020-01-10)
    assert not [s for s in windowed if s.startswith("GMG-DR ")]
    assert [s for s in everything if s.startswith("GMG-DR ")]
    # a window of the address's own replaces the default one
    own = _summaries(client.get(url + "?due_from=2014-01-01").data)
    assert [s for s in own if s.startswith("GMG-DR ")]


def test_the_window_starts_on_the_first_of_a_month():
    assert FeedOptions().window_from(TEST_TODAY) == TEST_TODAY.replace(year=2019, day=1)
    assert FeedOptions(past_months=13).window_from(TEST_TODAY).isoformat() == "2018-12-01"
    assert FeedOptions(past_months=None).window_from(TEST_TODAY) is None
    assert FeedOptions(ItemFilter(upcoming=30)).window_from(TEST_TODAY) is None
    assert FeedOptions.from_query({"past": ["all"]}).past_months is None
    assert FeedOptions.from_query({"past": ["24"]}).query() == [("past", "24")]
    assert FeedOptions.from_query({}).query() == []
    with pytest.raises(FeedOptionError, match="past"):
        FeedOptions.from_query({"past": ["forever"]})


# --- If-Modified-Since decides by version ---------------------------------------------------


def test_every_version_has_a_second_of_its_own(session):
    seconds = []
    milestone = session.scalars(sa.select(Milestone).where(Milestone.code == "37-M2")).one()
    for change in range(3):
        milestone.title = f"Change {change}"
        session.commit()
        seconds.append(read_content_state(session)[1].replace(microsecond=0))
    assert seconds[0] < seconds[1] < seconds[2]


def test_a_change_in_the_same_second_is_not_answered_304(client, session):
    """Issue 20: Last-Modified has whole seconds; a client that sends only If-Modified-Since
    must still get a change made in the second it last fetched."""
    token = token_for(session, COORDINATOR)
    url = f"/calendar/{token}/working-groups/EGMS.ics"
    milestone = session.scalars(sa.select(Milestone).where(Milestone.code == "37-M2")).one()
    for attempt in range(5):  # both changes and the fetch between them within one second
        while utcnow().microsecond > 200_000:
            time.sleep(0.005)
        began = utcnow()
        milestone.title = f"First change {attempt}"
        session.commit()
        first = client.get(url)
        milestone.title = f"Second change {attempt}"
        session.commit()
        if utcnow().replace(microsecond=0) == began.replace(microsecond=0):
            break
    else:
        pytest.fail("no two changes within one second: the machine is too busy")
    again = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 200
    assert again.headers["Last-Modified"] != first.headers["Last-Modified"]
    assert f"Second change {attempt}" in " ".join(_summaries(again.data))
    # the version's own second may lie just ahead of the clock (a date in the future is not
    # trusted): once the clock has passed it, the same date is answered 304
    modified = parsedate_to_datetime(again.headers["Last-Modified"])
    while utcnow() <= modified + timedelta(seconds=1):
        time.sleep(0.05)
    unchanged = client.get(url, headers={"If-Modified-Since": again.headers["Last-Modified"]})
    assert unchanged.status_code == 304
