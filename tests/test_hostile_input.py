"""NUL characters and over-long text on every route that takes text: 400, never a 500.

PostgreSQL refuses a NUL in any text it is given (a query's parameter as much as a stored
value) and a value longer than its column; SQLite takes both. Each probe puts a NUL, or a
value longer than any column holds, into one field (form, query, JSON body or path) of one
route, on whichever backend the suite runs, and expects a 400 with nothing stored. Text that
is only searched for may instead find nothing (200); it must never fail.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_TODAY
from tests.webtools import activity, csrf_token, milestone
from tracker.auth.models import ApiToken
from tracker.auth.secrets import create_api_token
from tracker.exchange import COLUMNS, ImportFailed, import_files
from tracker.feeds.models import FeedToken
from tracker.feeds.services import create_token
from tracker.models import Activity, Entity, Milestone, Person, StatusChange, WorkingGroup

#: What is put into a field: a NUL inside text, and more than any String column holds (the
#: longest is 2000) while well under the 5 MB body limit.
BAD = {"nul": "a\x00b", "long": "x" * 20_000}
STORED = (Activity, Milestone, Entity, Person, StatusChange, WorkingGroup, ApiToken, FeedToken)
PROGRESS = {"status": "in_progress", "note": "fine"}


@dataclass
class Probe:
    name: str
    method: str
    #: The path; `{a34}`, `{WS1}`, `{feed}`... are seed ids, `{probe}` a path probe's place.
    path: str
    #: A valid request's fields (values formatted like the path); each is probed in turn.
    fields: dict[str, str] = field(default_factory=dict)
    #: "form", "query" or "json"; "path" probes the `{probe}` of the path.
    where: str = "form"
    signed_in: bool = True
    #: Only searched for, never stored: an over-long value may also find nothing (200).
    searched: bool = False
    #: How the page refuses a value it checks itself, if not with 400 (a flash and back).
    refused_with: int = 400


PROBES = [
    Probe("sign-in request", "POST", "/login", {"email": "a@example.org"}, signed_in=False),
    Probe("sign-in next", "GET", "/login", {"next": "/items"}, "query", False, True),
    Probe("sign-in link", "GET", "/login/{probe}", where="path", signed_in=False),
    Probe("sign-in button", "POST", "/login/{probe}", where="path", signed_in=False),
    Probe("API token", "POST", "/account/tokens", {"name": "script"}),
    Probe(
        "item list",
        "GET",
        "/items",
        {
            "text": "census",
            "entity": "ILO",
            "status": "delayed",
            "working_group": "WS1",
            "due_from": "2020-01-01",
            "kind": "activity",
        },
        "query",
        searched=True,
    ),
    Probe(
        "timeline",
        "GET",
        "/timeline",
        {"working_group": "WS1", "from": "2020-01"},
        "query",
        searched=True,
    ),
    Probe("group page", "GET", "/groups/{probe}", where="path", searched=True),
    Probe(
        "activity progress", "POST", "/activities/{a34}/progress", PROGRESS | {"version": "{v_a34}"}
    ),
    Probe(
        "milestone progress",
        "POST",
        "/milestones/{m37}/progress",
        PROGRESS | {"version": "{v_m37}"},
    ),
    Probe(
        "new group",
        "POST",
        "/manage/groups/new",
        {
            "short_name": "NEW",
            "name": "New group",
            "description": "d",
            "objectives": "o",
            "reminder_lead_days": "7",
            "contact_email": "new@example.org",
        },
    ),
    Probe(
        "new activity",
        "POST",
        "/manage/groups/{WS1}/activities/new",
        {
            "code": "99",
            "title": "Probe",
            "description": "d",
            "entities": "ILO",
            "timeline": "March 2020",
            "status": "not_reported",
        },
    ),
    Probe(
        "new milestone",
        "POST",
        "/manage/groups/{EGMS}/milestones/new",
        {
            "code": "M99",
            "kind": "meeting",
            "title": "Probe",
            "date_text": "March 2020",
            "timezone": "Europe/Paris",
            "location": "Cairo",
            "status": "not_reported",
        },
    ),
    Probe(
        "new entity",
        "POST",
        "/manage/entities/new",
        {
            "acronym": "PRB",
            "name": "Probe entity",
            "aliases": "P1",
            "contact_email": "p@example.org",
        },
    ),
    Probe(
        "new person",
        "POST",
        "/manage/people/new",
        {"name": "Probe", "email": "probe@example.org", "role": "member"},
    ),
    Probe(
        "API list",
        "GET",
        "/api/v1/items",
        {"text": "census", "entity": "ILO"},
        "query",
        searched=True,
    ),
    Probe("API progress", "POST", "/api/v1/activities/{a34}/progress", PROGRESS, "json"),
    Probe(
        "reminder preferences",
        "POST",
        "/reminders/preferences",
        {"lead_days": "7,1", "digest_hour": "8"},
    ),
    Probe(
        "unsubscribe link", "GET", "/reminders/unsubscribe/{probe}", where="path", signed_in=False
    ),
    Probe("chat page", "GET", "/chat", {"q": "what is overdue"}, "query", searched=True),
    Probe("chat answer", "GET", "/chat/answer", {"q": "overdue"}, "query", searched=True),
    Probe("new feed", "POST", "/calendar/tokens", {"name": "phone"}, refused_with=302),
    Probe("personal feed", "GET", "/calendar/{probe}.ics", where="path", signed_in=False),
    Probe(
        "public feed",
        "GET",
        "/calendar/public/working-groups/{probe}.ics",
        where="path",
        signed_in=False,
        searched=True,
    ),
    Probe(
        "feed filters",
        "GET",
        "/calendar/{feed}/all.ics",
        {"text": "census", "status": "delayed", "entity": "ILO"},
        "query",
        signed_in=False,
        searched=True,
    ),
    Probe(
        "entity feed",
        "GET",
        "/calendar/{feed}/entities/{probe}.ics",
        where="path",
        signed_in=False,
        searched=True,
    ),
]

CASES = [
    pytest.param(probe, name, bad, id=f"{probe.name}: {name} {bad}")
    for probe in PROBES
    for name in (["path"] if probe.where == "path" else probe.fields)
    for bad in BAD
]


@pytest.fixture
def world(session) -> dict[str, Any]:
    coordinator = session.scalars(
        sa.select(Person).where(Person.email == "coordinator@example.org")
    ).one()
    _, feed = create_token(session, coordinator, "probe")
    api = create_api_token(session, coordinator, "probe")
    a34, m37 = activity(session, "WS1", "3.4"), milestone(session, "EGMS", "37-M3")
    groups = {g.short_name: g.id for g in session.scalars(sa.select(WorkingGroup))}
    session.commit()
    return groups | {
        "a34": a34.id,
        "m37": m37.id,
        "v_a34": a34.version,
        "v_m37": m37.version,
        "feed": feed,
        "api": api,
    }


def _stored(session) -> tuple[int, ...]:
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(model)) for model in STORED)


@pytest.mark.parametrize(("probe", "name", "bad"), CASES)
def test_hostile_text(probe: Probe, name: str, bad: str, client, session, auth, world):
    value = BAD[bad]
    fields = {k: v.format_map(world) for k, v in probe.fields.items()}
    headers = {}
    if probe.signed_in:
        auth.sign_in_as("coordinator@example.org")
    if probe.path.startswith("/api/"):
        headers["Authorization"] = f"Bearer {world['api']}"
    before = _stored(session)
    if probe.where == "path":
        path = probe.path.format_map(world | {"probe": quote(value, safe="")})
    else:
        path = probe.path.format_map(world)
        fields[name] = value
    if probe.where == "query":
        response = client.open(path, method=probe.method, query_string=fields, headers=headers)
    elif probe.where == "json":
        response = client.open(path, method=probe.method, json=fields, headers=headers)
    elif probe.method == "POST":
        token = csrf_token(client, "/account") if probe.signed_in else csrf_token(client)
        response = client.post(path, data=fields | {"csrf_token": token}, headers=headers)
    else:
        response = client.open(path, method=probe.method, headers=headers)
    allowed = {400, 200, 404} if probe.searched and bad == "long" else {400, probe.refused_with}
    if probe.where == "path" and bad == "long":
        allowed = {400, 404}
    assert response.status_code in allowed, response.get_data(as_text=True)[:300]
    assert _stored(session) == before


def test_an_import_names_the_cell_too_long_or_with_a_nul(session, tmp_path):
    path = tmp_path / "hostile.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerow(
            {
                "working_group": "WS1",
                "code": "77",
                "title": "T",
                "timeline": "March 2020 " + "x" * 300,
            }
        )
        writer.writerow(
            {
                "working_group": "EGMS",
                "code": "M77",
                "type": "meeting",
                "title": "T",
                "timeline": "March 2020",
                "location": "Cairo" * 100,
            }
        )
        writer.writerow({"working_group": "WS1", "code": "78", "title": "a\x00b"})
    before = _stored(session)
    with pytest.raises(ImportFailed) as caught:
        import_files(session, [path], TEST_TODAY)
    messages = [str(e) for e in caught.value.errors]
    assert "hostile.csv, row 2, field 'timeline': is longer than 300 characters" in messages
    assert "hostile.csv, row 3, field 'location': is longer than 300 characters" in messages
    assert "hostile.csv, row 4, field 'title': holds a NUL character" in messages
    session.rollback()
    assert _stored(session) == before


def test_probe_count():
    """The figures SECURITY.md quotes."""
    routes = {(p.method, p.path) for p in PROBES}
    print(f"hostile text: {len(CASES)} probes on {len(routes)} routes")
    assert (len(CASES), len(routes)) == (124, 26)
