"""Progress updates: who may make them, history that is never rewritten, and edit conflicts."""

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.domain.permissions import (
    PermissionDenied,
    can_edit_workplan,
    can_manage_directory,
    can_update_progress,
)
from tracker.domain.status import MAX_NOTE, Actor, EditConflict, InvalidUpdate, update_progress
from tracker.models import Activity, Milestone, Person, Status, StatusChange


def person(session, email):
    return session.scalars(sa.select(Person).where(Person.email == email)).one()


def activity(session, code):
    return session.scalars(sa.select(Activity).where(Activity.code == code)).one()


def test_lead_updates_what_their_entity_leads(session):
    ilo = person(session, "ilo.focal-point@example.org")
    item = activity(session, "3.4")
    entry = update_progress(
        session,
        item,
        Actor.of(ilo, "web"),
        status=Status.IN_PROGRESS,
        note="Second region started",
        actual_start=date(2019, 3, 1),
    )
    assert item.status == Status.IN_PROGRESS
    assert (entry.person, entry.source, entry.from_status, entry.to_status) == (
        ilo,
        "web",
        Status.NOT_REPORTED,
        Status.IN_PROGRESS,
    )
    assert entry.details == {"actual_start": [None, "2019-03-01"]}
    assert item.progress_note == "Second region started"


def test_lead_of_another_entity_is_refused(session):
    ilo = person(session, "ilo.focal-point@example.org")
    item = activity(session, "3.7")  # IOM
    with pytest.raises(PermissionDenied):
        update_progress(session, item, Actor.of(ilo, "web"), status=Status.COMPLETED)
    assert item.status == Status.NOT_REPORTED


def test_permission_matrix(session):
    coordinator = person(session, "coordinator@example.org")
    ilo = person(session, "ilo.focal-point@example.org")
    member = person(session, "member@example.org")
    ilo_item, iom_item = activity(session, "3.4"), activity(session, "3.7")
    ifms = session.scalars(sa.select(Milestone).where(Milestone.code == "IFMS-2020")).one()
    iom = person(session, "iom.focal-point@example.org")
    assert can_update_progress(coordinator, iom_item)
    assert can_update_progress(ilo, ilo_item) and not can_update_progress(ilo, iom_item)
    assert not can_update_progress(member, ilo_item)
    assert can_update_progress(iom, ifms) and not can_update_progress(ilo, ifms)
    assert can_edit_workplan(coordinator, ilo_item.working_group)
    assert not can_edit_workplan(ilo, ilo_item.working_group)
    assert can_manage_directory(coordinator) and not can_manage_directory(member)
    coordinator.active = False
    assert not can_update_progress(coordinator, iom_item)


def test_stale_version_is_a_conflict_and_saves_nothing(session):
    ilo = person(session, "ilo.focal-point@example.org")
    item = activity(session, "3.5")
    seen = item.version
    update_progress(
        session, item, Actor.of(ilo, "web"), status=Status.IN_PROGRESS, expected_version=seen
    )
    assert item.version == seen + 1
    with pytest.raises(EditConflict):
        update_progress(
            session, item, Actor.of(ilo, "web"), status=Status.DELAYED, expected_version=seen
        )
    assert item.status == Status.IN_PROGRESS


def test_history_is_never_rewritten(session):
    entry = session.scalars(sa.select(StatusChange)).first()
    entry.note = "rewritten"
    with pytest.raises(ValueError, match="never rewritten"):
        session.flush()
    session.rollback()
    entry = session.scalars(sa.select(StatusChange)).first()
    session.delete(entry)
    with pytest.raises(ValueError, match="never rewritten"):
        session.flush()


def test_completing_a_milestone_records_the_day(session):
    iom = person(session, "iom.focal-point@example.org")
    ifms = session.scalars(sa.select(Milestone).where(Milestone.code == "IFMS-2020")).one()
    update_progress(
        session, ifms, Actor.of(iom, "slack"), status=Status.COMPLETED, today=date(2020, 1, 22)
    )
    assert ifms.completed_on == date(2020, 1, 22)
    assert ifms.history[-1].details == {"completed_on": [None, "2020-01-22"]}


def test_nothing_changed_records_nothing(session):
    ilo = person(session, "ilo.focal-point@example.org")
    item = activity(session, "3.4")
    assert update_progress(session, item, Actor.of(ilo, "web"), status=item.status) is None


def test_an_update_is_checked_where_it_is_made_whatever_the_front_end(session):
    """The form and the API once checked these; now the next front end cannot skip them."""
    ilo = person(session, "ilo.focal-point@example.org")
    item = activity(session, "3.4")
    version, before = item.version, item.progress_note
    with pytest.raises(InvalidUpdate) as long_note:
        update_progress(session, item, Actor.of(ilo, "web"), note="x" * (MAX_NOTE + 1))
    assert "at most 5000 characters" in long_note.value.fields["note"]
    update_progress(session, item, Actor.of(ilo, "web"), actual_start=date(2019, 3, 1))
    session.commit()
    with pytest.raises(InvalidUpdate) as reversed_dates:  # against the start already saved
        update_progress(session, item, Actor.of(ilo, "web"), actual_end=date(2019, 2, 1))
    assert "the end is before the start (2019-03-01)" in reversed_dates.value.fields["actual_end"]
    assert (item.actual_end, item.progress_note, item.version) == (None, before, version + 1)


def test_forms_and_the_api_show_the_domains_refusal(client, session, auth):
    from tests.test_api import token_for
    from tests.webtools import post

    item = activity(session, "3.4")
    auth.sign_in_as("ilo.focal-point@example.org")
    page = post(
        client,
        f"/activities/{item.id}/progress",
        {
            "status": "in_progress",
            "actual_start": "2020-03-01",
            "actual_end": "2020-01-01",
            "version": str(item.version),
        },
    )
    assert page.status_code == 400 and "The end is before the start (2020-03-01)." in page.text
    headers = token_for(session, "ilo.focal-point@example.org")
    answer = client.post(
        f"/api/v1/activities/{item.id}/progress",
        json={"note": "y" * (MAX_NOTE + 1), "version": item.version},
        headers=headers,
    )
    assert answer.status_code == 400
    assert "at most 5000 characters" in answer.get_json()["error"]["fields"]["note"]
    session.refresh(item)
    assert item.actual_start is None and item.status != Status.IN_PROGRESS
