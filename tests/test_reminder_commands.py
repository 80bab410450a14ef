"""`tracker reminders run/status` and `tracker outbox ...`, on a database they commit to."""

from __future__ import annotations

import sqlalchemy as sa

from tests.reminders_support import run_on_a_terminal, tracker_env
from tests.test_mail import free_port
from tracker.extensions import db
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.reminders.models import ReminderClaim, ReminderRun

pytest_plugins = ("tests.reminders_fixtures",)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_a_dry_run_shows_the_digests_and_writes_nothing(committed_app):
    result = committed_app.test_cli_runner().invoke(args=["reminders", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "iom.focal-point@example.org: 6 reminder(s)" in result.output
    assert "30-day reminder  EGMS IFMS-2020 International Forum" in result.output
    assert "(due in 10 days)" in result.output and "overdue notice" in result.output
    assert "26 reminder(s) in 14 digest(s) for 2020-01-10" in result.output
    assert "dry run: nothing was written or sent" in result.output
    assert count(committed_app, OutboxMessage) == count(committed_app, ReminderRun) == 0


def test_run_sends_now_and_a_second_run_sends_nothing(committed_app, smtp):
    committed_app.config["SMTP_URL"] = smtp.url
    runner = committed_app.test_cli_runner()
    first = runner.invoke(args=["reminders", "run"])
    assert first.exit_code == 0, first.output
    assert "sent 14, to retry 0, failed 0" in first.output
    assert "writing digests" not in first.output  # no progress bar where there is no terminal
    assert first.output.count(" reminder(s)\n") == 14  # a line per digest, none per reminder
    assert "-day reminder" not in first.output and "overdue notice" not in first.output
    assert smtp.inbox.count() == 14
    again = runner.invoke(args=["reminders", "run"])
    assert "0 reminder(s) in 0 digest(s)" in again.output and "sent 0" in again.output
    assert smtp.inbox.count() == 14
    assert count(committed_app, ReminderClaim) == 26

    later = runner.invoke(args=["reminders", "run", "--today", "2020-01-13", "--dry-run"])
    assert "7-day reminder   EGMS IFMS-2020" in later.output  # 20 January is a week away

    status = runner.invoke(args=["reminders", "status"])
    assert status.exit_code == 0, status.output
    assert "outbox: 0 pending, 14 sent, 0 failed, 0 cancelled" in status.output
    assert "reminders claimed: 26" in status.output
    assert "scan for 2020-01-10 (manual)" in status.output
    assert "26 reminder(s) in 14 digest(s)" in status.output


def test_outbox_commands_list_show_and_resend_failed_mail(committed_app, smtp):
    runner = committed_app.test_cli_runner()
    committed_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}?timeout=2"  # down
    queued = runner.invoke(args=["reminders", "run"])
    assert "(the mail server could not be reached)" in queued.output
    unreachable = runner.invoke(args=["outbox", "send"])
    assert unreachable.exit_code == 1 and "could not be reached" in unreachable.output
    with committed_app.app_context():
        first = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).first()
        first.status = MessageStatus.FAILED
        db.session.commit()
        failed_id = first.id

    listing = runner.invoke(args=["outbox", "list", "--status", "failed"])
    assert f"{failed_id:>6} failed" in listing.output
    assert "last error: ConnectionRefusedError" in listing.output
    shown = runner.invoke(args=["outbox", "show", str(failed_id)])
    # the unsubscribe link acts for its recipient: hidden (tests/test_outbox_secrets.py)
    assert "List-Unsubscribe: <[link hidden: only the recipient may use it]>" in shown.output
    assert "Content-Type: text/calendar" in shown.output
    assert runner.invoke(args=["outbox", "show", "999999"]).exit_code == 1

    refused = runner.invoke(args=["outbox", "resend", str(failed_id), str(failed_id + 1)])
    assert refused.exit_code == 1 and f"not failed or not found: {failed_id + 1}" in refused.output
    committed_app.config["SMTP_URL"] = smtp.url
    resent = runner.invoke(args=["outbox", "resend", "--all-failed"])
    assert resent.exit_code == 0, resent.output
    # the resent one and the twelve never tried; the one tried by `outbox send` waits its turn
    assert "queued 1 message(s) again" in resent.output and "sent 13" in resent.output
    received = {m["Message-ID"].split("-")[1] for m in smtp.inbox.messages}
    assert str(failed_id) in received and len(received) == 13


def test_a_run_shows_progress_on_a_terminal_and_nothing_in_ci(committed_app, smtp, tmp_path):
    committed_app.config["SMTP_URL"] = smtp.url
    env = tracker_env(committed_app, tmp_path)
    env.pop("CI", None)
    code, terminal = run_on_a_terminal(["reminders", "run"], env, tmp_path / "first.out")
    assert code == 0, terminal
    assert "writing digests" in terminal and "sending" in terminal and "100%" in terminal
    assert "sent 14" in (tmp_path / "first.out").read_text()

    env["CI"] = "true"  # a CI job on a terminal: its log gets no bars
    code, terminal = run_on_a_terminal(
        ["reminders", "run", "--today", "2020-01-13"], env, tmp_path / "ci.out"
    )
    assert code == 0, terminal
    assert "writing digests" not in terminal and "sending" not in terminal
    assert "%" not in terminal
    output = (tmp_path / "ci.out").read_text()
    assert "reminder(s) in 0 digest(s)" not in output and "sent 0" not in output
    assert smtp.inbox.count() > 14
