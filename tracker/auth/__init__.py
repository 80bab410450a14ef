"""Who is signed in. Every blueprint asks `current_person()`; the rules of what a person may
do live in `tracker.domain.permissions`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, abort, g, redirect, request, session, url_for

from tracker.extensions import db
from tracker.models import Person

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("auth", __name__)

SESSION_KEY = "person_id"
#: The person's `session_generation` when the session was signed in.
GENERATION_KEY = "generation"


def session_claims(person: Person) -> dict[str, int]:
    """What a session holds of its person; tests sign their clients in with the same."""
    return {SESSION_KEY: person.id, GENERATION_KEY: person.session_generation or 0}


def current_person() -> Person | None:
    """The signed-in, active person of this request, loaded once.

    A session signed in before the person last signed out (anywhere) or had their role
    changed carries an older generation and signs no one in: a copied cookie dies with them.
    """
    if "person" not in g:
        person_id = session.get(SESSION_KEY)
        person = db.session.get(Person, person_id) if person_id is not None else None
        if person is not None and session.get(GENERATION_KEY) != person.session_generation:
            person = None
        g.person = person if person is not None and person.active else None
    return g.person  # type: ignore[no-any-return]


def sign_in(person: Person) -> None:
    """The caller has committed, so the generation stored is the one in the database."""
    session.clear()  # a new session id: no fixation across the sign-in
    session.update(session_claims(person))
    session.permanent = True
    g.person = person


def sign_out() -> None:
    """End this session and every other one of the same person; the caller commits."""
    person = current_person()
    if person is not None:
        person.end_sessions()
    session.clear()
    g.pop("person", None)


def login_required(view: F) -> F:
    """Pages: send strangers to the sign-in page, and back here afterwards."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_person() is None:
            if request.blueprint == "api" or request.accept_mimetypes.best == "application/json":
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


from tracker.auth import routes  # noqa: E402,F401
