"""Reading the outbox signs no one in: links that grant access are hidden wherever it shows.

A coordinator (or an operator at the console) reads every queued and sent message, but a
sign-in link in one would sign them in as its recipient, and an unsubscribe link acts for
its recipient. The page and `tracker outbox show` print each message with those links
replaced; the stored message, which the sender delivers, keeps them.
"""

from __future__ import annotations

import re
from email import message_from_string, policy

import sqlalchemy as sa

from tests.conftest import TEST_TODAY
from tests.webtools import csrf_token
from tracker.mail import HIDDEN_LINK
from tracker.mail.models import OutboxMessage
from tracker.reminders.run import run_scan

#: The secret parts of the links a message carries.
KEYS = re.compile(r"https?://[^/\s]+/(?:login|reminders/unsubscribe)/([^\s?<>\"']+)")


def _queue_access_mail(client, session) -> list[OutboxMessage]:
    """A sign-in mail asked for on the page, and the digests of a reminder scan."""
    token = csrf_token(client)
    client.post("/login", data={"csrf_token": token, "email": "member@example.org"}).close()
    run_scan(session, TEST_TODAY, trigger="manual")
    session.commit()
    messages = session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    kinds = {m.kind for m in messages}
    assert "sign-in" in kinds and len(kinds) > 1, kinds
    return list(messages)


def _secrets(message: OutboxMessage) -> set[str]:
    stored = [message.text_body, message.html_body or "", *message.headers.values()]
    stored += [a["content"] for a in message.attachments]
    return {key for text in stored for key in KEYS.findall(text)}


def _decoded_parts(printed: str) -> str:
    """Every part of a printed MIME message, decoded (base64 or quoted-printable hide text)."""
    mime = message_from_string(printed, policy=policy.default)
    parts = [str(mime)]
    for part in mime.walk():
        if not part.is_multipart():
            parts.append(str(part.get_content()))
    return "\n".join(parts)


def test_the_outbox_page_hides_sign_in_and_unsubscribe_links(client, session, auth):
    messages = _queue_access_mail(client, session)
    auth.sign_in_as("coordinator@example.org")
    listing = client.get("/reminders/outbox").get_data(as_text=True)
    shown = hidden = 0
    for message in messages:
        secrets = _secrets(message)
        assert secrets, f"message {message.id} ({message.kind}) carries no link"
        page = client.get(f"/reminders/outbox/{message.id}").get_data(as_text=True)
        assert not [s for s in secrets if s in page or s in listing], message.kind
        assert HIDDEN_LINK in page
        shown += 1
        hidden += len(secrets)
        # the recipient still gets the link: the stored message keeps it
        assert _secrets(session.get(OutboxMessage, message.id)) == secrets
    print(f"outbox page: {shown} messages read, {hidden} access links hidden, 0 shown")


def test_outbox_show_hides_them_too(client, session, runner):
    messages = _queue_access_mail(client, session)
    for message in messages:
        result = runner.invoke(args=["outbox", "show", str(message.id)])
        assert result.exit_code == 0, result.output
        printed = _decoded_parts(result.output)
        assert not [s for s in _secrets(message) if s in printed], message.kind
        assert HIDDEN_LINK in printed


def test_the_sign_in_link_in_the_page_does_not_sign_in(client, session, auth):
    """What a coordinator could copy from the page opens nothing."""
    [message] = [m for m in _queue_access_mail(client, session) if m.kind == "sign-in"]
    auth.sign_in_as("coordinator@example.org")
    page = client.get(f"/reminders/outbox/{message.id}").get_data(as_text=True)
    assert re.search(r"/login/[A-Za-z0-9_\-.]{20,}", page) is None
