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

from tests.rounds_support import open_ws1_round
from tests.webtools import activity, milestone, post
from tracker import mail
from tracker.auth.models import ApiToken
from tracker.auth.secrets import create_api_token
from tracker.feeds.services import create_token
from tracker.manage.models import ImportUpload
from tracker.models import Entity, Person, PersonRole, WorkingGroup
from tracker.reminders.preferences import unsubscribe_token

ROLES = (
    "anonymous",
    "member",
    "other_lead",
    "lead",
    "coordinator_elsewhere",
    "coordinator",
    "administrator",
)
EMAILS = {
    "member": "member@example.org",
    "other_lead": "who.focal-point@example.org",  # leads nothing below
    "lead": "ilo.focal-point@example.org",  # ILO leads WS1 3.4
    "coordinator_elsewhere": "un-desa.focal-point@example.org",  # made coordinator of EGMS only
    "coordinator": "coordinator@example.org",  # made coordinator (not administrator) of all
    "administrator": "unfpa.focal-point@example.org",  # made administrator, of no group
}

OK, DENIED, SIGN_IN = "ok", "403", "sign in"


def expect(**overrides: str) -> dict[str, str]:
    """Every signed-in role allowed unless said otherwise; strangers sent to sign in."""
    return {role: overrides.get(role, OK) for role in ROLES} | (
        {"anonymous": overrides.get("anonymous", SIGN_IN)}
    )


READ = expect()
#: The coordinators' pages, each showing or changing only what the coordinator's groups hold.
COORDINATORS = expect(member=DENIED, other_lead=DENIED, lead=DENIED)
#: Entities and people's details reach into every group: administrators only.
ADMINISTRATORS = expect(
    member=DENIED, other_lead=DENIED, lead=DENIED, coordinator_elsewhere=DENIED, coordinator=DENIED
)
#: Adding someone to a group (or taking them off): that group's coordinators.
EGMS_MEMBERSHIP = COORDINATORS
WS1_WORKPLAN = expect(member=DENIED, other_lead=DENIED, lead=DENIED, coordinator_elsewhere=DENIED)
WS1_MEMBERSHIP = WS1_WORKPLAN
EGMS_WORKPLAN = expect(member=DENIED, other_lead=DENIED, lead=DENIED)
UPDATE_34 = expect(member=DENIED, other_lead=DENIED, coordinator_elsewhere=DENIED)
UPDATE_37M3 = expect(member=DENIED, other_lead=DENIED, lead=DENIED)  # IOM leads, in EGMS
OWNER_ONLY = expect(
    member=DENIED,
    other_lead=DENIED,
    coordinator_elsewhere=DENIED,
    coordinator=DENIED,
    administrator=DENIED,
)
UPLOADER_ONLY = expect(
    member=DENIED,
    other_lead=DENIED,
    lead=DENIED,
    coordinator_elsewhere=DENIED,
    administrator=DENIED,
)
EVERYONE = expect(anonymous=OK)


@dataclass
class World:
    """The seed objects the routes act on."""

    ids: dict[str, Any] = field(default_factory=dict)
    #: The people form as it stands for each person the cases edit, by role name.
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)

    def person_form(self, role: str, add_group: str | None = None) -> dict[str, Any]:
        form = dict(self.forms[role])
        if add_group is not None:
            form["working_groups"] = [*form["working_groups"], str(self.ids[add_group])]
        return form


@dataclass
class Case:
    endpoint: str
    method: str
    path: Callable[[World], str]
    expected: dict[str, str]
    data: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None
    api: bool = False
    #: Tells apart cases of one route.
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}" + (f" ({self.label})" if self.label else "")

    def form(self, world: World) -> dict[str, Any] | None:
        return self.data(world) if callable(self.data) else self.data


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
    Case("manage.index", "GET", lambda w: "/manage/", COORDINATORS),
    Case("manage.new_group", "GET", lambda w: "/manage/groups/new", COORDINATORS),
    Case("manage.new_group", "POST", lambda w: "/manage/groups/new", COORDINATORS, {}),
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
    Case("manage.entities", "GET", lambda w: "/manage/entities", ADMINISTRATORS),
    Case("manage.edit_entity", "GET", lambda w: "/manage/entities/new", ADMINISTRATORS),
    Case(
        "manage.edit_entity",
        "POST",
        lambda w: f"/manage/entities/{w.ids['ILO']}/edit",
        ADMINISTRATORS,
        {},
    ),
    Case("manage.people", "GET", lambda w: "/manage/people", COORDINATORS),
    Case("manage.edit_person", "GET", lambda w: "/manage/people/new", ADMINISTRATORS, label="new"),
    Case(
        "manage.edit_person",
        "GET",
        lambda w: f"/manage/people/{w.ids['member']}/edit",
        COORDINATORS,
        label="existing",
    ),
    Case(
        "manage.edit_person",
        "POST",
        lambda w: "/manage/people/new",
        ADMINISTRATORS,
        lambda w: w.person_form("member") | {"email": "new.member@example.org"},
        label="new person",
    ),
    Case(
        "manage.edit_person",
        "POST",
        lambda w: f"/manage/people/{w.ids['member']}/edit",
        EGMS_MEMBERSHIP,
        lambda w: w.person_form("member", add_group="EGMS"),
        label="member added to EGMS",
    ),
    Case(
        "manage.edit_person",
        "POST",
        lambda w: f"/manage/people/{w.ids['member']}/edit",
        COORDINATORS | {"coordinator_elsewhere": DENIED},
        lambda w: w.person_form("member", add_group="GPMS"),
        label="member added to GPMS",
    ),
    # the probe of issue 20: a coordinator of EGMS adding themselves to WS1
    Case(
        "manage.edit_person",
        "POST",
        lambda w: f"/manage/people/{w.ids['coordinator_elsewhere']}/edit",
        WS1_MEMBERSHIP,
        lambda w: w.person_form("coordinator_elsewhere", add_group="WS1"),
        label="EGMS coordinator added to WS1",
    ),
    Case(
        "manage.edit_person",
        "POST",
        lambda w: f"/manage/people/{w.ids['member']}/edit",
        ADMINISTRATORS,
        lambda w: w.person_form("member") | {"role": "coordinator"},
        label="member made coordinator",
    ),
    Case(
        "manage.edit_person",
        "POST",
        lambda w: f"/manage/people/{w.ids['member']}/edit",
        ADMINISTRATORS,
        lambda w: w.person_form("member") | {"email": "someone.else@example.org"},
        label="member's address changed",
    ),
    Case(
        "manage.edit_person",
        "POST",
        lambda w: f"/manage/people/{w.ids['member']}/edit",
        COORDINATORS,
        {},
    ),
    Case("manage.import_files_page", "GET", lambda w: "/manage/import", COORDINATORS),
    Case("manage.import_files_page", "POST", lambda w: "/manage/import", COORDINATORS, {}),
    Case(
        "manage.import_preview",
        "GET",
        lambda w: f"/manage/import/{w.ids['upload']}",
        UPLOADER_ONLY,
    ),
    Case(
        "manage.import_mapping",
        "POST",
        lambda w: f"/manage/import/{w.ids['upload']}/mapping",
        UPLOADER_ONLY,
        {"table": "ws1.csv|1", "column-0": "title"},
    ),
    Case(
        "manage.apply_import",
        "POST",
        lambda w: f"/manage/import/{w.ids['upload']}/apply",
        UPLOADER_ONLY,
        {"preview_digest": "stale"},
    ),
    Case("manage.export", "GET", lambda w: "/manage/export", COORDINATORS),
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
    Case("api.results", "GET", lambda w: "/api/v1/working-groups/GMG-DR/results", READ, api=True),
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
    Case("reminders.outbox", "GET", lambda w: "/reminders/outbox", COORDINATORS),
    Case(
        "reminders.outbox_message",
        "GET",
        lambda w: f"/reminders/outbox/{w.ids['mail']}",
        COORDINATORS,
    ),
    Case(
        "reminders.resend",
        "POST",
        lambda w: f"/reminders/outbox/{w.ids['mail']}/resend",
        COORDINATORS,
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
    Case("monitoring.index", "GET", lambda w: "/rounds/", READ),
    Case("monitoring.index", "POST", lambda w: "/rounds/", WS1_WORKPLAN, {"working_group": "WS1"}),
    Case("monitoring.round_page", "GET", lambda w: f"/rounds/{w.ids['round']}", READ),
    Case("monitoring.close", "POST", lambda w: f"/rounds/{w.ids['round']}/close", WS1_WORKPLAN),
    Case(
        "monitoring.report_form",
        "GET",
        lambda w: f"/rounds/{w.ids['round']}/report",
        expect(member=DENIED),
    ),
    Case(
        "monitoring.save_item",
        "POST",
        lambda w: f"/rounds/{w.ids['round']}/items/{w.ids['round_item']}",
        UPDATE_34,
        {"action": "submit", "status": "bogus"},
    ),
    Case(
        "monitoring.summaries",
        "POST",
        lambda w: f"/rounds/{w.ids['round']}/summaries",
        WS1_WORKPLAN,
        {"highlights": "x"},
    ),
    Case("reports.programme", "GET", lambda w: "/reports/?from=2020-01-01&to=2020-06-30", READ),
    Case(
        "reports.group_report", "GET", lambda w: "/reports/WS1?from=2020-01-01&to=2020-06-30", READ
    ),
    Case("api.rounds", "GET", lambda w: "/api/v1/rounds", READ, api=True),
    Case("api.round_detail", "GET", lambda w: f"/api/v1/rounds/{w.ids['round']}", READ, api=True),
    Case("ops.healthz", "GET", lambda w: "/healthz", EVERYONE, api=True),
    Case("ops.readyz", "GET", lambda w: "/readyz", EVERYONE, api=True),
    Case("favicon", "GET", lambda w: "/favicon.ico", EVERYONE),
]


@pytest.fixture
def world(session) -> World:
    people = {p.email: p for p in session.scalars(sa.select(Person))}
    elsewhere = people[EMAILS["coordinator_elsewhere"]]
    elsewhere.role = PersonRole.COORDINATOR
    groups = {g.short_name: g for g in session.scalars(sa.select(WorkingGroup))}
    elsewhere.working_groups = [groups["EGMS"]]
    people[EMAILS["coordinator"]].role = PersonRole.COORDINATOR  # the seed's administrator
    administrator = people[EMAILS["administrator"]]
    administrator.role, administrator.working_groups = PersonRole.ADMINISTRATOR, []
    create_api_token(session, people[EMAILS["lead"]], "lead's script")
    upload = ImportUpload(person=people[EMAILS["coordinator"]], files=[])
    session.add(upload)
    message = mail.queue(
        session, kind="test", recipient="ilo@example.org", subject="s", text_body="t"
    )
    feed, feed_token = create_token(session, people[EMAILS["lead"]], "lead's phone")
    round_ = open_ws1_round(session)
    ilo_34 = next(i for i in round_.items if i.activity.code == "3.4" and i.entity.acronym == "ILO")
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
            "round": round_.id,
            "round_item": ilo_34.id,
            "unsubscribe": unsubscribe_token("ilo@example.org"),
            "coordinator_elsewhere": elsewhere.id,
            **{short: g.id for short, g in groups.items()},
        },
        forms={
            role: _person_form(people[EMAILS[role]]) for role in ("member", "coordinator_elsewhere")
        },
    )


def _person_form(person: Person) -> dict[str, Any]:
    """The people form of `person`, filled as the page shows it."""
    return {
        "name": person.name,
        "email": person.email,
        "entity": str(person.entity_id or ""),
        "role": person.role.value,
        "working_groups": [str(g.id) for g in person.working_groups],
        "active": "y",
    }


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
        response = client.post(path, json=case.form(world), headers=headers)
    else:
        response = post(client, path, case.form(world))
    assert outcome(response) == case.expected[role], response.get_data(as_text=True)[:500]
    if callable(case.data) and case.expected[role] == OK:
        assert response.status_code == 302, response.get_data(as_text=True)[:500]  # saved


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


def test_matrix_size():
    """What the matrix tries: every role on every case; the figures SECURITY.md quotes."""
    tried = [(case.id, role) for case in CASES for role in ROLES]
    refused = [(c.id, role) for c in CASES for role in ROLES if c.expected[role] == DENIED]
    signed_out = [(c.id, role) for c in CASES for role in ROLES if c.expected[role] == SIGN_IN]
    print(
        f"permission matrix: {len(tried)} tried, {len(refused)} refused (403), "
        f"{len(signed_out)} sent to sign in"
    )
    assert len(tried) >= 550 and len(refused) >= 150
