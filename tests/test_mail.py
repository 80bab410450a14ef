"""The outbox against a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from aiosmtpd.controller import Controller

from tracker import mail
from tracker.extensions import db
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.models import utcnow


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; `.inbox.messages` holds what arrived."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.inbox = inbox
    yield controller
    controller.stop()


def queue_one(app, **overrides):
    with app.app_context():
        values = {
            "kind": "test",
            "recipient": "ilo@example.org",
            "subject": "Due soon",
            "text_body": "3.4 is due",
            "html_body": "<p>3.4 is due</p>",
        }
        values.update(overrides)
        message = mail.queue(db.session, **values)
        db.session.commit()
        return message.id


def deliver(app, **kwargs):
    with app.app_context():
        return mail.deliver_pending(lambda: so.Session(db.engine), app.config, **kwargs)


def message(app, message_id) -> OutboxMessage:
    with app.app_context():
        return db.session.get(OutboxMessage, message_id)


def test_delivers_over_smtp_with_parts_and_attachment(empty_app, smtp_server):
    empty_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    queued = queue_one(
        empty_app,
        attachments=[
            {
                "filename": "due.ics",
                "content_type": "text/calendar",
                "content": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            }
        ],
    )
    report = deliver(empty_app)
    assert (report.sent, report.retried) == (1, 0)
    [received] = smtp_server.inbox.messages
    assert received["To"] == "ilo@example.org" and received["Subject"] == "Due soon"
    assert received.get_body(("plain",)).get_content().strip() == "3.4 is due"
    assert received.get_body(("html",)).get_content().strip() == "<p>3.4 is due</p>"
    [ics] = list(received.iter_attachments())
    assert ics.get_filename() == "due.ics" and "BEGIN:VCALENDAR" in ics.get_content()
    stored = message(empty_app, queued)
    assert (stored.status, stored.transport, stored.attempts) == (MessageStatus.SENT, "smtp", 1)
    assert deliver(empty_app).sent == 0  # nothing sent twice


def test_without_smtp_mail_goes_to_the_local_outbox_and_log(empty_app, caplog):
    caplog.set_level("INFO", logger="tracker.mail")
    queued = queue_one(empty_app)
    assert deliver(empty_app).sent == 1
    assert message(empty_app, queued).transport == "local"
    assert "mail to ilo@example.org" in caplog.text and "3.4 is due" in caplog.text


def test_server_down_then_back_retries_with_backoff(empty_app, smtp_server, caplog):
    port = free_port()  # nothing listens here
    empty_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}?timeout=2"
    queued = queue_one(empty_app)
    clock = [utcnow()]
    assert deliver(empty_app, now=lambda: clock[0]).retried == 1
    stored = message(empty_app, queued)
    assert stored.status == MessageStatus.PENDING and stored.attempts == 1
    assert stored.next_attempt_at - clock[0] == mail.backoff(1)
    assert deliver(empty_app, now=lambda: clock[0]).retried == 0  # not before its time
    empty_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    clock[0] += timedelta(minutes=1)
    assert deliver(empty_app, now=lambda: clock[0]).sent == 1
    assert len(smtp_server.inbox.messages) == 1


def test_gives_up_after_the_last_try_and_can_be_resent(empty_app, smtp_server):
    empty_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}?timeout=2"
    queued = queue_one(empty_app)
    clock = [utcnow()]
    for _ in range(mail.MAX_ATTEMPTS):
        deliver(empty_app, now=lambda: clock[0])
        clock[0] += mail.BACKOFF_CAP
    stored = message(empty_app, queued)
    assert (stored.status, stored.attempts) == (MessageStatus.FAILED, mail.MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in stored.last_error
    with empty_app.app_context():
        mail.resend(db.session, db.session.get(OutboxMessage, queued))
        db.session.commit()
    empty_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    assert deliver(empty_app).sent == 1


def test_backoff_doubles_up_to_the_cap():
    assert [mail.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert mail.backoff(20) == mail.BACKOFF_CAP


def test_smtp_url_forms():
    s = mail.SmtpSettings.from_url("smtp://user%40x:p%3Ass@mail.example.org:587?starttls=1")
    assert (s.host, s.port, s.username, s.password, s.starttls, s.ssl) == (
        "mail.example.org",
        587,
        "user@x",
        "p:ss",
        True,
        False,
    )
    assert mail.SmtpSettings.from_url("smtps://mail.example.org").port == 465
    with pytest.raises(ValueError, match="smtp://host:port"):
        mail.SmtpSettings.from_url("http://mail.example.org")


def test_dedupe_key_makes_a_message_at_most_once(empty_app):
    queue_one(empty_app, dedupe_key="digest:1:2020-01-10")
    with pytest.raises(sa.exc.IntegrityError):
        queue_one(empty_app, dedupe_key="digest:1:2020-01-10")
