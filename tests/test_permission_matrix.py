"""Who may do what, on every route: role x action -> allowed, 403, or sent to sign in.

"Allowed" means the request reached the view's work (200, a redirect after saving, or the form
back with its errors); a refused one gets 403 and not the form; a stranger is sent to the
sign-in page (pages) or gets 401 (API).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from tests.webtools import activity, milestone, post
from tracker import mail
from tracker.auth.models import ApiToken
from tracker.auth.secrets import create_api_token
from tracker.feeds.services import create_token
from tracker.manage.models import ImportUpload
from tracker.models import Entity, Person, PersonRole, WorkingGroup
from tracker.reminders.preferences import unsubscribe_token

ROLES = ("anonymous", "member", "other_lead", "lead", "coordinator_elsewhere", "coordinator")
EMAILS = {
    "member": "member@example.org",
    "other_lead": "who.focal-point@example.org",  # leads nothing below
    "lead": "ilo.focal-point@example.org",  # ILO leads WS1 3.4
    "coordinator_elsewhere": "un-desa.focal-point@example.org",  # made coordinator of EGMS only
    "coordinator": "coordinator@example.org",  # coordinates every group
}

OK, DENIED, SIGN_IN = "ok", "403", "sign in"


def expect(**overrides: str) -> dict[str, str]:
    """Every signed-in role allowed unless said otherwise; strangers sent to sign in."""
    return {role: overrides.get(role, OK) for role in ROLES} | (
        {"anonymous": overrides.get("anonymous", SIGN_IN)}
    )


READ = expect()
DIRECTORY = expect(member=DENIED, other_lead=DENIED, lead=DENIED)
WS1_WORKPLAN = expect(member=DENIED, other_lead=DENIED, lead=DENIED, coordinator_elsewhere=DENIED)
EGMS_WORKPLAN = expect(member=DENIED, other_lead=DENIED, lead=DENIED)
UPDATE_34 = expect(member=DENIED, other_lead=DENIED, coordinator_elsewhere=DENIED)
UPDATE_37M3 = expect(member=DENIED, other_lead=DENIED, lead=DENIED)  # IOM leads, in EGMS
OWNER_ONLY = expect(
    member=DENIED, other_lead=DENIED, coordinator_elsewhere=DENIED, coordinator=DENIED
)
UPLOADER_ONLY = expect(member=DENIED, other_lead=DENIED, lead=DENIED, coordinator_elsewhere=DENIED)
EVERYONE = expect(anonymous=OK)


@dataclass
class World:
    """The seed objects the routes act on."""

    ids: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    endpoint: str
    method: str
    path: Callable[[World], str]
    expected: dict[str, str]
    data: dict[str, Any] | None = None
    api: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}"


def ws1(w: World) -> int:
    return w.ids["WS1"]


CASES = [
    Case("auth.login", "GET", lambda w: "/login", EVERYONE),
    Case("auth.login", "POST", lambda w: "/login", EVERYONE, {"email": "nobody@example.org"}),
    Case("auth.use_link", "GET", lambda w: "/login/not-a-token", EVERYONE),
    Case("auth.use_link", "POST", lambda w: "/login/not-a-token", EVERYONE),
    Case("auth.logout", "POST", lambda w: "/logout", EVERYONE),
    Case("auth.account", "GET", lambda w: "/account", READ),
    Case("auth.create_token", "POST", lambda w: "/account/tokens", READ, {"name": ""}),
    Case(
        "auth.delete_token",
        "POST",
        lambda w: f"/account/tokens/{w.ids['token']}/delete",
        OWNER_ONLY,
    ),
    Case("main.index", "GET", lambda w: "/", READ),
    Case("main.group", "GET", lambda w: "/groups/WS1", READ),
    Case("main.items", "GET", lambda w: "/items?entity=ILO", READ),
    Case("main.timeline", "GET", lambda w: "/timeline?working_group=WS1", READ),
    Case("main.activity", "GET", lambda w: f"/activities/{w.ids['3.4']}", READ),
    Case("main.milestone", "GET", lambda w: f"/milestones/{w.ids['37-M3']}", READ),
    Case(
        "main.update_activity",
        "POST",
        lambda w: f"/activities/{w.ids['3.4']}/progress",
        UPDATE_34,
        {"status": "bogus"},
    ),
    Case(
        "main.update_milestone",
        "POST",
        lambda w: f"/milestones/{w.ids['37-M3']}/progress",
        UPDATE_37M3,
        {"status": "bogus"},
    ),
    Case("manage.index", "GET", lambda w: "/manage/", DIRECTORY),
    Case("manage.new_group", "GET", lambda w: "/manage/groups/new", DIRECTORY),
    Case("manage.new_group", "POST", lambda w: "/manage/groups/new", DIRECTORY, {}),
    Case("manage.group", "GET", lambda w: f"/manage/groups/{ws1(w)}", WS1_WORKPLAN),
    Case("manage.group", "POST", lambda w: f"/manage/groups/{ws1(w)}", WS1_WORKPLAN, {}),
    Case(
        "manage.new_activity",
        "GET",
        lambda w: f"/manage/groups/{ws1(w)}/activities/new",
        WS1_WORKPLAN,
    ),
    Case(
        "manage.new_activity",
        "POST",
        lambda w: f"/manage/groups/{ws1(w)}/activities/new",
        WS1_WORKPLAN,
        {},
    ),
    Case(
        "manage.edit_activity",
        "GET",
        lambda w: f"/manage/activities/{w.ids['3.4']}/edit",
        WS1_WORKPLAN,
    ),
    Case(
        "manage.edit_activity",
        "POST",
        lambda w: f"/manage/activities/{w.ids['3.4']}/edit",
        WS1_WORKPLAN,
        {},
    ),
    Case(
        "manage.new_milestone",
        "GET",
        lambda w: f"/manage/groups/{w.ids['EGMS']}/milestones/new",
        EGMS_WORKPLAN,
    ),
    Case(
        "manage.new_milestone",
        "POST",
        lambda w: f"/manage/groups/{w.ids['EGMS']}/milestones/new",
        EGMS_WORKPLAN,
        {},
    ),
    Case(
        "manage.edit_milestone",
        "GET",
        lambda w: f"/manage/milestones/{w.ids['37-M3']}/edit",
        EGMS_WORKPLAN,
    ),
    Case(
        "manage.edit_milestone",
        "POST",
        lambda w: f"/manage/milestones/{w.ids['37-M3']}/edit",
        EGMS_WORKPLAN,
        {},
    ),
    Case("manage.entities", "GET", lambda w: "/manage/entities", DIRECTORY),
    Case("manage.edit_entity", "GET", lambda w: "/manage/entities/new", DIRECTORY),
    Case(
        "manage.edit_entity",
        "POST",
        lambda w: f"/manage/entities/{w.ids['ILO']}/edit",
        DIRECTORY,
        {},
    ),
    Case("manage.people", "GET", lambda w: "/manage/people", DIRECTORY),
    Case("manage.edit_person", "GET", lambda w: "/manage/people/new", DIRECTORY),
    Case(
        "manage.edit_person",
        "POST",
        lambda w: f"/manage/people/{w.ids['member']}/edit",
        DIRECTORY,
        {},
    ),
    Case("manage.import_files_page", "GET", lambda w: "/manage/import", DIRECTORY),
    Case("manage.import_files_page", "POST", lambda w: "/manage/import", DIRECTORY, {}),
    Case(
        "manage.apply_import",
        "POST",
        lambda w: f"/manage/import/{w.ids['upload']}/apply",
        UPLOADER_ONLY,
        {"preview_digest": "stale"},
    ),
    Case("manage.export", "GET", lambda w: "/manage/export", DIRECTORY),
    Case("api.items", "GET", lambda w: "/api/v1/items", READ, api=True),
    Case("api.activities", "GET", lambda w: "/api/v1/activities?entity=ILO", READ, api=True),
    Case("api.milestones", "GET", lambda w: "/api/v1/milestones", READ, api=True),
    Case("api.activity", "GET", lambda w: f"/api/v1/activities/{w.ids['3.4']}", READ, api=True),
    Case("api.milestone", "GET", lambda w: f"/api/v1/milestones/{w.ids['37-M3']}", READ, api=True),
    Case(
        "api.update_activity",
        "POST",
        lambda w: f"/api/v1/activities/{w.ids['3.4']}/progress",
        UPDATE_34,
        {},
        api=True,
    ),
    Case(
        "api.update_milestone",
        "POST",
        lambda w: f"/api/v1/milestones/{w.ids['37-M3']}/progress",
        UPDATE_37M3,
        {},
        api=True,
    ),
    Case("api.me", "GET", lambda w: "/api/v1/me", READ, api=True),
    Case("api.openapi", "GET", lambda w: "/api/v1/openapi.json", EVERYONE, api=True),
    Case("reminders.preferences", "GET", lambda w: "/reminders/preferences", READ),
    Case(
        "reminders.preferences",
        "POST",
        lambda w: "/reminders/preferences",
        READ,
        {"digest_hour": ""},
    ),
    Case(
        "reminders.unsubscribe",
        "GET",
        lambda w: f"/reminders/unsubscribe/{w.ids['unsubscribe']}",
        EVERYONE,
    ),
    Case(
        "reminders.unsubscribe",
        "POST",
        lambda w: f"/reminders/unsubscribe/{w.ids['unsubscribe']}",
        EVERYONE,
        {"action": "resubscribe"},
    ),
    Case("reminders.outbox", "GET", lambda w: "/reminders/outbox", DIRECTORY),
    Case(
        "reminders.outbox_message", "GET", lambda w: f"/reminders/outbox/{w.ids['mail']}", DIRECTORY
    ),
    Case(
        "reminders.resend", "POST", lambda w: f"/reminders/outbox/{w.ids['mail']}/resend", DIRECTORY
    ),
    Case("chat.page", "GET", lambda w: "/chat?q=overdue", READ),
    Case("feeds.index", "GET", lambda w: "/calendar/", READ),
    Case("feeds.create", "POST", lambda w: "/calendar/tokens", READ, {"name": "Matrix"}),
    Case("feeds.rotate", "POST", lambda w: f"/calendar/tokens/{w.ids['feed']}/rotate", OWNER_ONLY),
    Case("feeds.revoke", "POST", lambda w: f"/calendar/tokens/{w.ids['feed']}/revoke", OWNER_ONLY),
    Case(
        "feeds.publish",
        "POST",
        lambda w: "/calendar/working-groups/WS1/public",
        WS1_WORKPLAN,
        {"public": "1"},
    ),
    # a feed's token is its own key: signed in or not, the address works for its holder
    Case(
        "feeds.person_calendar", "GET", lambda w: f"/calendar/{w.ids['feed_token']}.ics", EVERYONE
    ),
    Case(
        "feeds.programme_calendar",
        "GET",
        lambda w: f"/calendar/{w.ids['feed_token']}/all.ics",
        EVERYONE,
    ),
    Case(
        "feeds.group_calendar",
        "GET",
        lambda w: f"/calendar/{w.ids['feed_token']}/working-groups/WS1.ics",
        EVERYONE,
    ),
    Case(
        "feeds.entity_calendar",
        "GET",
        lambda w: f"/calendar/{w.ids['feed_token']}/entities/ILO.ics",
        EVERYONE,
    ),
    Case(
        "feeds.public_group_calendar",
        "GET",
        lambda w: "/calendar/public/working-groups/WS1.ics",
        EVERYONE,
    ),
    Case("feeds.activity_download", "GET", lambda w: f"/activities/{w.ids['3.4']}.ics", READ),
    Case("feeds.milestone_download", "GET", lambda w: f"/milestones/{w.ids['37-M3']}.ics", READ),
    Case("chat.answer_json", "GET", lambda w: "/chat/answer?q=overdue", READ),
    Case("ops.healthz", "GET", lambda w: "/healthz", EVERYONE, api=True),
    Case("ops.readyz", "GET", lambda w: "/readyz", EVERYONE, api=True),
]


@pytest.fixture
def world(session) -> World:
    people = {p.email: p for p in session.scalars(sa.select(Person))}
    elsewhere = people[EMAILS["coordinator_elsewhere"]]
    elsewhere.role = PersonRole.COORDINATOR
    groups = {g.short_name: g for g in session.scalars(sa.select(WorkingGroup))}
    elsewhere.working_groups = [groups["EGMS"]]
    create_api_token(session, people[EMAILS["lead"]], "lead's script")
    upload = ImportUpload(person=people[EMAILS["coordinator"]], files=[])
    session.add(upload)
    message = mail.queue(
        session, kind="test", recipient="ilo@example.org", subject="s", text_body="t"
    )
    feed, feed_token = create_token(session, people[EMAILS["lead"]], "lead's phone")
    session.commit()
    return World(
        {
            "WS1": groups["WS1"].id,
            "EGMS": groups["EGMS"].id,
            "3.4": activity(session, "WS1", "3.4").id,
            "37-M3": milestone(session, "EGMS", "37-M3").id,
            "ILO": session.scalars(sa.select(Entity.id).where(Entity.acronym == "ILO")).one(),
            "member": people[EMAILS["member"]].id,
            "token": session.scalars(sa.select(ApiToken.id)).one(),
            "upload": upload.id,
            "mail": message.id,
            "feed": feed.id,
            "feed_token": feed_token,
            "unsubscribe": unsubscribe_token("ilo@example.org"),
        }
    )


def outcome(response) -> str:
    if response.status_code == 401:
        return SIGN_IN
    if response.status_code == 302 and response.headers["Location"].startswith("/login?next="):
        return SIGN_IN
    if response.status_code == 403:
        return DENIED
    assert response.status_code < 500
    return OK


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_permission(case: Case, role: str, client, session, auth, world):
    headers = {}
    if role != "anonymous":
        if case.api:
            person = session.scalars(sa.select(Person).where(Person.email == EMAILS[role])).one()
            headers["Authorization"] = "Bearer " + create_api_token(session, person, "matrix")
            session.commit()
        else:
            auth.sign_in_as(EMAILS[role])
    path = case.path(world)
    if case.method == "GET":
        response = client.get(path, headers=headers)
    elif case.api:
        response = client.post(path, json=case.data, headers=headers)
    else:
        response = post(client, path, case.data)
    assert outcome(response) == case.expected[role], response.get_data(as_text=True)[:500]


#: Routes that no role opens: Slack signs its requests (tests/slack/ checks forged and replayed).
SIGNED_REQUESTS = {("slack.events", "POST")}


def test_every_route_is_in_the_matrix(app):
    covered = {(c.endpoint, c.method) for c in CASES} | SIGNED_REQUESTS
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes <= covered, sorted(routes - covered)
