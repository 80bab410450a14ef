"""Signing in by e-mailed link, signing out, and a person's own API tokens."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from tracker import mail
from tracker.auth import bp, current_person, login_required, sign_in, sign_out
from tracker.auth.forms import ApiTokenForm, SignInForm
from tracker.auth.mailing import deliver_after_response
from tracker.auth.models import ApiToken
from tracker.auth.ratelimit import allow, hashed_key
from tracker.auth.secrets import create_api_token, issue_link, redeem_link, safe_next, valid_link
from tracker.domain.permissions import is_owner, require
from tracker.extensions import db
from tracker.links import grants_access
from tracker.models import Person, utcnow


def _within_limits(email: str) -> bool:
    """Per client address and per e-mail address, whether or not the address is known."""
    config = current_app.config
    window = timedelta(minutes=config["SIGN_IN_WINDOW_MINUTES"])
    now = utcnow()
    client = request.remote_addr or "unknown"
    return allow(
        db.session,
        hashed_key("sign-in:client", client),
        config["SIGN_IN_LINKS_PER_CLIENT"],
        window,
        now,
    ) and allow(
        db.session,
        hashed_key("sign-in:address", email),
        config["SIGN_IN_LINKS_PER_ADDRESS"],
        window,
        now,
    )


def send_sign_in_link(person: Person, next_path: str | None) -> mail.OutboxMessage:
    """Queue the mail in the caller's transaction; the caller commits."""
    url = issue_link(db.session, person, current_app.config, next_path)
    return mail.queue(
        db.session,
        kind="sign-in",
        recipient=person.email,
        subject="Your sign-in link for Workplan Tracker",
        text_body=render_template(
            "auth/sign_in_mail.txt",
            person=person,
            url=url,
            minutes=current_app.config["SIGN_IN_LINK_MINUTES"],
        ),
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = SignInForm()
    if request.method != "POST":
        form.next.data = safe_next(request.args.get("next")) or ""
        if current_person() is not None:
            return redirect(form.next.data or url_for("main.index"))
        return render_template("auth/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400
    email = form.email.data.strip()
    if not _within_limits(email):
        db.session.commit()
        minutes = current_app.config["SIGN_IN_WINDOW_MINUTES"]
        return render_template("auth/login.html", form=form, limited=minutes), 429
    person = db.session.scalars(
        sa.select(Person).where(sa.func.lower(Person.email) == email.lower(), Person.active)
    ).first()
    message = send_sign_in_link(person, form.next.data) if person is not None else None
    db.session.flush()
    message_id = message.id if message is not None else None
    db.session.commit()
    # the same page whether or not the address belongs to someone: no user enumeration
    response = make_response(render_template("auth/check_inbox.html", email=email))
    if message_id is not None:
        deliver_after_response(response, {message_id})
    return response


@bp.route("/login/<token>", methods=["GET", "POST"])
@grants_access
def use_link(token: str) -> ResponseReturnValue:
    """GET only asks for a click: mail scanners that open links must not use them up."""
    next_path = safe_next(request.args.get("next"))
    if request.method != "POST":
        link = valid_link(db.session, token, current_app.config)
        if link is None:
            return render_template("auth/link_invalid.html"), 400
        return render_template(
            "auth/confirm.html", form=FlaskForm(), person=link.person, next=next_path
        )
    person = redeem_link(db.session, token, current_app.config)
    if person is None:
        db.session.rollback()
        return render_template("auth/link_invalid.html"), 400
    db.session.commit()
    sign_in(person)
    flash(f"Signed in as {person.name}.", "success")
    return redirect(next_path or url_for("main.index"))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    sign_out()
    db.session.commit()
    flash("Signed out.", "success")
    return redirect(url_for("auth.login"))


def _account_page(form: ApiTokenForm, new_token: str | None = None, status: int = 200):
    person = current_person()
    assert person is not None
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.person_id == person.id).order_by(ApiToken.id)
    ).all()
    page = render_template(
        "auth/account.html",
        person=person,
        tokens=tokens,
        form=form,
        new_token=new_token,
    )
    return page, status


@bp.route("/account")
@login_required
def account() -> ResponseReturnValue:
    return _account_page(ApiTokenForm(formdata=None))


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token() -> ResponseReturnValue:
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _account_page(form, status=400)
    person = current_person()
    assert person is not None
    raw = create_api_token(db.session, person, form.name.data.strip())
    db.session.commit()
    response = make_response(_account_page(ApiTokenForm(formdata=None), new_token=raw))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/tokens/<int:token_id>/delete", methods=["POST"])
@login_required
def delete_token(token_id: int) -> ResponseReturnValue:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    require(is_owner(current_person(), token.person_id), "this is not your token")
    db.session.delete(token)
    db.session.commit()
    flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for("auth.account"))
