"""The content version: every commit that changes the workplan moves it on once; nothing else
does. Feeds' ETags rest on it, so a missed change would leave a calendar wrong."""

from __future__ import annotations

import sqlalchemy as sa

from tests.feeds_support import token_for
from tracker.demo import generate
from tracker.domain.status import Actor, update_progress
from tracker.extensions import db
from tracker.feeds.models import FeedToken
from tracker.feeds.polls import poll_state
from tracker.feeds.services import create_token, revoke_token
from tracker.models import Activity, Entity, Person, PersonRole, Status, read_content_state

COORDINATOR = "coordinator@example.org"


def _activity(session: sa.orm.Session, code: str = "1.1") -> Activity:
    return session.scalars(sa.select(Activity).where(Activity.code == code)).first()


def test_a_commit_with_several_flushes_moves_the_version_on_once(session):
    before, at = read_content_state(session)
    activity = _activity(session)
    activity.title += " (revised)"
    session.flush()
    update_progress(session, activity, Actor.system("test", "cli"), status=Status.DELAYED)
    session.flush()
    session.commit()
    after, changed_at = read_content_state(session)
    assert after == before + 1 and changed_at >= at


def test_a_rolled_back_change_leaves_the_version(session):
    before = read_content_state(session)
    _activity(session).title = "Never saved"
    session.flush()
    session.rollback()
    session.commit()  # nothing left to write: no bump for what was rolled back
    assert read_content_state(session) == before


def test_writes_outside_the_workplan_leave_the_version(session):
    before = read_content_state(session)
    person = session.scalars(sa.select(Person).where(Person.email == COORDINATOR)).one()
    create_token(session, person, "phone")
    session.commit()
    assert read_content_state(session) == before


def test_bulk_statements_count(session):
    before, _ = read_content_state(session)
    generate(session, activities=5, milestones=5, groups=1, seed=3)
    session.commit()
    assert read_content_state(session)[0] == before + 1


def test_a_304_needs_a_token_that_still_works(client, session):
    token = token_for(session, COORDINATOR)
    url = f"/calendar/{token}/all.ics"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    row = session.scalars(sa.select(FeedToken).where(FeedToken.name == "test device")).one()
    revoke_token(session, row)
    session.commit()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 404


def test_a_change_committed_by_another_process_is_seen(empty_app):
    """Two sessions, as two web workers: one's change is the other's next version."""
    with empty_app.app_context():
        first = read_content_state(db.session)
        with sa.orm.Session(db.engine) as other:
            other.add(Entity(acronym="XYZ", name="An entity", contact_email="xyz@example.org"))
            other.commit()
        db.session.rollback()
        assert read_content_state(db.session)[0] == first[0] + 1
        db.session.remove()


# --- a poll sees a commit made elsewhere at once, whatever it remembers ------------------------


def _commit_unheard(statement: str) -> None:
    """A commit on a bare driver connection: no session of this process hears of it, as with
    a commit made by another process."""
    raw = db.engine.raw_connection()
    try:
        raw.cursor().execute(statement)
        raw.commit()
    finally:
        raw.close()


def test_a_poll_hears_of_a_commit_made_elsewhere(empty_app):
    with empty_app.app_context():
        version, _changed_at = poll_state(None)
        _commit_unheard("UPDATE content_state SET version = version + 1")
        assert poll_state(None)[0] == version + 1


def test_a_poll_hears_of_a_token_deleted_elsewhere(empty_app):
    with empty_app.app_context():
        person = Person(name="Coordinator", email=COORDINATOR, role=PersonRole.COORDINATOR)
        db.session.add(person)
        db.session.commit()
        _row, token = create_token(db.session, person, "phone")
        db.session.commit()
        db.session.remove()
        assert poll_state(token) is None  # a use to record first
        _commit_unheard("UPDATE feed_token SET last_used_at = CURRENT_TIMESTAMP")
        assert poll_state(token) is not None
        _commit_unheard("DELETE FROM feed_token")
        assert poll_state(token) is None


def test_a_commit_of_this_process_is_seen_by_the_next_poll_at_once(empty_app):
    with empty_app.app_context():
        version, _changed_at = poll_state(None)
        db.session.add(Entity(acronym="XYZ", name="An entity", contact_email="xyz@example.org"))
        db.session.commit()
        assert poll_state(None)[0] == version + 1
