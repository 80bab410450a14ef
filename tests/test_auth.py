"""Signing in by e-mailed link: single use, expiring, signed, rate-limited, no enumeration."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import make_app, seed
from tests.test_mail import (  # noqa: F401  (the real SMTP server fixture)
    Inbox,
    free_port,
    smtp_server,
)
from tests.webtools import csrf_token, post
from tracker.auth.models import RateLimitHit, SignInLink
from tracker.auth.secrets import issue_link
from tracker.extensions import db
from tracker.mail.models import MessageStatus, OutboxMessage
from tracker.models import Person, utcnow

LINK = re.compile(r"http://tracker\.test(/login/[^\s?]+)(\?\S*)?")


def request_link(client, email: str):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "email": email})
    response.close()  # what a WSGI server does once the page is sent: delivery runs then
    return response


def mails_to(session, email: str) -> list[OutboxMessage]:
    return list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id)
        )
    )


def link_path(message: OutboxMessage) -> str:
    found = LINK.search(message.text_body)
    assert found, message.text_body
    return found.group(1) + (found.group(2) or "")


def test_pages_send_strangers_to_sign_in_and_back(client):
    response = client.get("/items?status=delayed")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/items?status%3Ddelayed"


def test_sign_in_by_link_end_to_end(client, session):
    response = request_link(client, "ILO.focal-point@example.org")
    assert response.status_code == 200
    assert "Check your inbox" in response.get_data(as_text=True)
    (message,) = mails_to(session, "ilo.focal-point@example.org")
    assert message.kind == "sign-in"
    # no SMTP server configured: delivered to the local outbox right after the response
    assert message.status == MessageStatus.SENT and message.transport == "local"
    path = link_path(message)

    confirm = client.get(path)
    assert confirm.status_code == 200
    assert "Sign in as ILO focal point" in confirm.get_data(as_text=True)
    # opening the link (a mail scanner does) does not use it up
    assert client.get(path).status_code == 200

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', confirm.get_data(as_text=True))
    signed_in = client.post(path, data={"csrf_token": token.group(1)})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    assert "ILO focal point" in client.get("/").get_data(as_text=True)

    # single use: a second use fails, even from a fresh browser
    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert out.status_code == 302, out.get_data(as_text=True)
    assert client.get(path).status_code == 400
    again = client.post(path, data={"csrf_token": csrf_token(client)})
    assert again.status_code == 400
    assert client.get("/").status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_mail(client, session):
    known = request_link(client, "member@example.org").get_data(as_text=True)
    unknown = request_link(client, "nobody@example.org").get_data(as_text=True)
    strip = lambda page: page.replace("member@example.org", "X").replace("nobody@example.org", "X")  # noqa: E731
    assert strip(known) == strip(unknown)
    assert mails_to(session, "nobody@example.org") == []
    assert len(mails_to(session, "member@example.org")) == 1


def test_deactivated_people_get_no_link(client, session):
    person = session.scalars(sa.select(Person).where(Person.email == "member@example.org")).one()
    person.active = False
    session.commit()
    assert request_link(client, "member@example.org").status_code == 200
    assert mails_to(session, "member@example.org") == []


def test_bad_address_gets_the_form_back_with_the_error(client, session):
    response = client.post("/login", data={"csrf_token": csrf_token(client), "email": "not-mail"})
    assert response.status_code == 400
    assert "Enter an e-mail address" in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_sign_in_form_needs_a_csrf_token(client):
    assert client.post("/login", data={"email": "member@example.org"}).status_code == 400


def test_expired_tampered_and_foreign_links_fail(app, client, session):
    person = session.scalars(sa.select(Person).where(Person.email == "member@example.org")).one()
    url = issue_link(session, person, app.config)
    session.commit()
    path = url.removeprefix("http://tracker.test")
    assert client.get(path).status_code == 200
    assert client.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 400
    link = session.scalars(sa.select(SignInLink).where(SignInLink.person_id == person.id)).one()
    link.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert client.get(path).status_code == 400
    assert client.post(path, data={"csrf_token": csrf_token(client)}).status_code == 400


def test_next_page_is_kept_but_never_another_site(client, session):
    request_link_next = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client),
            "email": "member@example.org",
            "next": "/timeline?working_group=WS1",
        },
    )
    request_link_next.close()
    path = link_path(mails_to(session, "member@example.org")[0])
    response = client.post(path, data={"csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/timeline?working_group=WS1"

    person = session.scalars(sa.select(Person).where(Person.email == "member@example.org")).one()
    url = issue_link(session, person, client.application.config, "//evil.example.org/")
    session.commit()
    response = client.post(
        url.removeprefix("http://tracker.test") + "?next=//evil.example.org/",
        data={"csrf_token": csrf_token(client, "/account")},
    )
    assert response.headers["Location"] == "/"


def test_rate_limit_per_address_and_per_client(app, client, session):
    per_address = app.config["SIGN_IN_LINKS_PER_ADDRESS"]
    for _ in range(per_address):
        assert request_link(client, "member@example.org").status_code == 200
    limited = request_link(client, "member@example.org")
    assert limited.status_code == 429
    assert "Too many sign-in links" in limited.get_data(as_text=True)
    assert len(mails_to(session, "member@example.org")) == per_address
    # unknown addresses are limited the same way: the limit tells nothing either
    for _ in range(per_address):
        request_link(client, "nobody@example.org")
    assert request_link(client, "nobody@example.org").status_code == 429
    # the client's own limit stops it trying address after address
    per_client = app.config["SIGN_IN_LINKS_PER_CLIENT"]
    # (a request refused for its address still counted against the client)
    for n in range(per_client - 2 * (per_address + 1)):
        assert request_link(client, f"someone-{n}@example.org").status_code == 200
    assert request_link(client, "someone-else@example.org").status_code == 429
    # the counts are rows in the database, so every worker process sees them
    assert session.scalar(sa.select(sa.func.count()).select_from(RateLimitHit)) > 0


def test_rate_limit_holds_across_processes(empty_app, tmp_path):
    """Two app instances on one database stand for two gunicorn workers."""
    url = empty_app.config["SQLALCHEMY_DATABASE_URI"]
    seed(empty_app)
    other = make_app(url)
    workers = [empty_app.test_client(), other.test_client()]
    limit = empty_app.config["SIGN_IN_LINKS_PER_ADDRESS"]
    statuses = [
        request_link(workers[n % 2], "member@example.org").status_code for n in range(limit + 1)
    ]
    assert statuses == [200] * limit + [429]
    with other.app_context():
        db.engine.dispose()


def test_sign_in_mail_over_a_real_smtp_server(empty_app, smtp_server):  # noqa: F811
    empty_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    seed(empty_app)
    client = empty_app.test_client()
    request_link(client, "who.focal-point@example.org")
    (mail,) = smtp_server.inbox.messages
    assert mail["To"] == "who.focal-point@example.org"
    body = mail.get_content()
    path = LINK.search(body).group(1)
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert "WHO focal point" in client.get("/").get_data(as_text=True)
    with empty_app.app_context():
        (row,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert row.status == MessageStatus.SENT and row.transport == "smtp"


def test_smtp_failure_leaves_the_mail_pending_for_the_sender(empty_app):
    empty_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}?timeout=2"  # nobody listens
    seed(empty_app)
    client = empty_app.test_client()
    assert request_link(client, "member@example.org").status_code == 200
    with empty_app.app_context():
        (row,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert row.status == MessageStatus.PENDING and row.attempts == 1 and row.last_error


def test_login_link_command(runner, session):
    result = runner.invoke(args=["login-link", "Coordinator@example.org", "--next", "/timeline"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"http://tracker\.test/login/\S+\?next=%2Ftimeline\n", result.output)
    missing = runner.invoke(args=["login-link", "nobody@example.org"])
    assert missing.exit_code != 0 and "no person with e-mail nobody@example.org" in missing.output


def test_logout_needs_post_with_csrf(client, auth):
    auth.sign_in_as("member@example.org")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert post(client, "/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_session_cookie_and_security_headers(app, client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [("https://tracker.example.org", True), ("http://127.0.0.1:5000", False)],
)
def test_cookies_are_secure_when_served_over_https(base_url, secure):
    from tracker.config import config_from_env

    config = config_from_env({"TRACKER_BASE_URL": base_url}, "/tmp")
    assert config["SESSION_COOKIE_SECURE"] is secure
