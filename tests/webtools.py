"""Helpers for request tests of the web pages: CSRF tokens, finding seed items."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask.testing import FlaskClient

from tracker.models import Activity, Milestone, WorkingGroup

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    """The CSRF token of the client's session, as a page's form carries it."""
    page = client.get(url).get_data(as_text=True)
    found = _CSRF.search(page)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def post(client: FlaskClient, url: str, data: dict | None = None, **kwargs):
    """POST a form with the session's CSRF token, as a browser would."""
    token = csrf_token(client, "/account") if _signed_in(client) else csrf_token(client)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def _signed_in(client: FlaskClient) -> bool:
    with client.session_transaction() as cookie:
        return "person_id" in cookie


def activity(session, group: str, code: str) -> Activity:
    return session.scalars(
        sa.select(Activity)
        .join(Activity.working_group)
        .where(WorkingGroup.short_name == group, Activity.code == code)
    ).one()


def milestone(session, group: str, code: str) -> Milestone:
    return session.scalars(
        sa.select(Milestone)
        .join(Milestone.working_group)
        .where(WorkingGroup.short_name == group, Milestone.code == code)
    ).one()
