"""Deadline reminders: who is reminded of what and when, exactly once, and the mail it makes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from icalendar import Calendar

from tests.conftest import TEST_TODAY
from tests.webtools import post
from tracker import mail
from tracker.demo import generate
from tracker.domain.entities import set_entities
from tracker.domain.items import ItemFilter, apply_timeline, find_items
from tracker.ical.calendar import item_event
from tracker.links import item_url
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.models import (
    Activity,
    Entity,
    EntityRole,
    GroupRole,
    Milestone,
    MilestoneKind,
    Person,
    PersonRole,
    Status,
    WorkingGroup,
    WorkingGroupEntity,
    code_sort_key,
)
from tracker.reminders import digest as digest_module
from tracker.reminders.digest import compose
from tracker.reminders.models import ReminderClaim, ReminderOptOut, ReminderRun
from tracker.reminders.run import run_scan, write_digest
from tracker.reminders.scan import already_covered, plan, reminder_due
from tracker.timeline import parse_timeline

pytest_plugins = ("tests.reminders_fixtures",)

CONTACT = "rte@example.org"
LEAD = "rte.focal-point@example.org"


@pytest.fixture
def rt(session):
    """A working group of its own, led by an entity of its own with one lead, so that the
    reminders of these tests are told apart from the seed workplans'."""
    entity = Entity(acronym="RTE", name="Reminder test entity", contact_email=CONTACT)
    group = WorkingGroup(short_name="RT", name="Reminder tests", reminder_lead_days="30,7,1,0")
    lead = Person(name="RTE focal point", email=LEAD, role=PersonRole.LEAD, entity=entity)
    member = Person(
        name="RTE member", email="rte.member@example.org", role=PersonRole.MEMBER, entity=entity
    )
    group.entity_links.append(WorkingGroupEntity(entity=entity, role=GroupRole.LEAD))
    session.add_all([entity, group, lead, member])
    session.flush()
    return group, entity, lead


def add_activity(session, group, entity, code, timeline, status=Status.PLANNED) -> Activity:
    activity = Activity(code=code, sort_key=code_sort_key(code), title=f"Activity {code}")
    session.add(activity)
    activity.working_group = group
    apply_timeline(activity, parse_timeline(timeline))
    set_entities(activity, [(entity, EntityRole.LEAD)])
    activity.status = status
    session.flush()
    return activity


def ours(digests, email=None):
    """{recipient: [(code, days_before_due)]} for the test group's items only."""
    found = {}
    for digest in digests:
        mine = sorted(
            (r.item.code, r.days_before_due)
            for r in digest.reminders
            if r.item.working_group == "RT"
        )
        if mine and (email is None or digest.recipient.email == email):
            found[digest.recipient.email] = mine
    return found


def scan(session, day, **kwargs):
    return run_scan(session, day, trigger="manual", **kwargs)


# --- the rules ----------------------------------------------------------------------------


def test_the_tightest_lead_time_reached_applies(session, rt):
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020")
    [item] = find_items(session, ItemFilter(working_group="RT"), TEST_TODAY).items
    due = date(2020, 3, 31)
    leads = (30, 7, 1, 0)
    assert reminder_due(item, due - timedelta(days=31), leads) is None
    assert reminder_due(item, due - timedelta(days=30), leads) == 30
    assert reminder_due(item, due - timedelta(days=8), leads) == 30
    assert reminder_due(item, due - timedelta(days=5), leads) == 7
    assert reminder_due(item, due, leads) == 0
    assert reminder_due(item, due + timedelta(days=3), leads) == -3
    assert reminder_due(item, due, (7, 1)) == 1  # a missed 1-day reminder still goes out


def test_what_a_claim_makes_redundant():
    assert not already_covered(7, None)
    assert already_covered(7, 7) and already_covered(7, 1) and already_covered(7, -3)
    assert not already_covered(7, 30)
    assert not already_covered(-1, 0)  # the first overdue notice follows "due today"
    assert already_covered(-7, -1) and not already_covered(-8, -1)  # weekly


def test_leads_and_lead_entity_contacts_are_reminded_not_members_or_coordinators(session):
    digests = plan(session, TEST_TODAY)
    by_recipient = {d.recipient.email: {r.item.code for r in d.reminders} for d in digests}
    # the IFMS in Cairo on 20 January 2020 is organised by UN DESA and IOM (EGMS leads)
    assert "IFMS-2020" in by_recipient["iom.focal-point@example.org"]
    assert "IFMS-2020" in by_recipient["iom@example.org"]
    assert "member@example.org" not in by_recipient
    assert "coordinator@example.org" not in by_recipient
    for digest in digests:
        for reminder in digest.reminders:
            assert reminder.item.is_open


def test_day_by_day_each_reminder_goes_out_once(session, rt):
    group, entity, _ = rt
    group.reminder_lead_days = "10,3,0"
    add_activity(session, group, entity, "1", "March 2020")  # due 31 March
    sent: dict[str, list[tuple[date, int]]] = {}
    day = date(2020, 3, 20)
    while day <= date(2020, 4, 15):
        for digest in scan(session, day).digests:
            for reminder in digest.reminders:
                if reminder.item.working_group == "RT":
                    sent.setdefault(digest.recipient.email, []).append(
                        (day, reminder.days_before_due)
                    )
        day += timedelta(days=1)
    expected = [
        (date(2020, 3, 21), 10),
        (date(2020, 3, 28), 3),
        (date(2020, 3, 31), 0),
        (date(2020, 4, 1), -1),  # weekly while overdue
        (date(2020, 4, 8), -8),
        (date(2020, 4, 15), -15),
    ]
    assert sent == {CONTACT: expected, LEAD: expected}


def test_completed_or_cancelled_items_are_not_reminded(session, rt):
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020", status=Status.COMPLETED)
    add_activity(session, group, entity, "2", "March 2020", status=Status.CANCELLED)
    add_activity(session, group, entity, "3", "January 2020", status=Status.COMPLETED)
    assert ours(plan(session, date(2020, 3, 31))) == {}
    assert ours(plan(session, date(2020, 3, 5))) == {}


def test_other_changes_never_resend_but_a_moved_due_date_earns_its_own(session, rt):
    group, entity, _ = rt
    activity = add_activity(session, group, entity, "1", "March 2020")
    first = scan(session, date(2020, 3, 25))
    assert ours(first.digests, LEAD) == {LEAD: [("1", 7)]}

    activity.title = "Renamed"
    activity.status = Status.IN_PROGRESS
    activity.description = "More words"
    session.commit()
    assert ours(scan(session, date(2020, 3, 25)).digests) == {}

    apply_timeline(activity, parse_timeline("15 April 2020"))  # moved
    session.commit()
    moved = scan(session, date(2020, 3, 25))
    assert ours(moved.digests, LEAD) == {LEAD: [("1", 30)]}
    claims = session.scalars(
        sa.select(ReminderClaim).where(
            ReminderClaim.item_id == activity.id,
            ReminderClaim.item_kind == "activity",
            ReminderClaim.recipient == LEAD,
        )
    ).all()
    assert sorted((c.due_date, c.days_before_due) for c in claims) == [
        (date(2020, 3, 31), 7),
        (date(2020, 4, 15), 30),
    ]


def test_a_scan_that_loses_the_race_sends_only_what_is_left(session, rt):
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020")
    add_activity(session, group, entity, "2", "March 2020")
    day = date(2020, 3, 25)

    def lead_digest():
        [digest] = [d for d in plan(session, day) if d.recipient.email == LEAD]
        return digest

    mine, theirs, late = lead_digest(), lead_digest(), lead_digest()
    theirs.reminders = [r for r in theirs.reminders if r.item.code == "1"]
    their_message = write_digest(session, theirs, hold=False)  # the other scan commits first
    my_message = write_digest(session, mine, hold=False)  # fails on the key, then retries
    assert [r.item.code for r in mine.reminders] == ["2"]
    owners = dict(
        session.execute(
            sa.select(ReminderClaim.item_id, ReminderClaim.outbox_message_id).where(
                ReminderClaim.recipient == LEAD
            )
        ).all()
    )
    assert sorted(owners.values()) == sorted([their_message, my_message])
    assert write_digest(session, late, hold=False) is None  # nothing left to send
    body = session.get(OutboxMessage, my_message).text_body
    assert "2 Activity 2" in body and "1 Activity 1" not in body


def test_a_clock_jump_sends_what_is_true_that_day_once(session, rt):
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020")  # due 31 March
    add_activity(session, group, entity, "2", "April 2020")  # due 30 April
    assert ours(scan(session, date(2020, 3, 20)).digests, LEAD) == {LEAD: [("1", 30)]}
    # the scheduler was down, or the clock jumped, from 20 March to 3 April
    jumped = ours(scan(session, date(2020, 4, 3)).digests, LEAD)
    assert jumped == {LEAD: [("1", -3), ("2", 30)]}  # item 1's 7-, 1- and 0-day ones are past
    assert ours(scan(session, date(2020, 4, 3)).digests) == {}
    # a run for a day in the gap, afterwards, sends nothing stale
    assert ours(scan(session, date(2020, 3, 30)).digests) == {}
    assert ours(scan(session, date(2020, 4, 9)).digests) == {}
    assert ours(scan(session, date(2020, 4, 10)).digests, LEAD) == {LEAD: [("1", -10)]}


def test_a_person_chooses_lead_times_or_none(session, rt):
    group, entity, lead = rt
    add_activity(session, group, entity, "1", "March 2020")
    lead.reminder_lead_days = "7"
    session.commit()
    assert ours(plan(session, date(2020, 3, 5))) == {CONTACT: [("1", 30)]}
    assert ours(scan(session, date(2020, 3, 24)).digests) == {
        CONTACT: [("1", 7)],
        LEAD: [("1", 7)],
    }
    lead.reminders_enabled = False
    session.commit()
    assert ours(plan(session, date(2020, 3, 30))) == {CONTACT: [("1", 1)]}


def test_the_digest_waits_for_the_recipients_hour(session, rt):
    group, entity, lead = rt
    lead.digest_hour = 23
    session.commit()
    day = datetime.now(UTC).date() + timedelta(days=3)
    add_activity(session, group, entity, "1", (day + timedelta(days=1)).strftime("%-d %B %Y"))
    report = scan(session, day, hold=True)
    waiting = dict(
        session.execute(
            sa.select(OutboxMessage.recipient, OutboxMessage.next_attempt_at).where(
                OutboxMessage.id.in_(report.message_ids)
            )
        ).all()
    )
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)  # TRACKER_TIMEZONE is UTC
    assert waiting[LEAD] == at + timedelta(hours=23)
    assert waiting[CONTACT] == at + timedelta(hours=8)  # TRACKER_DIGEST_HOUR


# --- the digest ----------------------------------------------------------------------------


def test_one_digest_per_recipient_grouped_with_links_and_calendar(session, rt):
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020")  # due 31 March: overdue on 2 April
    add_activity(session, group, entity, "2", "2 April 2020")  # due today
    add_activity(session, group, entity, "3", "8 April 2020")  # this week
    milestone = Milestone(
        working_group=group, code="M1", kind=MilestoneKind.MEETING, title="Kick-off <meeting>"
    )
    apply_timeline(milestone, parse_timeline("30 April – 1 May 2020"))
    session.add(milestone)
    session.flush()
    [digest] = [d for d in plan(session, date(2020, 4, 2)) if d.recipient.email == LEAD]
    fields = compose(digest)
    assert fields["recipient"] == LEAD
    assert fields["subject"] == (
        "Workplan reminders, 2 April 2020: 1 overdue, 1 due today, 1 due this week, 1 coming up"
    )
    text = fields["text_body"]
    assert text.index("== Overdue ==") < text.index("== Due today ==")
    assert text.index("== Due this week ==") < text.index("== Coming up ==")
    assert "Reminder tests (RT)" in text and "Hello RTE focal point," in text
    assert "1 Activity 1" in text and "activity, 2 days overdue: March 2020 (31 March 2020)" in text
    assert "meeting, due in 28 days: 30 April 2020" in text
    assert f"http://tracker.test/milestones/{milestone.id}" in text
    assert "http://tracker.test/reminders/preferences" in text
    assert "Kick-off &lt;meeting&gt;" in fields["html_body"]  # escaped in HTML
    assert "Kick-off <meeting>" in text
    [unsubscribe] = [line for line in text.splitlines() if "unsubscribe/" in line]
    assert fields["headers"]["List-Unsubscribe"] == f"<{unsubscribe.split(': ')[1]}>"
    [attachment] = fields["attachments"]
    calendar = Calendar.from_ical(attachment["content"])
    summaries = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert summaries == [
        "RT 1 due: Activity 1",
        "RT 2 due: Activity 2",
        "RT 3 due: Activity 3",
        "RT: Kick-off <meeting>",
    ]


def test_a_long_digest_lists_the_freshest_and_links_to_the_whole_list(
    session, rt, app, client, auth, monkeypatch
):
    monkeypatch.setattr(digest_module, "LISTED_PER_SECTION", 2)
    group, entity, _ = rt
    group.overdue_horizon_days = 120  # January 2020 is still reminded on 2 April
    day = date(2020, 4, 2)
    overdue = ["January 2020", "February 2020", "1 March 2020", "20 March 2020"]
    this_week = ["3 April 2020", "5 April 2020", "8 April 2020"]
    for code, timeline in enumerate([*overdue, *this_week], 1):
        add_activity(session, group, entity, str(code), timeline)
    report = scan(session, day)
    [message] = [
        session.get(OutboxMessage, i)
        for i in report.message_ids
        if session.get(OutboxMessage, i).recipient == LEAD
    ]
    assert message.subject == "Workplan reminders, 2 April 2020: 4 overdue, 3 due this week"
    text = message.text_body
    listed = sorted(line.split()[1] for line in text.splitlines() if line.startswith("- "))
    assert listed == ["3", "4", "5", "6"]  # the most recently overdue, the soonest due
    assert "The 2 most recently overdue of 4:" in text and "The 2 soonest due of 3:" in text
    whole_lists = [line for line in text.splitlines() if line.startswith("The whole list")]
    assert len(whole_lists) == 2 and message.html_body.count(">The whole list for RTE</a>") == 2
    [ics] = message.attachments
    calendar_codes = sorted(
        str(e["summary"]).split()[1] for e in Calendar.from_ical(ics["content"]).walk("VEVENT")
    )
    assert calendar_codes == listed
    claimed = session.scalar(
        sa.select(sa.func.count()).select_from(ReminderClaim).where(ReminderClaim.recipient == LEAD)
    )
    assert claimed == 7  # the reminders not listed are counted and linked: told, not pending

    monkeypatch.setitem(app.config, "TODAY", day)  # read on the day it was sent
    auth.sign_in_as(LEAD)
    for line, codes in zip(whole_lists, [range(1, 5), range(5, 8)], strict=True):
        url = urlsplit(line.split(": ", 1)[1])
        assert f"{url.scheme}://{url.netloc}" == "http://tracker.test"
        page = client.get(f"{url.path}?{url.query}")
        assert page.status_code == 200
        shown = page.get_data(as_text=True)
        assert f"{len(codes)} items match these filters" in shown
        assert all(f"Activity {code}" in shown for code in codes)


def test_links_are_the_pages_the_calendar_feed_links_to(session):
    for item in find_items(session, ItemFilter(working_group="EGMS"), TEST_TODAY).items:
        if item.due is not None:
            assert item_url(item, "http://t.test/") == str(item_event(item, "http://t.test")["url"])


def test_digests_arrive_over_smtp_with_parts_and_attachment(session, rt, app, smtp):
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020")
    report = scan(session, date(2020, 3, 24))
    app.config["SMTP_URL"] = smtp.url
    try:
        delivered = mail.deliver_pending(
            lambda: so.Session(bind=session.get_bind(), join_transaction_mode="create_savepoint"),
            app.config,
        )
    finally:
        app.config["SMTP_URL"] = None
    assert delivered.sent == len(report.message_ids) == smtp.inbox.count()
    received = {m["To"]: m for m in smtp.inbox.messages}
    assert {CONTACT, LEAD} <= set(received)
    message = received[LEAD]
    assert message["Subject"] == "Workplan reminders, 24 March 2020: 1 due this week"
    assert message["List-Unsubscribe"].startswith("<http://tracker.test/reminders/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "due in 7 days" in message.get_body(("plain",)).get_content()
    assert "<strong>due in 7 days</strong>" in message.get_body(("html",)).get_content()
    [ics] = list(message.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_filename() == "reminders-2020-03-24.ics"
    [event] = Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert str(event["summary"]) == "RT 1 due: Activity 1"


def test_server_down_for_a_while_then_back_every_digest_arrives_once(session, rt, app):
    from tests.reminders_support import SmtpServer

    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020")
    report = scan(session, date(2020, 3, 24))
    server = SmtpServer()  # its port, with nothing listening yet
    app.config["SMTP_URL"] = server.url
    clock = [datetime.now(UTC)]

    def deliver():
        return mail.deliver_pending(
            lambda: so.Session(bind=session.get_bind(), join_transaction_mode="create_savepoint"),
            app.config,
            now=lambda: clock[0],
        )

    try:
        for _ in range(3):  # three runs while the server is down: a try each, then backoff
            down = deliver()
            assert (down.sent, down.retried, down.unreachable) == (0, 1, True)
            clock[0] += timedelta(minutes=1)
        server.start()
        clock[0] += mail.BACKOFF_CAP
        back = deliver()
    finally:
        app.config["SMTP_URL"] = None
        server.stop()
    assert back.sent == len(report.message_ids) == server.inbox.count()
    ids = [m["Message-ID"] for m in server.inbox.messages]
    assert len(set(ids)) == len(ids)
    statuses = session.scalars(
        sa.select(OutboxMessage.status).where(OutboxMessage.id.in_(report.message_ids))
    ).all()
    assert set(statuses) == {MessageStatus.SENT}


# --- unsubscribe, preferences ---------------------------------------------------------------


def _unsubscribe_path(session, rt_group, entity, email):
    add_activity(session, rt_group, entity, "1", "March 2020")
    [digest] = [d for d in plan(session, date(2020, 3, 24)) if d.recipient.email == email]
    link = compose(digest)["headers"]["List-Unsubscribe"].strip("<>")
    return link.removeprefix("http://tracker.test")


def test_unsubscribe_link_works_without_signing_in_and_at_once(client, session, rt):
    group, entity, _ = rt
    path = _unsubscribe_path(session, group, entity, CONTACT)
    waiting = run_scan(session, date(2020, 3, 24), trigger="schedule", hold=True)
    page = client.get(path)
    assert page.status_code == 200 and CONTACT in page.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(ReminderOptOut)) == 0  # GET asks

    done = client.post(path, data={"action": "unsubscribe"})
    assert done.status_code == 200
    assert "No more reminders go to this address." in done.get_data(as_text=True)
    assert session.scalars(sa.select(ReminderOptOut.email)).all() == [CONTACT]
    statuses = dict(
        session.execute(
            sa.select(OutboxMessage.recipient, OutboxMessage.status).where(
                OutboxMessage.id.in_(waiting.message_ids)
            )
        ).all()
    )
    assert statuses[CONTACT] == MessageStatus.CANCELLED  # a digest still waiting is withdrawn
    assert statuses[LEAD] == MessageStatus.PENDING
    assert CONTACT not in ours(plan(session, date(2020, 3, 30)))

    client.post(path, data={"action": "resubscribe"})
    assert CONTACT in ours(plan(session, date(2020, 3, 30)))


def test_one_click_unsubscribe_of_a_person(client, session, rt):
    group, entity, lead = rt
    path = _unsubscribe_path(session, group, entity, LEAD)
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    session.refresh(lead)
    assert lead.reminders_enabled is False
    assert LEAD not in ours(plan(session, date(2020, 3, 30)))


def test_a_forged_unsubscribe_link_changes_nothing(client, session, rt):
    group, entity, _ = rt
    path = _unsubscribe_path(session, group, entity, CONTACT)
    forged = path[:-3] + ("xyz" if not path.endswith("xyz") else "abc")
    response = client.post(forged, data={"action": "unsubscribe"})
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(ReminderOptOut)) == 0


def test_preferences_need_a_signed_in_person(client):
    response = client.get("/reminders/preferences", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_preference_changes_need_the_forms_csrf_token(client, auth):
    auth.sign_in_as("ilo.focal-point@example.org")
    refused = client.post("/reminders/preferences", data={"digest_hour": "7"})
    assert refused.status_code == 400


def test_preferences_page_saves_and_rejects_bad_input(client, auth, session):
    person = auth.sign_in_as("ilo.focal-point@example.org")
    page = client.get("/reminders/preferences").get_data(as_text=True)
    assert "Send me deadline reminders" in page and "WS1: 30, 7, 1, 0" in page

    saved = post(
        client,
        "/reminders/preferences",
        {"enabled": "on", "lead_days": "14, 2", "digest_hour": "7"},
    )
    assert saved.status_code == 303
    session.refresh(person)
    assert (person.reminders_enabled, person.reminder_lead_days, person.digest_hour) == (
        True,
        "14,2",
        7,
    )
    bad = post(
        client,
        "/reminders/preferences",
        {"enabled": "on", "lead_days": "a week", "digest_hour": "9"},
    )
    assert bad.status_code == 400
    assert "Lead times: lead time &#39;a week&#39; is not a number of days" in bad.get_data(
        as_text=True
    )
    session.refresh(person)
    assert (person.reminder_lead_days, person.digest_hour) == ("14,2", 7)  # nothing half-saved

    off = post(client, "/reminders/preferences", {"lead_days": "", "digest_hour": "8"})
    assert off.status_code == 303
    session.refresh(person)
    assert (person.reminders_enabled, person.reminder_lead_days) == (False, None)


# --- the outbox page ------------------------------------------------------------------------


def test_outbox_page_is_for_coordinators(client, auth, session):
    auth.sign_in_as("member@example.org")
    assert client.get("/reminders/outbox").status_code == 403
    auth.sign_in_as("ilo.focal-point@example.org")
    assert client.get("/reminders/outbox").status_code == 403
    assert post(client, "/reminders/outbox/1/resend").status_code == 403


def test_coordinators_list_read_and_resend_failed_mail(client, auth, session, rt):
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020")
    report = scan(session, date(2020, 3, 24))
    messages = session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.id.in_(report.message_ids))
    ).all()
    failed = next(m for m in messages if m.recipient == LEAD)
    failed.status, failed.attempts = MessageStatus.FAILED, mail.MAX_ATTEMPTS
    failed.last_error = "SMTPRecipientsRefused: mailbox unavailable"
    session.commit()

    auth.sign_in_as("coordinator@example.org")
    listing = client.get("/reminders/outbox?status=failed").get_data(as_text=True)
    assert LEAD in listing and CONTACT not in listing and "failed (1)" in listing
    page = client.get(f"/reminders/outbox/{failed.id}").get_data(as_text=True)
    assert "SMTPRecipientsRefused: mailbox unavailable" in page
    assert "RT 1</a> Activity 1" in page and "7-day reminder" in page and "Resend" in page

    resent = post(client, f"/reminders/outbox/{failed.id}/resend")
    assert resent.status_code == 303
    session.refresh(failed)
    assert (failed.status, failed.attempts) == (MessageStatus.PENDING, 0)
    again = post(client, f"/reminders/outbox/{failed.id}/resend", follow_redirects=True)
    assert "only failed ones are resent" in again.get_data(as_text=True)
    assert client.get("/reminders/outbox/999999").status_code == 404


# --- cost ---------------------------------------------------------------------------------


def test_scan_query_count_does_not_grow_with_the_data(session, count_queries, rt):
    day = date(2022, 6, 1)
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "June 2022")  # so that every query finds rows

    def kinds(digests):
        """Which of the scan's queries found rows (an empty result skips its eager loads)."""
        return {(r.item.kind, r.overdue) for d in digests for r in d.reminders}

    def measure():
        # every overdue item still reminded: the horizon would hide the growth measured here
        session.execute(sa.update(WorkingGroup).values(overdue_horizon_days=3660))
        session.commit()
        session.expire_all()
        with count_queries() as planned:
            digests = plan(session, day)
        session.expire_all()
        with count_queries() as run:
            report = scan(session, day)
        # what the scan wrote goes, so that the next one is a first scan too
        ids = report.message_ids
        session.execute(sa.delete(ReminderClaim).where(ReminderClaim.outbox_message_id.in_(ids)))
        session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        return digests, planned.count, run, len(ids)

    generate(session, activities=60, milestones=150, groups=2, seed=1)
    session.commit()  # so that the scan's commit writes only what the scan wrote
    small_plan, small_plan_count, small_run, small_digests = measure()
    generate(session, activities=180, milestones=300, groups=2, seed=2)
    session.commit()
    large_plan, large_plan_count, large_run, large_digests = measure()
    assert (
        kinds(small_plan)
        == kinds(large_plan)
        == {
            ("activity", True),
            ("activity", False),
            ("milestone", True),
            ("milestone", False),
        }
    )
    small_count = sum(len(d.reminders) for d in small_plan)
    assert sum(len(d.reminders) for d in large_plan) > 2 * small_count
    assert large_plan_count == small_plan_count
    # the plan; the run's row (insert, update); per digest (per person reminded, however many
    # items) its message and its claims
    for run, digests in [(small_run, small_digests), (large_run, large_digests)]:
        assert run.count == small_plan_count + 2 + 2 * digests, run.statements


def test_runs_are_recorded(session, rt):
    scan(session, TEST_TODAY)
    run = session.scalars(sa.select(ReminderRun).order_by(ReminderRun.id.desc())).first()
    assert run.scan_date == TEST_TODAY and run.trigger == "manual"
    assert run.finished_at is not None and run.digests > 0 and run.reminders >= run.digests
    before = session.scalar(sa.select(sa.func.count()).select_from(ReminderRun))
    scan(session, TEST_TODAY, dry_run=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(ReminderRun)) == before


def test_an_unknown_lead_time_in_a_person_row_falls_back_to_the_groups(session, rt, caplog):
    group, entity, lead = rt
    add_activity(session, group, entity, "1", "March 2020")
    lead.reminder_lead_days = "soon"
    session.commit()
    assert ours(plan(session, date(2020, 3, 24)), LEAD) == {LEAD: [("1", 7)]}
    assert "using the working group's lead times" in caplog.text


def test_a_broken_lead_time_of_a_group_falls_back_to_the_default(session, rt, caplog):
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020")
    group.reminder_lead_days = "a fortnight"
    session.commit()
    assert ours(plan(session, date(2020, 3, 24)), CONTACT) == {CONTACT: [("1", 7)]}
    assert "working group RT: lead time 'a fortnight'" in caplog.text


def test_the_message_parses_as_sent(session, rt):
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "March 2020")
    report = scan(session, date(2020, 3, 24))
    stored = session.get(OutboxMessage, report.message_ids[0])
    raw = mail.build_email(stored, "workplan-tracker@example.org").as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert all(len(line) <= 998 for line in raw.splitlines())
    assert (
        parsed["List-Unsubscribe"].startswith("<http://") and "=?" not in parsed["List-Unsubscribe"]
    )
