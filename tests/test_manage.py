"""Coordinators' pages: the workplan and the directory, import with preview, export."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from tests.webtools import activity, milestone, post
from tracker.manage.models import ImportUpload
from tracker.models import (
    Activity,
    Entity,
    EntityRole,
    Milestone,
    MilestoneKind,
    Person,
    PersonRole,
    Status,
    WorkingGroup,
)


def group(session, short: str) -> WorkingGroup:
    return session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == short)).one()


def test_create_a_working_group_and_coordinate_it(client, session, auth):
    me = auth.sign_in_as("coordinator@example.org")
    ilo = session.scalars(sa.select(Entity).where(Entity.acronym == "ILO")).one()
    response = post(
        client,
        "/manage/groups/new",
        {
            "short_name": "WS2",
            "name": "Thematic workstream 2",
            "objectives": "One\n\nTwo",
            "reminder_lead_days": "14, 1",
            "leads": str(ilo.id),
        },
    )
    assert response.status_code == 302
    created = group(session, "WS2")
    assert created.objective_list == ["One", "Two"] and created.reminder_lead_days == "14,1"
    assert [e.acronym for e in created.lead_entities] == ["ILO"]
    assert created in me.working_groups
    duplicate = post(client, "/manage/groups/new", {"short_name": "ws1", "name": "Again"})
    assert duplicate.status_code == 400
    assert "Another working group has this short name." in duplicate.get_data(as_text=True)
    bad_days = post(
        client, "/manage/groups/new", {"short_name": "X", "name": "X", "reminder_lead_days": "soon"}
    )
    assert bad_days.status_code == 400 and "is not a number of days" in bad_days.get_data(
        as_text=True
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(WorkingGroup)) == 6


def test_edit_a_working_group(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    ws1 = group(session, "WS1")
    page = client.get(f"/manage/groups/{ws1.id}").get_data(as_text=True)
    assert 'value="Thematic workstream 1"' in page
    leads = [str(e.id) for e in ws1.lead_entities]
    response = post(
        client,
        f"/manage/groups/{ws1.id}",
        {
            "short_name": "WS1",
            "name": "Workstream one",
            "leads": leads,
            "reminder_lead_days": "7",
        },
    )
    assert response.status_code == 302
    session.refresh(ws1)
    assert ws1.name == "Workstream one" and ws1.member_entities == []


def test_add_an_activity_and_a_sub_activity(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    ws1 = group(session, "WS1")
    response = post(
        client,
        f"/manage/groups/{ws1.id}/activities/new",
        {
            "code": "5",
            "parent": "",
            "title": "Run a <b>regional</b> workshop",
            "entities": "ILO (World Bank)",
            "timeline": "Q2 2020",
            "status": "planned",
        },
    )
    assert response.status_code == 302
    created = activity(session, "WS1", "5")
    assert (created.planned_start.isoformat(), created.planned_end.isoformat()) == (
        "2020-04-01",
        "2020-06-30",
    )
    assert {(link.entity.acronym, link.role) for link in created.entity_links} == {
        ("ILO", EntityRole.LEAD),
        ("World Bank", EntityRole.PARTNER),
    }
    assert created.history[0].note == "created" and created.status == Status.PLANNED
    child = post(
        client,
        f"/manage/groups/{ws1.id}/activities/new",
        {"code": "5.1", "parent": str(created.id), "title": "Invite", "timeline": "April 2020"},
    )
    assert child.status_code == 302
    assert activity(session, "WS1", "5.1").parent_id == created.id
    page = client.get(f"/activities/{created.id}").get_data(as_text=True)
    assert "Run a &lt;b&gt;regional&lt;/b&gt; workshop" in page and "5.1 Invite" in page


def test_bad_activity_input_is_shown_on_the_fields_and_nothing_saved(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    ws1 = group(session, "WS1")
    before = session.scalar(sa.select(sa.func.count()).select_from(Activity))
    cases = [
        ({"code": "3.4", "title": "Dup"}, "WS1 already has an item with code 3.4"),
        ({"code": "9", "title": "T", "timeline": "31 February 2020"}, "is not a real date"),
        ({"code": "9", "title": "T", "entities": "ILOO"}, "did you mean ILO"),
        ({"code": "", "title": "T"}, "This field is required."),
        ({"code": "9", "title": "T", "parent": "999999"}, "Not a valid choice"),
    ]
    for data, message in cases:
        response = post(client, f"/manage/groups/{ws1.id}/activities/new", data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), message
    assert session.scalar(sa.select(sa.func.count()).select_from(Activity)) == before


def test_edit_an_activity_keeps_history_and_detects_conflicts(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    item = activity(session, "WS1", "3.4")
    page = client.get(f"/manage/activities/{item.id}/edit").get_data(as_text=True)
    assert 'value="Ongoing – June 2020"' in page and 'name="status"' not in page
    version = item.version
    data = {
        "code": "3.4",
        "parent": str(item.parent_id),
        "title": "Recruitment cost indicator",
        "entities": "ILO; World Bank (as co-leads)",
        "timeline": "Ongoing – December 2020",
        "version": str(version),
    }
    assert post(client, f"/manage/activities/{item.id}/edit", data).status_code == 302
    session.refresh(item)
    assert item.title == "Recruitment cost indicator" and item.planned_end.month == 12
    assert item.version == version + 1
    stale = post(client, f"/manage/activities/{item.id}/edit", data | {"title": "Other"})
    assert stale.status_code == 409
    assert "Someone else changed this meanwhile" in stale.get_data(as_text=True)
    session.refresh(item)
    assert item.title == "Recruitment cost indicator"
    # its own descendants are not offered as a parent
    parent = activity(session, "WS1", "3")
    choices = client.get(f"/manage/activities/{parent.id}/edit").get_data(as_text=True)
    assert f'value="{item.id}"' not in choices


def test_add_and_edit_a_milestone(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    m4sd = group(session, "M4SD")
    response = post(
        client,
        f"/manage/groups/{m4sd.id}/milestones/new",
        {
            "code": "W2",
            "kind": "meeting",
            "activity": "",
            "title": "Second webinar",
            "date_text": "12-13 May 2020",
            "start_time": "14:00",
            "end_time": "16:00",
            "timezone": "America/New_York",
            "location": "Online",
        },
    )
    assert response.status_code == 302
    created = milestone(session, "M4SD", "W2")
    assert created.due_date.isoformat() == "2020-05-12" and created.kind == MilestoneKind.MEETING
    no_zone = post(
        client,
        f"/manage/milestones/{created.id}/edit",
        {
            "code": "W2",
            "kind": "meeting",
            "activity": "",
            "title": "T",
            "start_time": "14:00",
            "timezone": "EST5",
            "version": str(created.version),
        },
    )
    assert no_zone.status_code == 400 and "Unknown time zone" in no_zone.get_data(as_text=True)
    edited = post(
        client,
        f"/manage/milestones/{created.id}/edit",
        {
            "code": "W2",
            "kind": "deliverable",
            "activity": "",
            "title": "Report",
            "date_text": "June 2020",
            "version": str(created.version),
        },
    )
    assert edited.status_code == 302
    session.refresh(created)
    assert (
        created.kind == MilestoneKind.DELIVERABLE and created.due_date.isoformat() == "2020-06-30"
    )


def test_entities(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    response = post(
        client,
        "/manage/entities/new",
        {
            "acronym": "UNESCO",
            "name": "UN Educational, Scientific and Cultural Organization",
            "aliases": "UNESCO-UIS, UIS",
            "contact_email": "unesco@example.org",
        },
    )
    assert response.status_code == 302
    unesco = session.scalars(sa.select(Entity).where(Entity.acronym == "UNESCO")).one()
    assert sorted(a.alias for a in unesco.aliases) == ["UIS", "UNESCO-UIS"]
    clash = post(
        client,
        f"/manage/entities/{unesco.id}/edit",
        {"acronym": "UNESCO", "name": "X", "aliases": "DESA"},
    )
    assert clash.status_code == 400 and "“DESA” already names UN DESA" in clash.get_data(
        as_text=True
    )
    kept = post(
        client,
        f"/manage/entities/{unesco.id}/edit",
        {"acronym": "UNESCO", "name": "UNESCO", "aliases": "UIS"},
    )
    assert kept.status_code == 302
    session.refresh(unesco)
    assert [a.alias for a in unesco.aliases] == ["UIS"]


def test_people(client, session, auth):
    me = auth.sign_in_as("coordinator@example.org")
    ilo = session.scalars(sa.select(Entity).where(Entity.acronym == "ILO")).one()
    ws1 = group(session, "WS1")
    response = post(
        client,
        "/manage/people/new",
        {
            "name": "ILO statistician",
            "email": "ilo.stats@example.org",
            "entity": str(ilo.id),
            "role": "lead",
            "working_groups": [str(ws1.id)],
            "active": "y",
        },
    )
    assert response.status_code == 302
    person = session.scalars(sa.select(Person).where(Person.email == "ilo.stats@example.org")).one()
    assert person.role == PersonRole.LEAD and person.working_groups == [ws1] and person.active
    duplicate = post(
        client,
        "/manage/people/new",
        {"name": "Again", "email": "ILO.STATS@example.org", "entity": "", "role": "member"},
    )
    assert duplicate.status_code == 400
    deactivate_self = post(
        client,
        f"/manage/people/{me.id}/edit",
        {"name": me.name, "email": me.email, "entity": "", "role": "coordinator"},
    )
    assert deactivate_self.status_code == 400
    assert "You cannot deactivate yourself." in deactivate_self.get_data(as_text=True)


IMPORT_CSV = (
    "working_group,type,code,parent,title,entities,timeline,status\n"
    "WS1,activity,3.4,3,Recruitment costs,ILO,Ongoing – June 2020,in progress\n"
    "WS1,activity,6,,A new activity,IOM,2021,\n"
)


def upload(client, name: str, content: bytes):
    return post(
        client,
        "/manage/import",
        {"files": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data",
    )


def test_import_preview_then_apply(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    preview = upload(client, "ws1.csv", IMPORT_CSV.encode())
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "create activity WS1 6" in page and "1 to create, 1 to update, 0 unchanged" in page
    assert session.scalars(sa.select(Activity).where(Activity.code == "6")).first() is None
    upload_id = re.search(r"/manage/import/(\d+)/apply", page).group(1)
    digest = re.search(r'name="preview_digest" type="hidden" value="(\w+)"', page).group(1)
    applied = post(client, f"/manage/import/{upload_id}/apply", {"preview_digest": digest})
    assert applied.status_code == 302
    assert activity(session, "WS1", "6").title == "A new activity"
    assert activity(session, "WS1", "3.4").status == Status.IN_PROGRESS
    again = post(client, f"/manage/import/{upload_id}/apply", {"preview_digest": digest})
    assert again.status_code == 302  # applied once only
    assert session.get(ImportUpload, int(upload_id)).applied_at is not None


def test_import_that_changed_since_the_preview_is_shown_again(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    page = upload(client, "ws1.csv", IMPORT_CSV.encode()).get_data(as_text=True)
    upload_id = re.search(r"/manage/import/(\d+)/apply", page).group(1)
    digest = re.search(r'name="preview_digest" type="hidden" value="(\w+)"', page).group(1)
    activity(session, "WS1", "3.4").status = Status.IN_PROGRESS  # someone else, meanwhile
    session.commit()
    response = post(client, f"/manage/import/{upload_id}/apply", {"preview_digest": digest})
    assert response.status_code == 200
    assert "changed since the preview; nothing was applied" in response.get_data(as_text=True)
    assert session.scalars(sa.select(Activity).where(Activity.code == "6")).first() is None


def test_import_errors_are_listed_by_row_and_nothing_is_written(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    bad = IMPORT_CSV + "WS1,activity,7,,Bad,ILOO,31 February 2020,\n"
    response = upload(client, "ws1.csv", bad.encode())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "row 4" in page and "did you mean ILO" in page and "is not a real date" in page
    assert "Apply these changes" not in page
    assert session.scalars(sa.select(Activity).where(Activity.code == "6")).first() is None
    wrong_type = upload(client, "ws1.pdf", b"%PDF-1.4")
    assert wrong_type.status_code == 400
    assert "Use .csv, .xlsx, .toml, .docx, .html, .md or .txt files." in wrong_type.text
    no_table = upload(client, "ws1.txt", b"hello")
    assert no_table.status_code == 400
    assert "no table that looks like a workplan (0 table(s) found)" in no_table.text


def test_import_may_only_touch_what_the_coordinator_coordinates(client, session, auth):
    me = auth.sign_in_as("coordinator@example.org")
    me.role = PersonRole.COORDINATOR  # of EGMS only, not an administrator
    me.working_groups = [group(session, "EGMS")]
    session.commit()
    auth.sign_in_as("coordinator@example.org")  # the change of role ended the session
    response = upload(client, "ws1.csv", IMPORT_CSV.encode())
    assert response.status_code == 403
    assert "working groups changed: WS1" in response.get_data(as_text=True)
    # entities reach into every group: an administrator's
    registry = b'[[entities]]\nacronym = "UNESCO"\nname = "UNESCO"\n'
    assert upload(client, "registry.toml", registry).status_code == 403
    me.role = PersonRole.ADMINISTRATOR
    session.commit()
    auth.sign_in_as("coordinator@example.org")
    assert upload(client, "registry.toml", registry).status_code == 200
    assert session.scalars(sa.select(Activity).where(Activity.code == "6")).first() is None


def test_someone_elses_upload_cannot_be_applied(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    page = upload(client, "ws1.csv", IMPORT_CSV.encode()).get_data(as_text=True)
    upload_id = re.search(r"/manage/import/(\d+)/apply", page).group(1)
    other = session.scalars(sa.select(Person).where(Person.email == "member@example.org")).one()
    other.role = PersonRole.COORDINATOR
    session.commit()
    auth.sign_in_as("member@example.org")
    response = post(client, f"/manage/import/{upload_id}/apply", {"preview_digest": "x"})
    assert response.status_code == 403


def test_export_csv_xlsx_and_registry(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    response = client.get("/manage/export?format=csv&working_group=WS1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert (
        "attachment; filename=workplan-WS1-2020-01-10.csv"
        in response.headers["Content-Disposition"]
    )
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["working_group"] for row in table} == {"WS1"}
    assert any(r["code"] == "3.4" and r["timeline"] == "Ongoing – June 2020" for r in table)
    xlsx = client.get("/manage/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    groups = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert groups == {"EGMS", "GMG-DR", "GPMS", "M4SD", "WS1"}
    registry = client.get("/manage/export?format=toml").get_data(as_text=True)
    assert 'acronym = "ILO"' in registry
    assert client.get("/manage/export?format=pdf").status_code == 400


def test_export_only_of_coordinated_groups(client, session, auth):
    me = auth.sign_in_as("coordinator@example.org")
    me.role = PersonRole.COORDINATOR  # of EGMS only, not an administrator
    me.working_groups = [group(session, "EGMS")]
    session.commit()
    auth.sign_in_as("coordinator@example.org")
    assert client.get("/manage/export?format=csv&working_group=WS1").status_code == 403
    rows = list(csv.DictReader(io.StringIO(client.get("/manage/export?format=csv").text)))
    assert {row["working_group"] for row in rows} == {"EGMS"}


def test_milestone_count_is_unchanged_by_failed_forms(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    m4sd = group(session, "M4SD")
    before = session.scalar(sa.select(sa.func.count()).select_from(Milestone))
    response = post(
        client,
        f"/manage/groups/{m4sd.id}/milestones/new",
        {
            "code": "W9",
            "kind": "meeting",
            "activity": "",
            "title": "T",
            "start_time": "16:00",
            "end_time": "15:00",
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 400 and "Ends before it starts." in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(Milestone)) == before
