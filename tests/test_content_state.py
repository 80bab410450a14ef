"""The content version: every commit that changes the workplan moves it on once; nothing else
does. Feeds' ETags rest on it, so a missed change would leave a calendar wrong."""

from __future__ import annotations

import sqlalchemy as sa

from tests.feeds_support import token_for
from tracker.demo import generate
from tracker.domain.status import Actor, update_progress
from tracker.extensions import db
from tracker.feeds.models import FeedToken
from tracker.feeds.services import create_token, revoke_token
from tracker.models import Activity, Entity, Person, Status, read_content_state

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
