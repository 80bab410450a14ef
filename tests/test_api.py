"""The JSON API: bearer tokens, the pages' filters, progress updates, OpenAPI, JSON errors."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.webtools import activity, milestone, post
from tracker.auth.models import ApiToken
from tracker.auth.secrets import create_api_token, digest
from tracker.models import Person, Status


def token_for(session, email: str) -> dict[str, str]:
    person = session.scalars(sa.select(Person).where(Person.email == email)).one()
    raw = create_api_token(session, person, "test")
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


def test_token_made_on_the_account_page_is_shown_once_and_stored_hashed(client, session, auth):
    auth.sign_in_as("ilo.focal-point@example.org")
    response = post(client, "/account/tokens", {"name": "reporting script"})
    assert response.status_code == 200
    raw = re.search(r'<code class="token">(wpt_[^<]+)</code>', response.get_data(as_text=True))
    assert raw and response.headers["Cache-Control"] == "no-store"
    stored = session.scalars(sa.select(ApiToken)).one()
    assert stored.token_hash == digest(raw.group(1)) and raw.group(1) not in stored.token_hash
    assert raw.group(1) not in client.get("/account").get_data(as_text=True)

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw.group(1)}"})
    assert me.status_code == 200 and me.json["entity"] == "ILO"
    assert stored.last_used_at is not None

    assert post(client, f"/account/tokens/{stored.id}/delete").status_code == 302
    revoked = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw.group(1)}"})
    assert revoked.status_code == 401


def test_someone_elses_token_cannot_be_revoked(client, session, auth):
    token_for(session, "ilo.focal-point@example.org")
    stored = session.scalars(sa.select(ApiToken)).one()
    auth.sign_in_as("who.focal-point@example.org")
    assert post(client, f"/account/tokens/{stored.id}/delete").status_code == 403
    assert session.get(ApiToken, stored.id) is not None


def test_no_token_no_data_and_errors_are_json(client, session, auth):
    for headers in ({}, {"Authorization": "Bearer wpt_nonsense"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/items", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["message"] == "Sign in first."
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # a browser's session cookie is not enough: only tokens, so no CSRF from other sites
    auth.sign_in_as("coordinator@example.org")
    assert client.get("/api/v1/items").status_code == 401
    headers = token_for(session, "member@example.org")
    missing = client.get("/api/v1/activities/999999", headers=headers)
    assert missing.status_code == 404 and missing.json["error"]["status"] == 404
    assert client.get("/api/v1/nothing-here", headers=headers).json["error"]["status"] == 404


def test_lists_use_the_pages_filters(client, session):
    headers = token_for(session, "member@example.org")
    led = client.get("/api/v1/items?entity=ILO&leading=1", headers=headers).json
    assert [i["code"] for i in led["items"]] == ["1.1", "3.4", "2", "3.5", "3.3", "3.6"]
    assert led["total"] == 6
    item = led["items"][1]
    assert item["timeline_text"] == "Ongoing – June 2020"
    assert item["due"] == "2020-06-30" and item["due_text"] == "June 2020"
    assert item["url"].endswith(f"/activities/{item['id']}")
    overdue = client.get("/api/v1/items?due=overdue&working_group=WS1", headers=headers).json
    assert {i["code"] for i in overdue["items"]} == {"1.1", "1-M1"}
    assert all(i["overdue"] for i in overdue["items"])
    meetings = client.get("/api/v1/milestones?working_group=M4SD", headers=headers).json
    assert [i["code"] for i in meetings["items"]] == ["W1-S1", "W1-S2", "W1-R"]
    statuses = client.get("/api/v1/activities?status=completed,in_progress", headers=headers)
    assert {i["status"] for i in statuses.json["items"]} <= {"completed", "in_progress"}
    paged = client.get("/api/v1/activities?working_group=WS1&per_page=5&page=2", headers=headers)
    assert paged.json["page"] == 2 and len(paged.json["items"]) == 5


def test_bad_filters_are_400_with_fields(client, session):
    headers = token_for(session, "member@example.org")
    response = client.get("/api/v1/items?due_from=soon&status=done", headers=headers)
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"due_from", "status"}
    unknown = client.get("/api/v1/items?entity=ILOO", headers=headers)
    assert unknown.status_code == 400 and "did you mean ILO" in unknown.json["error"]["message"]
    assert client.get("/api/v1/items?per_page=0", headers=headers).status_code == 400


def test_read_one_with_history(client, session):
    headers = token_for(session, "member@example.org")
    item = activity(session, "WS1", "3")
    body = client.get(f"/api/v1/activities/{item.id}", headers=headers).json
    assert body["code"] == "3" and body["may_update"] is False
    assert body["history"][0]["note"] == "created"
    assert {c["code"] for c in body["children"]} >= {"3.4", "3.10"}
    m = milestone(session, "EGMS", "37-M3")
    assert client.get(f"/api/v1/milestones/{m.id}", headers=headers).json["code"] == "37-M3"


def test_update_with_a_token(client, session):
    headers = token_for(session, "ilo.focal-point@example.org")
    item = activity(session, "WS1", "3.4")
    response = client.post(
        f"/api/v1/activities/{item.id}/progress",
        json={
            "status": "in progress",
            "note": "Started",
            "actual_start": "2020-01-06",
            "version": item.version,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "in_progress" and response.json["changed"] is True
    assert response.json["history"][-1]["source"] == "api"
    assert response.json["actual_start"] == "2020-01-06"

    stale = client.post(
        f"/api/v1/activities/{item.id}/progress",
        json={"status": "completed", "version": item.version - 1},
        headers=headers,
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json["error"]["message"]
    session.refresh(item)
    assert item.status == Status.IN_PROGRESS


def test_update_rules_and_bad_input(client, session):
    item = activity(session, "WS1", "3.4")
    member = token_for(session, "member@example.org")
    denied = client.post(
        f"/api/v1/activities/{item.id}/progress",
        json={"status": "completed", "version": 1},
        headers=member,
    )
    assert denied.status_code == 403 and "only the leads of 3.4" in denied.json["error"]["message"]
    lead = token_for(session, "ilo.focal-point@example.org")
    bad = client.post(
        f"/api/v1/activities/{item.id}/progress",
        json={"status": "done", "actual_end": "June", "colour": "red"},
        headers=lead,
    )
    assert bad.status_code == 400
    assert set(bad.json["error"]["fields"]) == {"status", "actual_end", "colour", "version"}
    not_json = client.post(f"/api/v1/activities/{item.id}/progress", data="x", headers=lead)
    assert not_json.status_code == 400
    session.refresh(item)
    assert item.status == Status.NOT_REPORTED and len(item.history) == 1


def test_milestone_update(client, session):
    headers = token_for(session, "iom.focal-point@example.org")
    m = milestone(session, "EGMS", "37-M3")
    response = client.post(
        f"/api/v1/milestones/{m.id}/progress",
        json={"status": "completed", "version": m.version},
        headers=headers,
    )
    assert response.status_code == 200 and response.json["completed_on"] == "2020-01-10"


def test_openapi_describes_every_route(app, client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    described = set()
    for path, operations in spec["paths"].items():
        for method in operations:
            described.add((method.upper(), re.sub(r"\{(\w+)\}", r"<\1>", path)))
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<int:\w+>", "<id>", rule.rule.removeprefix("/api/v1"))
            served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == served
    for operations in spec["paths"].values():
        for op in operations.values():
            for ref in re.findall(r"'\$ref': '#/components/schemas/(\w+)'", str(op)):
                assert ref in spec["components"]["schemas"]
