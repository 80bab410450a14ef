"""Reminders nobody wants: past its working group's overdue horizon an item gets no more
notices, so a first scan of old workplans sends no backlog; coordinators still get everything
overdue when they ask; `--dry-run --verbose` says why each item was left out."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from tests.test_reminders import CONTACT, LEAD, add_activity, ours, rt, scan  # noqa: F401
from tracker.domain.items import overdue
from tracker.exchange import import_files
from tracker.extensions import db
from tracker.mail.models import OutboxMessage
from tracker.models import WorkingGroup
from tracker.reminders import scheduler
from tracker.reminders.models import ReminderClaim
from tracker.reminders.scan import plan, reminder_due

pytest_plugins = ("tests.reminders_fixtures",)

#: The day the backlog was found: the seed workplans (2014-2021) are years overdue.
LONG_AFTER = date(2026, 12, 7)


def test_an_item_overdue_past_the_horizon_gets_no_notice(session, rt):  # noqa: F811
    group, entity, _ = rt
    add_activity(session, group, entity, "1", "October 2019")  # due 31 October 2019
    day = date(2019, 10, 31) + timedelta(days=60)
    assert ours(plan(session, day), LEAD) == {LEAD: [("1", -60)]}
    assert ours(plan(session, day + timedelta(days=1))) == {}
    group.overdue_horizon_days = 90
    session.flush()
    assert ours(plan(session, day + timedelta(days=1)), LEAD) == {LEAD: [("1", -61)]}
    [item] = [i for i in overdue(session, day).items if i.working_group == "RT"]
    assert reminder_due(item, day + timedelta(days=1), (30, 7, 1, 0), 60) is None
    assert reminder_due(item, day, (30, 7, 1, 0), 60) == -60


def test_the_catch_up_scan_of_a_fresh_seeded_database_claims_no_backlog(committed_app):
    """The scheduler's first start on the seeds, years after them: nothing years overdue."""
    committed_app.config["TODAY"] = LONG_AFTER
    with committed_app.app_context():
        years_overdue = [
            i
            for i in overdue(db.session, LONG_AFTER).items
            if i.due and (LONG_AFTER - i.due).days > 365
        ]
        assert len(years_overdue) > 20  # the dashboard still counts every one of them
        assert scheduler.configure(BackgroundScheduler(), committed_app) is True  # a catch-up
        scheduler.scan_job(trigger="catch-up")
        claims = db.session.scalars(sa.select(ReminderClaim.days_before_due)).all()
        assert all(days >= -60 for days in claims), claims
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == len(
            {c for c in db.session.scalars(sa.select(ReminderClaim.outbox_message_id))}
        )


def test_importing_an_old_workplan_sends_no_backlog(committed_app, tmp_path):
    workplan = tmp_path / "old.csv"
    workplan.write_text(
        "working_group,code,title,entities,timeline\n"
        "WS1,OLD-1,A survey long finished,ILO,March 2016\n"
        "WS1,NEW-1,A report due soon,ILO,7 December 2026\n",
        encoding="utf-8",
    )
    with committed_app.app_context():
        import_files(db.session, [workplan], LONG_AFTER)
        db.session.commit()
        [ilo] = [d for d in plan(db.session, LONG_AFTER) if d.recipient.email.startswith("ilo.")]
        assert [(r.item.code, r.days_before_due) for r in ilo.reminders] == [("NEW-1", 0)]


def test_a_dry_run_says_why_each_item_was_left_out(committed_app):
    runner = committed_app.test_cli_runner()
    runner.invoke(args=["reminders", "run"])  # 10 January 2020's reminders are claimed
    result = runner.invoke(args=["reminders", "run", "--dry-run", "--verbose"])
    assert result.exit_code == 0, result.output
    skipped = result.output.split("skipped ", 1)[1]
    assert "WS1 1.1 for ilo.focal-point@example.org: already reminded this week" in skipped
    assert "EGMS 37 for iom@example.org: already reminded\n" in skipped
    assert "GMG-DR NS-1: nobody to remind: no entity leads it" in skipped
    assert "dry run: nothing was written or sent" in result.output
    later = runner.invoke(args=["reminders", "run", "--dry-run", "-v", "--today", "2020-03-20"])
    assert (
        "WS1 1.1 for ilo.focal-point@example.org: overdue 111 days, past WS1's horizon of "
        "60 days (still on the dashboard and in `tracker reminders overdue`)"
    ) in later.output
    quiet = runner.invoke(args=["reminders", "run", "--dry-run"])
    assert "skipped" not in quiet.output


def test_a_coordinator_asks_for_everything_overdue_over_smtp(committed_app, smtp):
    committed_app.config["SMTP_URL"] = smtp.url
    runner = committed_app.test_cli_runner()
    backlog = runner.invoke(args=["reminders", "run", "--today", LONG_AFTER.isoformat()])
    assert backlog.exit_code == 0, backlog.output
    # no notice of what the seeds left overdue years ago; a milestone of a yearly series is due
    assert all("overdue" not in m.get_body(("plain",)).get_content() for m in smtp.inbox.messages)
    smtp.inbox.messages.clear()
    with committed_app.app_context():
        claims = db.session.scalar(sa.select(sa.func.count()).select_from(ReminderClaim))
    asked = runner.invoke(
        args=[
            "reminders",
            "overdue",
            "--to",
            "coordinator@example.org",
            "--working-group",
            "WS1",
            "--today",
            LONG_AFTER.isoformat(),
        ]
    )
    assert asked.exit_code == 0, asked.output
    assert "sent 1, to retry 0, failed 0" in asked.output
    [message] = smtp.inbox.messages
    assert message["To"] == "coordinator@example.org"
    body = message.get_body(("plain",)).get_content()
    assert "Everything overdue in WS1, as you asked, as of 7 December 2026." in body
    assert "- 3.4 " in body and "days overdue" in body
    with committed_app.app_context():
        # it claims nothing: the daily reminders go on as they would have
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderClaim)) == claims
    refused = runner.invoke(args=["reminders", "overdue", "--to", "member@example.org"])
    assert refused.exit_code != 0 and "coordinates no working group" in refused.output


@pytest.mark.parametrize(("value", "ok"), [(0, True), (365, True), (-1, False), ("60", False)])
def test_the_horizon_is_set_in_the_registry(empty_app, tmp_path, value, ok):
    registry = tmp_path / "registry.toml"
    registry.write_text(
        f'[[working_groups]]\nshort_name = "HZ"\nname = "Horizon"\n'
        f"overdue_horizon_days = {value if isinstance(value, int) else repr(value)}\n".replace(
            "'", '"'
        ),
        encoding="utf-8",
    )
    from tracker.cli.workplan import create_schema
    from tracker.exchange import ImportFailed

    with empty_app.app_context():
        create_schema()
        if ok:
            import_files(db.session, [registry], LONG_AFTER)
            group = db.session.scalars(sa.select(WorkingGroup)).one()
            assert group.overdue_horizon_days == value
        else:
            with pytest.raises(ImportFailed, match="overdue_horizon_days"):
                import_files(db.session, [registry], LONG_AFTER)
