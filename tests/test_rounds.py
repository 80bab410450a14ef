"""Reporting rounds: who reports, one request each through the outbox, chasers at the lead
times, the lead's form (drafts, submissions into the history), completion, bad input."""

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.auth import session_claims
from tracker.domain.monitoring import (
    Completion,
    ReportFields,
    RoundError,
    open_round,
    reportable_indicators,
    reportable_indicators_of,
    round_status,
    submit_report,
)
from tracker.domain.status import Actor
from tracker.mail.models import OutboxMessage
from tracker.models import Activity, Person, Status, StatusChange, WorkingGroup
from tracker.monitoring.models import IndicatorActual, ReportingRound, Risk, RoundMessage
from tracker.monitoring.requests import chase_rounds, send_requests

from .conftest import TEST_TODAY, make_app
from .reminders_support import database_copy
from .rounds_support import DUE, OPENED, import_output_3_with_k1, open_ws1_round
from .webtools import post

pytest_plugins = ("tests.reminders_fixtures",)


def person(session, email: str) -> Person:
    return session.scalars(sa.select(Person).where(Person.email == email)).one()


def activity(session, group: str, code: str) -> Activity:
    return session.scalars(
        sa.select(Activity)
        .join(WorkingGroup)
        .where(WorkingGroup.short_name == group, Activity.code == code)
    ).one()


def ws1_round(session, due: date = DUE) -> ReportingRound:
    round_ = open_ws1_round(session, person(session, "coordinator@example.org"), due)
    send_requests(session, round_, OPENED)
    session.commit()
    return round_


def requests_to(session, address: str) -> list[OutboxMessage]:
    return list(
        session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.kind == "round-request", OutboxMessage.recipient == address
            )
        )
    )


def test_each_lead_entity_reports_on_what_it_leads_in_the_period(session):
    round_ = ws1_round(session)
    ilo = sorted(i.activity.code for i in round_.items if i.entity.acronym == "ILO")
    assert ilo == ["2", "3.3", "3.4", "3.5", "3.6"]
    # 1.1 ended in November 2019, before the period: nobody reports on it
    assert "1.1" not in {i.activity.code for i in round_.items}


def test_one_request_per_lead_listing_all_its_items_and_the_form(session):
    round_ = ws1_round(session)
    [request] = requests_to(session, "ilo.focal-point@example.org")
    assert request.subject == "WS1 progress report, 2020, first half: due 15 July 2020"
    for code in ("3.3", "3.4", "3.5", "3.6"):
        assert re.search(rf"^  {re.escape(code)}  ", request.text_body, re.M)
    assert f"http://tracker.test/rounds/{round_.id}/report" in request.text_body
    # an entity without a lead of its own hears through its contact address
    assert len(requests_to(session, "fao@example.org")) == 1
    # sending again sends nothing
    assert send_requests(session, round_, OPENED) == 0


def test_chasers_at_the_groups_lead_times_then_once_after_the_due_date(session):
    round_ = ws1_round(session)
    submit_report(
        session,
        round_,
        activity(session, "WS1", "3.17"),
        Actor.of(person(session, "who.focal-point@example.org"), "web"),
        ReportFields(Status.IN_PROGRESS, "indicators drafted"),
        date(2020, 6, 2),
    )
    sent = {
        day: chase_rounds(session, day)
        for day in (date(2020, 6, 14), date(2020, 6, 15), date(2020, 6, 16))
    }
    # 30 days before: the first scan on or after 15 June; WHO still owes 3.18, so it is chased too
    assert sent == {date(2020, 6, 14): 0, date(2020, 6, 15): 12, date(2020, 6, 16): 0}
    assert chase_rounds(session, date(2020, 7, 8)) == 12
    assert chase_rounds(session, date(2020, 7, 16)) == 12
    assert chase_rounds(session, date(2020, 7, 20)) == 0  # once after the due date
    steps = session.scalars(
        sa.select(RoundMessage.step).where(RoundMessage.recipient == "ilo.focal-point@example.org")
    ).all()
    assert sorted(steps) == ["chaser-30", "chaser-7", "chaser-after", "request"]
    [after] = [
        m
        for m in requests_to(session, "ilo.focal-point@example.org")
        if m.subject.startswith("Overdue")
    ]
    assert "was due on 15 July 2020" in after.text_body


def test_an_entity_that_reported_everything_is_not_chased(session):
    round_ = ws1_round(session)
    who = person(session, "who.focal-point@example.org")
    for code in ("3.17", "3.18"):
        submit_report(
            session,
            round_,
            activity(session, "WS1", code),
            Actor.of(who, "web"),
            ReportFields(Status.IN_PROGRESS, "on track"),
            date(2020, 6, 2),
        )
    chase_rounds(session, date(2020, 7, 16))
    assert len(requests_to(session, "who.focal-point@example.org")) == 1


def test_a_report_lands_in_the_items_history_and_counts_as_reported(session):
    round_ = ws1_round(session)
    ilo = person(session, "ilo.focal-point@example.org")
    item = submit_report(
        session,
        round_,
        activity(session, "WS1", "3.4"),
        Actor.of(ilo, "web"),
        ReportFields(
            Status.IN_PROGRESS,
            "Methodology piloted in two regions.",
            risks="Survey funding",
            next_steps="Third region",
        ),
        date(2020, 7, 1),
    )
    entry = session.get(StatusChange, item.status_change_id)
    assert (
        entry.activity.code == "3.4" and entry.source == "web" and entry.actor == "ILO focal point"
    )
    assert (
        entry.note
        == "2020, first half: Methodology piloted in two regions.\nNext steps: Third region"
    )
    assert entry.details["round"] == round_.id
    risk = session.scalars(sa.select(Risk).where(Risk.activity_id == entry.activity_id)).one()
    assert (risk.description, risk.raised_by) == ("Survey funding", "ILO focal point (ILO)")
    status = round_status(session, round_, date(2020, 7, 20))
    [ilo_progress] = [e for e in status.entities if e.entity.acronym == "ILO"]
    states = {i.activity.code: c for i, c in ilo_progress.items}
    assert states["3.4"] == Completion.REPORTED and states["3.5"] == Completion.LATE
    assert ilo_progress.state == Completion.LATE


def test_bad_reports_change_nothing(session, tmp_path: Path):
    import_output_3_with_k1(session, tmp_path)
    round_ = ws1_round(session)
    ilo = Actor.of(person(session, "ilo.focal-point@example.org"), "web")
    history = session.scalar(sa.select(sa.func.count()).select_from(StatusChange))
    k1 = session.scalars(sa.select(IndicatorActual)).all()
    from tracker.monitoring.models import Indicator

    indicator = session.scalars(sa.select(Indicator).where(Indicator.code == "K1")).one()
    with pytest.raises(RoundError, match=r"K1 .*'several' is not a number"):
        submit_report(
            session,
            round_,
            activity(session, "WS1", "3.4"),
            ilo,
            ReportFields(Status.COMPLETED, "done", actuals=[(indicator.id, "several", "", "")]),
            TEST_TODAY,
        )
    with pytest.raises(RoundError, match=r"1\.1 is not in the round 2020, first half of WS1"):
        submit_report(
            session,
            round_,
            activity(session, "WS1", "1.1"),
            ilo,
            ReportFields(Status.COMPLETED, "done"),
            TEST_TODAY,
        )
    with pytest.raises(RoundError, match="say what progress"):
        submit_report(
            session,
            round_,
            activity(session, "WS1", "3.4"),
            ilo,
            ReportFields(Status.COMPLETED, " "),
            TEST_TODAY,
        )
    assert session.scalar(sa.select(sa.func.count()).select_from(StatusChange)) == history
    assert session.scalars(sa.select(IndicatorActual)).all() == k1
    assert activity(session, "WS1", "3.4").status != Status.COMPLETED
    ws1 = session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "WS1")).one()
    with pytest.raises(
        RoundError, match=r"the period ends \(2020-06-30\) before it starts \(2020-07-01\)"
    ):
        open_round(
            session,
            ws1,
            None,
            label="x",
            period_start=date(2020, 7, 1),
            period_end=date(2020, 6, 30),
            due=DUE,
            today=OPENED,
        )


def test_cli_opens_lists_shows_and_closes_a_round(runner, session):
    opened = runner.invoke(
        args=[
            "round",
            "open",
            "--working-group",
            "WS1",
            "--label",
            "2020, first half",
            "--from",
            "2020-01-01",
            "--to",
            "2020-06-30",
            "--due",
            "2020-07-15",
            "--by",
            "coordinator@example.org",
            "--today",
            "2020-06-01",
        ]
    )
    assert opened.exit_code == 0, opened.output
    assert "items from 12 lead entities, 12 requests queued" in opened.output
    listed = runner.invoke(args=["round", "list"])
    assert re.search(
        r"WS1\s+2020, first half\s+due 2020-07-15\s+open\s+0/41 reported", listed.output
    )
    status = runner.invoke(
        args=["round", "status", "2020 H1", "--working-group", "WS1", "--today", "2020-07-16"]
    )
    assert "ILO: late (0/5)" in status.output and re.search(r"3\.4\s+late", status.output)
    bad = runner.invoke(
        args=[
            "round",
            "open",
            "--working-group",
            "WS1",
            "--label",
            "later",
            "--from",
            "2020-07-01",
            "--to",
            "2020-06-30",
            "--due",
            "2020-07-15",
        ]
    )
    assert (
        bad.exit_code == 1
        and "before it starts" in bad.output
        and "nothing was changed" in bad.output
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(ReportingRound)) == 1
    closed = runner.invoke(args=["round", "close", "2020, first half", "--working-group", "WS1"])
    assert closed.exit_code == 0 and "closed round" in closed.output


def test_the_lead_sees_only_its_items_saves_a_draft_and_submits(client, session, auth):
    round_ = ws1_round(session)
    auth.sign_in_as("ilo.focal-point@example.org")
    page = client.get(f"/rounds/{round_.id}/report").get_data(as_text=True)
    assert "Implement the methodology for measuring SDG indicator 10.7.1" in page
    assert "Maintain Global Migration Data Portal" not in page  # IOM's 3.7
    item = next(i for i in round_.items if i.activity.code == "3.4" and i.entity.acronym == "ILO")
    url = f"/rounds/{round_.id}/items/{item.id}"
    draft = post(
        client, url, {"action": "draft", "status": "in_progress", "progress": "half written"}
    )
    assert draft.status_code == 302
    assert "half written" in client.get(f"/rounds/{round_.id}/report").get_data(as_text=True)
    assert item.submitted_at is None
    done = post(
        client,
        url,
        {"action": "submit", "status": "in_progress", "progress": "Piloted in two regions."},
    )
    assert done.status_code == 302
    assert activity(session, "WS1", "3.4").history[-1].note.startswith("2020, first half: Piloted")
    other = next(i for i in round_.items if i.entity.acronym == "IOM")
    assert (
        post(
            client,
            f"/rounds/{round_.id}/items/{other.id}",
            {"action": "submit", "status": "completed", "progress": "x"},
        ).status_code
        == 403
    )
    empty = post(client, url, {"action": "submit", "status": "in_progress", "progress": ""})
    assert empty.status_code == 400 and "say what progress" in empty.get_data(as_text=True)
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "1 of 41" in page
    assert "<title>WS1 2020, first half · Workplan Tracker</title>" in page


def test_a_coordinator_reports_for_one_lead_at_a_time(client, session, auth):
    round_ = ws1_round(session)
    auth.sign_in_as("coordinator@example.org")
    status_page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert f'href="/rounds/{round_.id}/report?entity=ILO">Report for ILO</a>' in status_page
    page = client.get(f"/rounds/{round_.id}/report?entity=ILO").get_data(as_text=True)
    assert "Progress report: 2020, first half, ILO" in page
    assert "Implement the methodology for measuring SDG indicator 10.7.1" in page
    assert "Maintain Global Migration Data Portal" not in page  # IOM's 3.7
    chooser = client.get(f"/rounds/{round_.id}/report").get_data(as_text=True)
    assert "Report for a lead: 2020, first half" in chooser
    assert f'href="/rounds/{round_.id}/report?entity=IOM">Report for IOM</a>' in chooser
    assert "Maintain Global Migration Data Portal" not in chooser  # no item's form
    item = next(i for i in round_.items if i.activity.code == "3.4" and i.entity.acronym == "ILO")
    url = f"/rounds/{round_.id}/items/{item.id}?entity=ILO"
    assert f'action="{url}"' in page
    draft = post(client, url, {"action": "draft", "status": "in_progress", "progress": "for ILO"})
    assert draft.status_code == 302
    assert draft.headers["Location"].endswith(f"/report?entity=ILO#item-{item.id}")
    missing = client.get(f"/rounds/{round_.id}/report?entity=NOPE")
    assert missing.status_code == 403
    assert "no items of NOPE to report on" in missing.get_data(as_text=True)

    auth.sign_in_as("ilo.focal-point@example.org")
    assert client.get(f"/rounds/{round_.id}/report?entity=IOM").status_code == 403
    assert "Report for ILO" not in client.get(f"/rounds/{round_.id}").get_data(as_text=True)


def test_a_coordinators_report_for_one_co_lead_lands_on_that_leads_row(client, session, auth):
    """1.2 has three co-leads: recording UNFPA's update marks UNFPA's row, not the first's."""
    round_ = ws1_round(session)
    rows = {i.entity.acronym: i for i in round_.items if i.activity and i.activity.code == "1.2"}
    assert {"IOM", "UN DESA", "UNFPA"} <= set(rows)
    auth.sign_in_as("coordinator@example.org")
    url = f"/rounds/{round_.id}/items/{rows['UNFPA'].id}?entity=UNFPA"
    done = post(client, url, {"action": "submit", "status": "in_progress", "progress": "UNFPA's"})
    assert done.status_code == 302
    for row in rows.values():
        session.refresh(row)
    assert rows["UNFPA"].submitted_by.email == "coordinator@example.org"
    assert rows["IOM"].submitted_at is None and rows["UN DESA"].submitted_at is None


def test_only_coordinators_open_rounds_in_the_browser(client, session, auth):
    auth.sign_in_as("ilo.focal-point@example.org")
    assert "Open a round" not in client.get("/rounds/").get_data(as_text=True)
    auth.sign_in_as("coordinator@example.org")
    response = post(
        client,
        "/rounds/",
        {
            "working_group": "WS1",
            "label": "2020, first half",
            "period_start": "2020-01-01",
            "period_end": "2020-06-30",
            "due": "2020-07-15",
        },
    )
    assert response.status_code == 302
    bad = post(
        client,
        "/rounds/",
        {
            "working_group": "WS1",
            "label": "again",
            "period_start": "2020-07-01",
            "period_end": "2020-06-30",
            "due": "2020-07-15",
        },
    )
    assert bad.status_code == 400 and "before it starts" in bad.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(ReportingRound)) == 1


def test_the_due_date_is_in_the_coordinators_calendar_feed_only(client, session):
    from tests.feeds_support import events, read_both, token_for

    round_ = ws1_round(session)
    body = client.get(f"/calendar/{token_for(session, 'coordinator@example.org')}.ics").data
    calendar, independent = read_both(body)
    event = events(calendar)[f"round-{round_.id}@workplan-tracker"]
    assert str(event["summary"]) == "WS1 progress reports due: 2020, first half"
    assert event.decoded("dtstart") == DUE
    assert any(e.uid == f"round-{round_.id}@workplan-tracker" for e in independent.events)
    lead = client.get(f"/calendar/{token_for(session, 'ilo.focal-point@example.org')}.ics").data
    assert b"round-" not in lead


def test_round_from_the_command_line_with_real_mail_and_two_leads(seeded_template, smtp, tmp_path):
    """Open at the CLI, the requests reach a real SMTP server, two leads report in the
    browser's form, and the CLI shows the completion."""
    from tracker.extensions import db
    from tracker.feeds.polls import close_kept_connection

    with database_copy(seeded_template, tmp_path) as url:
        app = make_app(url, SMTP_URL=smtp.url, TODAY=date(2020, 6, 1))
        runner = app.test_cli_runner()
        opened = runner.invoke(
            args=[
                "round",
                "open",
                "--working-group",
                "WS1",
                "--label",
                "2020, first half",
                "--from",
                "2020-01-01",
                "--to",
                "2020-06-30",
                "--due",
                "2020-07-15",
            ]
        )
        assert opened.exit_code == 0, opened.output
        sent = runner.invoke(args=["outbox", "send"])
        assert sent.exit_code == 0, sent.output
        assert smtp.inbox.count() == 12
        to_ilo = [
            m
            for m, r in zip(smtp.inbox.messages, smtp.inbox.recipients, strict=True)
            if r == ["ilo.focal-point@example.org"]
        ]
        assert len(to_ilo) == 1
        body = to_ilo[0].get_body(("plain",)).get_content()
        link = re.search(r"http://tracker.test(/rounds/\d+/report)", body).group(1)
        assert "3.4  Implement the methodology" in body
        client = app.test_client()
        for email, code, progress in (
            ("ilo.focal-point@example.org", "3.4", "Piloted in two regions."),
            ("unfpa.focal-point@example.org", "3.12", "Workshop held in Bangkok."),
        ):
            with app.app_context():
                lead = db.session.scalars(sa.select(Person).where(Person.email == email)).one()
                with client.session_transaction() as cookie:
                    cookie.update(session_claims(lead))
                round_ = db.session.scalars(sa.select(ReportingRound)).one()
                item = next(
                    i
                    for i in round_.items
                    if i.activity.code == code and i.entity_id == lead.entity_id
                )
                item_id = item.id
            assert client.get(link).status_code == 200
            answer = post(
                client,
                link.replace("/report", f"/items/{item_id}"),
                {"action": "submit", "status": "in_progress", "progress": progress},
            )
            assert answer.status_code == 302
        status = runner.invoke(args=["round", "status", "1", "--today", "2020-07-16"])
        assert "2 of 41 reported" in status.output
        assert "ILO: late (1/5)" in status.output and re.search(r"3\.12\s+reported ", status.output)
        with app.app_context():
            notes = db.session.scalars(
                sa.select(StatusChange.note)
                .where(StatusChange.source == "web")
                .order_by(StatusChange.id)
            ).all()
        with app.app_context():  # a context of its own: the one above holds a connection
            close_kept_connection()
            db.engine.dispose()
        assert notes == [
            "2020, first half: Piloted in two regions.",
            "2020, first half: Workshop held in Bangkok.",
        ]


def test_the_bot_answers_questions_about_the_round(session):
    from bot.answer import answer

    round_ = ws1_round(session)
    ilo = Actor.of(person(session, "ilo.focal-point@example.org"), "web")
    submit_report(
        session,
        round_,
        activity(session, "WS1", "3.4"),
        ilo,
        ReportFields(Status.IN_PROGRESS, "Methodology piloted in two regions."),
        date(2020, 7, 1),
    )

    def ask(question: str, today: date = date(2020, 7, 20)):
        return answer(session, question, today, base_url="http://tracker.test")

    missing = ask("who hasn't reported for 2020 H1 yet?")
    assert missing.intent == "round_missing"
    assert missing.heading.startswith(
        "WS1 2020, first half (due 15 July 2020): not yet reported: FAO (2 of 2 items, late)"
    )
    assert (
        "ILO (4 of 5 items, late)" in missing.heading
        and "WHO (2 of 2 items, late)" in missing.heading
    )
    has = ask("has ILO reported?")
    assert has.intent == "round_entity"
    assert has.heading == (
        "WS1 2020, first half (due 15 July 2020): "
        "ILO has reported on 3.4; not yet on 2, 3.3, 3.5, 3.6."
    )
    assert ask("Has WHO reported for 2020, first half?").heading.endswith(
        "no, WHO has not reported on its 2 items yet."
    )
    said = ask("what did WS1 report on the recruitment cost")
    assert said.intent == "round_said"
    [detail] = said.details
    assert detail.startswith("3.4 Implement the methodology for measuring SDG indicator 10.7.1")
    assert detail.endswith(
        "— ILO for 2020, first half: Methodology piloted in two regions. (status in progress)"
    )
    assert ask("what did WS1 report on the handbook").heading == "No WS1 item mentions 'handbook'."
    assert (
        ask("what did GMG-DR report on the handbook").details[0].endswith("— nothing reported yet.")
    )
    assert (
        ask("who hasn't reported for 2031 H1").heading == "There is no reporting round for 2031 h1."
    )
    # the general questions are understood as before
    assert ask("what does ILO lead").intent == "entity"


def test_the_api_reads_rounds_and_their_completion(client, session):
    from .test_api import token_for

    round_ = ws1_round(session)
    submit_report(
        session,
        round_,
        activity(session, "WS1", "3.4"),
        Actor.of(person(session, "ilo.focal-point@example.org"), "web"),
        ReportFields(Status.IN_PROGRESS, "Piloted."),
        date(2020, 7, 1),
    )
    session.commit()
    headers = token_for(session, "member@example.org")
    [listed] = client.get("/api/v1/rounds", headers=headers).json["rounds"]
    assert (listed["label"], listed["due"], listed["reported"], listed["items"]) == (
        "2020, first half",
        "2020-07-15",
        1,
        41,
    )
    body = client.get(f"/api/v1/rounds/{round_.id}", headers=headers).json
    [ilo] = [e for e in body["entities"] if e["entity"] == "ILO"]
    [item] = [i for i in ilo["items"] if i["code"] == "3.4"]
    assert item["state"] == "reported" and item["report"]["progress"] == "Piloted."
    assert client.get("/api/v1/rounds/999", headers=headers).status_code == 404


def test_a_rounds_form_reads_its_indicators_in_a_fixed_number_of_queries(
    session, tmp_path: Path, count_queries
):
    """The form lists every item of the round: one batch for all, the same as one by one."""
    import_output_3_with_k1(session, tmp_path)
    activities = [item.activity for item in ws1_round(session).items]
    one_by_one = {a.id: reportable_indicators(session, a) for a in activities}
    with count_queries() as counted:
        batch = reportable_indicators_of(session, activities)
    assert batch == one_by_one and any(batch.values())
    assert len(counted.statements) <= 4 < len(activities)  # per group, not per item


def egms_2019_round(session) -> ReportingRound:
    """EGMS's round for 2019, whose expert group meeting of July belongs to no activity."""
    egms = session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "EGMS")).one()
    round_ = open_round(
        session,
        egms,
        person(session, "coordinator@example.org"),
        label="2019",
        period_start=date(2019, 1, 1),
        period_end=date(2019, 12, 31),
        due=date(2020, 1, 31),
        today=date(2019, 12, 1),
    )
    send_requests(session, round_, date(2019, 12, 1))
    session.commit()
    return round_


def test_the_groups_own_meetings_are_reported_on_by_their_leads(client, session, auth):
    """No activity's report covers EGMS's expert group meeting: its lead reports on it."""
    from bot.slack.rounds import MILESTONES_BLOCK, RISKS_BLOCK, report_modal

    round_ = egms_2019_round(session)
    [meeting] = [i for i in round_.items if i.milestone is not None]
    assert (meeting.subject.code, meeting.entity.acronym) == ("EGM-2019", "UN DESA")
    assert meeting.sort_key > max(i.sort_key for i in round_.items if i.activity is not None)
    [request] = requests_to(session, "un-desa.focal-point@example.org")
    assert re.search(
        r"^  EGM-2019  Expert Group Meeting on Improving Migration Data .*"
        r"\(1-3 July 2019\) \[not yet\]$",
        request.text_body,
        re.M,
    )
    modal = report_modal(meeting)
    assert modal["title"]["text"] == "Report on EGM-2019"
    blocks = {b.get("block_id", "") for b in modal["blocks"]}
    assert MILESTONES_BLOCK not in blocks and RISKS_BLOCK not in blocks
    assert not any(b.startswith("actual-") for b in blocks)

    auth.sign_in_as("un-desa.focal-point@example.org")
    form = client.get(f"/rounds/{round_.id}/report").get_data(as_text=True)
    assert "meeting of the group, 1-3 July 2019" in form
    url = f"/rounds/{round_.id}/items/{meeting.id}"
    done = post(
        client,
        url,
        {
            "action": "submit",
            "status": "completed",
            "progress": "The meeting's report and its recommendations are published.",
            "next_steps": "Recommendations to the Statistical Commission",
        },
    )
    assert done.status_code == 302
    milestone = meeting.milestone
    session.refresh(milestone)
    assert milestone.history[-1].note == (
        "2019: The meeting's report and its recommendations are published."
        "\nNext steps: Recommendations to the Statistical Commission"
    )
    assert meeting.report["next_steps"] == "Recommendations to the Statistical Commission"
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert f'href="/milestones/{milestone.id}">Expert Group Meeting' in page
    # another entity's lead does not report on the group's meeting
    auth.sign_in_as("ilo.focal-point@example.org")
    assert (
        post(client, url, {"action": "submit", "status": "completed", "progress": "x"}).status_code
        == 403
    )

    status = round_status(session, round_, date(2020, 2, 1))
    [desa] = [e for e in status.entities if e.entity.acronym == "UN DESA"]
    assert dict((i.subject.code, c) for i, c in desa.items)["EGM-2019"] == Completion.REPORTED

    from tracker.domain.monitoring import progress_report

    report = progress_report(
        session, round_.working_group, date(2019, 1, 1), date(2019, 12, 31), date(2020, 2, 1)
    )
    [event] = [e for e in report.group_milestones if e.item.code == "EGM-2019"]
    assert [u.note for u in event.updates] == [milestone.history[-1].note]

    from bot.answer import answer

    said = answer(
        session, "what did EGMS report on the expert group meeting", date(2020, 2, 1), base_url=""
    )
    assert said.intent == "round_said"
    assert said.details[-1].startswith("EGM-2019 Expert Group Meeting on Improving Migration")
    assert said.details[-1].endswith(
        "— UN DESA for 2019: The meeting's report and its recommendations are published. "
        "(status completed)"
    )
    has = answer(session, "has UN DESA reported for 2019?", date(2020, 2, 1), base_url="")
    assert "UN DESA has reported on" in has.heading and "EGM-2019" in has.heading


def test_a_round_named_by_a_year_is_found_by_it(runner, session):
    """ "2019" is the round's label, not a round's id."""
    round_ = egms_2019_round(session)
    assert round_.id != 2019
    status = runner.invoke(args=["round", "status", "2019", "--working-group", "EGMS"])
    assert status.exit_code == 0, status.output
    assert status.output.startswith("EGMS 2019, due 31 January 2020: 0 of")
    assert re.search(r"EGM-2019\s+not yet", status.output)
    by_id = runner.invoke(args=["round", "status", str(round_.id)])
    assert by_id.exit_code == 0 and by_id.output == status.output


def test_a_key_that_is_one_rounds_id_and_anothers_label_is_refused(session):
    from tracker.domain.monitoring import find_round

    ws1 = ws1_round(session)
    egms = session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "EGMS")).one()
    other = open_round(
        session,
        egms,
        None,
        label=str(ws1.id),
        period_start=date(2019, 1, 1),
        period_end=date(2019, 12, 31),
        due=date(2020, 1, 31),
        today=date(2019, 12, 1),
    )
    with pytest.raises(RoundError, match="names several rounds: WS1 2020, first half"):
        find_round(session, None, str(ws1.id))
    assert find_round(session, egms, str(ws1.id)) is other


def test_a_cancelled_meeting_of_the_group_is_in_no_round(session):
    from tracker.models import Milestone

    session.execute(
        sa.update(Milestone).where(Milestone.code == "EGM-2019").values(status=Status.CANCELLED)
    )
    round_ = egms_2019_round(session)
    assert round_.items and all(i.milestone is None for i in round_.items)


def test_a_report_on_a_meeting_has_no_milestones_or_indicators_of_its_own(session):
    round_ = egms_2019_round(session)
    [meeting] = [i for i in round_.items if i.milestone is not None]
    desa = Actor.of(person(session, "un-desa.focal-point@example.org"), "web")
    other_milestone = session.scalars(sa.select(sa.func.min(StatusChange.milestone_id))).one()
    for fields, error in (
        (
            ReportFields(Status.COMPLETED, "held", milestones=[other_milestone]),
            f"milestone {other_milestone} is not one of EGM-2019's",
        ),
        (
            ReportFields(Status.COMPLETED, "held", actuals=[(1, "3", "", "")]),
            "indicator 1 does not measure EGM-2019's output",
        ),
        (
            ReportFields(Status.COMPLETED, "held", risks="funding"),
            "EGM-2019: a risk is raised on the activity or output it threatens",
        ),
    ):
        with pytest.raises(RoundError, match=re.escape(error)):
            submit_report(session, round_, meeting.subject, desa, fields, date(2020, 1, 10))
    assert meeting.submitted_at is None and meeting.subject.history[-1].source != "web"
