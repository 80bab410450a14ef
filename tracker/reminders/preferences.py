"""Who wants reminders: people's preferences and the unsubscribe link every digest carries."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from tracker import mail
from tracker.models import Person, parse_lead_days
from tracker.reminders.models import ReminderOptOut
from tracker.reminders.scan import DIGEST_KIND

_SALT = "tracker.reminders.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def unsubscribe_token(email: str) -> str:
    """A signed token naming the address; it never expires, as old mails keep their links."""
    return _serializer().dumps(email.lower())


def address_from_token(token: str) -> str | None:
    try:
        email = _serializer().loads(token)
    except BadSignature:
        return None
    return email if isinstance(email, str) else None


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link for mails, on TRACKER_BASE_URL (there is no request to take it from)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def person_with(session: so.Session, email: str) -> Person | None:
    return session.scalars(sa.select(Person).where(sa.func.lower(Person.email) == email)).first()


def is_subscribed(session: so.Session, email: str) -> bool:
    person = person_with(session, email)
    if person is not None:
        return person.reminders_enabled
    return session.scalar(sa.select(ReminderOptOut.id).where(ReminderOptOut.email == email)) is None


def unsubscribe(session: so.Session, email: str) -> int:
    """Stop reminders to the address at once, including digests still waiting in the outbox.

    Returns how many waiting digests were withdrawn.
    """
    email = email.lower()
    person = person_with(session, email)
    if person is not None:
        person.reminders_enabled = False
    elif session.scalar(sa.select(ReminderOptOut.id).where(ReminderOptOut.email == email)) is None:
        session.add(ReminderOptOut(email=email))
    return mail.cancel_pending(session, email, {DIGEST_KIND})


def resubscribe(session: so.Session, email: str) -> None:
    email = email.lower()
    person = person_with(session, email)
    if person is not None:
        person.reminders_enabled = True
    session.execute(sa.delete(ReminderOptOut).where(ReminderOptOut.email == email))


class PreferenceError(ValueError):
    """A preference that cannot be stored; the message names the field and the problem."""


def apply_preferences(
    person: Person, *, enabled: bool, lead_days_text: str, digest_hour_text: str
) -> None:
    """Validate everything first, so a bad field changes nothing."""
    lead_days_text = lead_days_text.strip()
    try:
        lead_days = parse_lead_days(lead_days_text) if lead_days_text else []
    except ValueError as exc:
        raise PreferenceError(f"Lead times: {exc}.") from None
    if lead_days_text and not lead_days:
        raise PreferenceError("Lead times: give at least one number of days, or leave it empty.")
    hour = digest_hour_text.strip()
    if not hour.isdigit() or not 0 <= int(hour) <= 23:
        raise PreferenceError(f"Digest hour: {hour!r} is not an hour from 0 to 23.")
    person.reminders_enabled = enabled
    person.reminder_lead_days = ",".join(str(d) for d in lead_days) or None
    person.digest_hour = int(hour)
