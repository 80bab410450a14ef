"""Sending e-mail through the outbox: queue in the caller's transaction, deliver afterwards.

`queue` adds a row in the caller's transaction, so a message exists exactly when its cause
was committed. `deliver_pending` takes one pending row at a time in its own transaction
(`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so several senders share the work; on
SQLite the database's single writer lock does the same), sends it over SMTP and marks it sent
before committing. A sender killed after the SMTP server accepted a message but before the
commit leaves the row pending: it is sent again. That gap, from the server's final reply to
the commit (one UPDATE and one COMMIT; `bench/reminders.py` measures it), is the only
duplicate window, and it holds at most the one message a sender has in hand; no message is
ever lost. The SMTP connection is opened before a row is claimed, so a slow or unreachable
server never holds a lock, and a run stops at the first connection failure: the other rows
keep their turn for the next run instead of each waiting for the same timeout.

Without `TRACKER_SMTP_URL` messages are delivered to the local outbox: marked sent with
transport "local", readable by coordinators, and logged.
"""

from __future__ import annotations

import contextlib
import email.policy
import logging
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import WRITE_TRANSACTION
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.models import utcnow

log = logging.getLogger(__name__)

#: Tries before a message is marked failed; waits double from BACKOFF_BASE up to BACKOFF_CAP.
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed try: 30 s, 1 min, 2 min ... at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def queue(
    session: so.Session,
    *,
    kind: str,
    recipient: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction.

    `not_before` holds it back until then (a digest waits for its recipient's hour).
    """
    now = utcnow()
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        attachments=attachments or [],
        dedupe_key=dedupe_key,
        headers=headers or {},
        status=MessageStatus.PENDING,
        attempts=0,
        next_attempt_at=max(now, not_before) if not_before else now,
    )
    session.add(message)
    return message


def cancel_pending(session: so.Session, recipient: str, kinds: set[str]) -> int:
    """Withdraw the recipient's messages of these kinds that have not gone out yet."""
    result = session.execute(
        sa.update(OutboxMessage)
        .where(
            sa.func.lower(OutboxMessage.recipient) == recipient.lower(),
            OutboxMessage.kind.in_(kinds),
            OutboxMessage.status == MessageStatus.PENDING,
        )
        .values(status=MessageStatus.CANCELLED, last_error="cancelled: recipient unsubscribed")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined, no-any-return]


#: Header lines up to SMTP's own limit, so a long List-Unsubscribe link stays a plain <URL>
#: instead of being folded into encoded words that mail programs cannot follow; bodies stay
#: 7-bit (quoted-printable or base64 where needed) for servers without 8BITMIME.
MAIL_POLICY = email.policy.default.clone(max_line_length=998, cte_type="7bit")


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    mime = EmailMessage(policy=MAIL_POLICY)
    mime["From"] = sender
    mime["To"] = message.recipient
    mime["Subject"] = message.subject
    mime["Message-ID"] = f"<outbox-{message.id}-{message.created_at:%Y%m%d%H%M%S}@workplan-tracker>"
    for name, value in (message.headers or {}).items():
        mime[name] = value
    mime.set_content(message.text_body)
    if message.html_body:
        mime.add_alternative(message.html_body, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment["content_type"].partition("/")
        mime.add_attachment(
            attachment["content"].encode("utf-8"),
            maintype=maintype,
            subtype=subtype.split(";")[0],
            filename=attachment["filename"],
        )
    return mime


#: What the outbox shows instead of a link only its recipient may use.
HIDDEN_LINK = "[link hidden: only the recipient may use it]"
_URL = re.compile(r"https?://[^\s<>\"']+")


def readable_copy(message: OutboxMessage, is_key: Callable[[str], bool]) -> OutboxMessage:
    """The message as coordinators and operators may read it: every address `is_key` names
    (a sign-in link, an unsubscribe link) replaced by HIDDEN_LINK in the text, the HTML, the
    headers and the attachments. The stored message, which the sender delivers, keeps them;
    the copy belongs to no session, so nothing of it is written back."""

    def hide(text: str) -> str:
        return _URL.sub(lambda m: HIDDEN_LINK if is_key(m.group(0)) else m.group(0), text)

    columns = sa.inspect(OutboxMessage).column_attrs
    copy = OutboxMessage(**{c.key: getattr(message, c.key) for c in columns})
    copy.text_body = hide(message.text_body)
    copy.html_body = hide(message.html_body) if message.html_body else message.html_body
    copy.headers = {name: hide(value) for name, value in (message.headers or {}).items()}
    copy.attachments = [a | {"content": hide(a["content"])} for a in message.attachments or []]
    return copy


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    ssl: bool
    starttls: bool
    timeout: float

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """`smtp://user:pass@host:587?starttls=1` or `smtps://user:pass@host:465`."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"TRACKER_SMTP_URL must look like smtp://host:port, not {url!r}")
        query = parse_qs(parts.query)
        secure = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if secure else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            ssl=secure,
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            timeout=float(query.get("timeout", ["30"])[0]),
        )


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for a whole delivery run."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self.settings, self.sender = settings, sender
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        client: smtplib.SMTP
        if s.ssl:
            client = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.starttls:
                client.starttls(context=ssl.create_default_context())
        if s.username:
            client.login(s.username, s.password or "")
        return client

    def open(self) -> None:
        if self._client is None:
            self._client = self._connect()

    def send(self, message: OutboxMessage) -> None:
        self.open()
        assert self._client is not None
        try:
            self._client.send_message(build_email(message, self.sender))
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.quit()
            self._client = None


class LocalTransport:
    """No SMTP server configured: the outbox row itself is the delivered copy."""

    name = "local"

    def open(self) -> None:
        pass

    def send(self, message: OutboxMessage) -> None:
        log.info(
            "mail to %s (local outbox, no SMTP server): %s\n%s",
            message.recipient,
            message.subject,
            message.text_body,
        )

    def close(self) -> None:
        pass


class Transport(Protocol):
    name: str

    def open(self) -> None: ...

    def send(self, message: OutboxMessage) -> None: ...

    def close(self) -> None: ...


def transport_for(config: dict[str, Any]) -> SmtpTransport | LocalTransport:
    url = config.get("SMTP_URL")
    if not url:
        return LocalTransport()
    return SmtpTransport(SmtpSettings.from_url(url), config["MAIL_FROM"])


def _due(now: datetime, only: set[int] | None) -> sa.Select[tuple[OutboxMessage]]:
    query = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if only is not None:
        query = query.where(OutboxMessage.id.in_(only))
    return query


def _claim_one(session: so.Session, now: datetime, only: set[int] | None) -> OutboxMessage | None:
    query = _due(now, only)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def _count_due(session: so.Session, now: datetime, only: set[int] | None) -> int:
    query = _due(now, only).limit(None).order_by(None)
    count = session.scalar(query.with_only_columns(sa.func.count(), maintain_column_froms=True))
    session.rollback()
    return count or 0


def _anything_due(session: so.Session, now: datetime, only: set[int] | None) -> bool:
    """A look without locks, so the SMTP connection is opened before any lock is taken."""
    found = session.scalar(_due(now, only).with_only_columns(OutboxMessage.id)) is not None
    session.rollback()
    return found


#: Failures that say the server cannot be reached, not that this one message was refused.
CONNECTION_ERRORS = (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, OSError)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: The run stopped early because the server could not be reached.
    unreachable: bool = False

    @property
    def tried(self) -> int:
        return self.sent + self.retried + self.failed


def _record_failure(
    message: OutboxMessage, exc: Exception, now: datetime, report: DeliveryReport
) -> None:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = MessageStatus.FAILED
        report.failed += 1
        log.error(
            "giving up on mail %s to %s: %s", message.id, message.recipient, message.last_error
        )
        return
    message.next_attempt_at = now + backoff(message.attempts)
    report.retried += 1
    log.warning(
        "mail %s to %s failed (try %s), retrying at %s: %s",
        message.id,
        message.recipient,
        message.attempts,
        message.next_attempt_at,
        message.last_error,
    )


def deliver_pending(
    session_factory: Callable[[], so.Session],
    config: dict[str, Any],
    *,
    only_ids: set[int] | None = None,
    limit: int | None = None,
    now: Callable[[], datetime] = utcnow,
    transport: Transport | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DeliveryReport:
    """Send due pending messages, each in its own transaction; returns what happened.

    `transport` replaces the one `config` names (benchmarks time the SMTP round trip with it).
    `progress(done, total)` hears of each message tried, of those due when the run began.
    """
    transport = transport or transport_for(config)
    report = DeliveryReport()
    total = 0
    if progress is not None:
        with session_factory() as session:
            total = _count_due(session, now(), only_ids)
    try:
        while limit is None or report.tried < limit:
            session = session_factory()
            try:
                if not _anything_due(session, now(), only_ids):
                    break
                connect_error: Exception | None = None
                try:
                    transport.open()
                except (smtplib.SMTPException, *CONNECTION_ERRORS) as exc:
                    connect_error = exc
                # on SQLite the write lock comes first, so no second sender reads the same row
                session.connection(execution_options={WRITE_TRANSACTION: True})
                message = _claim_one(session, now(), only_ids)
                if message is None:
                    session.rollback()
                    break
                try:
                    if connect_error is not None:
                        raise connect_error
                    transport.send(message)
                except (smtplib.SMTPException, OSError, ValueError) as exc:
                    _record_failure(message, exc, now(), report)
                    report.unreachable = isinstance(exc, CONNECTION_ERRORS)
                else:
                    message.attempts += 1
                    message.status = MessageStatus.SENT
                    message.sent_at = now()
                    message.transport = transport.name
                    message.last_error = ""
                    report.sent += 1
                session.commit()
            finally:
                session.close()
            if progress is not None:
                progress(report.tried, max(total, report.tried))
            if report.unreachable:
                break
    finally:
        transport.close()
    return report


def resend(session: so.Session, message: OutboxMessage) -> None:
    """Put a failed, cancelled or sent message back in the queue, as a coordinator asked."""
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.last_error = ""


def status_counts(session: so.Session) -> dict[MessageStatus, int]:
    """How many messages are in each state (the outbox page and `tracker outbox list`)."""
    rows = session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    found = {status: count for status, count in rows}
    return {status: found.get(status, 0) for status in MessageStatus}
