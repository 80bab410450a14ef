"""Sign-in links work only exactly as issued; signing out and a role change end sessions."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from tests.webtools import csrf_token, post
from tracker.auth.secrets import issue_link
from tracker.models import Person, PersonRole


def _person(session, email: str) -> Person:
    return session.scalars(sa.select(Person).where(Person.email == email)).one()


def sign_in_by_link(app, client, session, email: str):
    """Sign the client in the way a person does: a fresh link, and its button."""
    path = issue_link(session, _person(session, email), app.config)
    session.commit()
    path = path.removeprefix(app.config["BASE_URL"])
    response = client.post(path, data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _same_bytes_other_text(signature: str) -> str:
    """The signature's last character changed in the bits base64 drops when decoding."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    decoded = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    for other in alphabet:
        variant = signature[:-1] + other
        if variant != signature:
            again = base64.urlsafe_b64decode(variant + "=" * (-len(variant) % 4))
            if again == decoded:
                return variant
    raise AssertionError("every last character changes the bytes")


def test_a_link_works_only_exactly_as_issued(app, client, session):
    person = _person(session, "member@example.org")
    path = issue_link(session, person, app.config).removeprefix("http://tracker.test")
    session.commit()
    signature = path.rsplit(".", 1)[1]
    variants = [
        path + "=",
        path + "%3D",
        path + "==",
        path + "A",
        path[:-1],
        path.rsplit(".", 1)[0] + "." + _same_bytes_other_text(signature),
        path.swapcase(),
        path + "%00",
        path + ".",
    ]
    refused = 0
    for variant in variants:
        assert client.get(variant).status_code in (400, 404), variant
        response = client.post(variant, data={"csrf_token": csrf_token(client)})
        assert response.status_code in (400, 404), variant
        refused += 1
    assert refused == len(variants) == 9
    # the link itself still works once
    assert client.post(path, data={"csrf_token": csrf_token(client)}).status_code == 302
    assert client.get("/").status_code == 200


def _copied_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _opens_pages_with(app, cookie: str) -> bool:
    """A fresh browser given a copy of the cookie: does it sign anyone in?"""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/account").status_code == 200


def test_signing_out_ends_a_copied_session(app, client, session):
    sign_in_by_link(app, client, session, "member@example.org")
    copied = _copied_cookie(client)
    assert _opens_pages_with(app, copied)
    assert post(client, "/logout").status_code == 302
    assert not _opens_pages_with(app, copied)
    # signing in again works, with a new session
    sign_in_by_link(app, client, session, "member@example.org")
    assert client.get("/account").status_code == 200
    assert not _opens_pages_with(app, copied)


def test_signing_out_ends_the_persons_other_sessions_too(app, client, session):
    sign_in_by_link(app, client, session, "member@example.org")
    laptop = _copied_cookie(client)
    phone = app.test_client()
    sign_in_by_link(app, phone, session, "member@example.org")
    assert _opens_pages_with(app, laptop)
    assert post(phone, "/logout").status_code == 302
    assert not _opens_pages_with(app, laptop)


def test_a_change_of_role_ends_sessions(app, client, session, auth):
    lead = app.test_client()
    sign_in_by_link(app, lead, session, "ilo.focal-point@example.org")
    copied = _copied_cookie(lead)
    assert _opens_pages_with(app, copied)
    person = _person(session, "ilo.focal-point@example.org")
    auth.sign_in_as("coordinator@example.org")
    form = {
        "name": person.name,
        "email": person.email,
        "entity": str(person.entity_id),
        "role": "member",
        "working_groups": [str(g.id) for g in person.working_groups],
        "active": "y",
    }
    assert post(client, f"/manage/people/{person.id}/edit", form).status_code == 302
    assert not _opens_pages_with(app, copied)
    # a save that changes nothing of the role keeps the session
    sign_in_by_link(app, lead, session, "ilo.focal-point@example.org")
    assert post(client, f"/manage/people/{person.id}/edit", form).status_code == 302
    assert _opens_pages_with(app, _copied_cookie(lead))


def test_a_change_of_role_by_import_or_directly_ends_sessions(app, session):
    person = _person(session, "member@example.org")
    before = person.session_generation
    person.role = PersonRole.LEAD
    session.commit()
    assert person.session_generation == before + 1
    person.active = False
    session.commit()
    assert person.session_generation == before + 2
    person.name = "Renamed member"
    session.commit()
    assert person.session_generation == before + 2
