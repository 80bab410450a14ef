"""Pages of the reminders blueprint: a person's preferences, the unsubscribe link, the outbox."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from tracker import mail
from tracker.auth import current_person, login_required
from tracker.domain.permissions import can_manage_outbox
from tracker.extensions import csrf, db
from tracker.links import grants_access, is_key_address
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.models import Activity, Milestone, Person
from tracker.reminders import bp
from tracker.reminders.models import ReminderClaim
from tracker.reminders.preferences import (
    PreferenceError,
    address_from_token,
    apply_preferences,
    is_subscribed,
    resubscribe,
    unsubscribe,
)

OUTBOX_PAGE_SIZE = 50


def _signed_in() -> Person:
    person = current_person()
    assert person is not None  # login_required
    return person


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> str | tuple[str, int] | Response:
    person = _signed_in()
    form = {
        "enabled": person.reminders_enabled,
        "lead_days": person.reminder_lead_days or "",
        "digest_hour": str(person.digest_hour),
    }
    if request.method == "POST":
        form = {
            "enabled": request.form.get("enabled") == "on",
            "lead_days": request.form.get("lead_days", ""),
            "digest_hour": request.form.get("digest_hour", ""),
        }
        try:
            apply_preferences(
                person,
                enabled=bool(form["enabled"]),
                lead_days_text=str(form["lead_days"]),
                digest_hour_text=str(form["digest_hour"]),
            )
        except PreferenceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return render_template("reminders/preferences.html", person=person, form=form), 400
        db.session.commit()
        flash("Your reminder preferences are saved.", "success")
        return redirect(url_for("reminders.preferences"), code=303)
    return render_template("reminders/preferences.html", person=person, form=form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@csrf.exempt  # mail programs post here (RFC 8058) with no form; the signed token is the check
@grants_access
def unsubscribe_page(token: str) -> str | tuple[str, int]:
    """No sign-in: the signed token is the permission. GET only asks, so that link scanners
    change nothing; POST acts, also as the one-click POST of RFC 8058 from mail programs."""
    email = address_from_token(token)
    if email is None:
        return render_template("reminders/unsubscribe.html", email=None, token=token), 404
    if request.method == "POST":
        if request.form.get("action") == "resubscribe":
            resubscribe(db.session, email)
            flash("Reminders to this address are on again.", "success")
        else:
            withdrawn = unsubscribe(db.session, email)
            waiting = f" {withdrawn} waiting digest(s) withdrawn." if withdrawn else ""
            flash(f"No more reminders go to this address.{waiting}", "success")
        db.session.commit()
    subscribed = is_subscribed(db.session, email)
    return render_template(
        "reminders/unsubscribe.html", email=email, token=token, subscribed=subscribed
    )


def _coordinator() -> Person:
    person = _signed_in()
    if not can_manage_outbox(person):
        abort(403, "Only coordinators can read the outbox.")
    return person


@bp.route("/outbox")
@login_required
def outbox() -> str:
    _coordinator()
    status_arg = request.args.get("status", "")
    status = MessageStatus(status_arg) if status_arg in set(MessageStatus) else None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    messages = db.session.scalars(
        query.limit(OUTBOX_PAGE_SIZE + 1).offset((page - 1) * OUTBOX_PAGE_SIZE)
    ).all()
    return render_template(
        "reminders/outbox.html",
        messages=messages[:OUTBOX_PAGE_SIZE],
        has_next=len(messages) > OUTBOX_PAGE_SIZE,
        page=page,
        status=status,
        counts=mail.status_counts(db.session),
        statuses=list(MessageStatus),
    )


@bp.route("/outbox/<int:message_id>")
@login_required
def outbox_message(message_id: int) -> str:
    _coordinator()
    message = db.get_or_404(OutboxMessage, message_id)
    claims = db.session.scalars(
        sa.select(ReminderClaim)
        .where(ReminderClaim.outbox_message_id == message.id)
        .order_by(ReminderClaim.due_date, ReminderClaim.item_kind, ReminderClaim.item_id)
    ).all()
    return render_template(
        "reminders/outbox_message.html",
        message=readable(message),
        claims=claims,
        items=_items_of(claims),
        item_url=_item_url,
    )


def readable(message: OutboxMessage) -> OutboxMessage:
    """The message with its sign-in and unsubscribe links hidden: what the outbox page and
    `tracker outbox show` print, so reading the outbox signs no one in as someone else."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return mail.readable_copy(message, lambda url: is_key_address(app, url))


def _item_url(kind: str, item_id: int) -> str:
    if kind == "activity":
        return url_for("main.activity", activity_id=item_id)
    return url_for("main.milestone", milestone_id=item_id)


def _items_of(claims: Sequence[ReminderClaim]) -> dict[tuple[str, int], Activity | Milestone]:
    """The activities and milestones the claims name, in one query per kind."""
    found: dict[tuple[str, int], Activity | Milestone] = {}
    for kind, model in (("activity", Activity), ("milestone", Milestone)):
        ids = {c.item_id for c in claims if c.item_kind == kind}
        if ids:
            rows = db.session.scalars(
                sa.select(model)
                .where(model.id.in_(ids))
                .options(so.joinedload(model.working_group))
            )
            found.update(((kind, row.id), row) for row in rows)
    return found


@bp.route("/outbox/<int:message_id>/resend", methods=["POST"])
@login_required
def resend(message_id: int) -> Response:
    _coordinator()
    message = db.get_or_404(OutboxMessage, message_id)
    if message.status != MessageStatus.FAILED:
        flash(
            f"Message {message.id} is {message.status.value}; only failed ones are resent.", "error"
        )
    else:
        mail.resend(db.session, message)
        db.session.commit()
        flash(f"Message {message.id} is queued again; the sender picks it up shortly.", "success")
    return redirect(url_for("reminders.outbox_message", message_id=message_id), code=303)
