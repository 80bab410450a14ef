"""End to end in a real browser: Debian's Chromium, driven by Playwright, against the app
served by a real HTTP server on loopback, on a committed throwaway database."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.conftest import make_app, seed, throwaway_database
from tests.test_mail import free_port
from tracker.extensions import db
from tracker.mail.models import OutboxMessage
from tracker.models import Activity, Status, WorkingGroup

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The tracker on http://127.0.0.1:PORT, with the seed workplans."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with throwaway_database(tmp_path_factory.mktemp("browser")) as url:
        app = make_app(url, BASE_URL=base)
        seed(app)
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield base, app
        finally:
            server.shutdown()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def latest_link(app, email: str) -> str:
    with app.app_context():
        message = db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message is not None, f"no mail to {email}"
        return re.search(r"http://\S+/login/\S+", message.text_body).group(0)


def sign_in(page, base: str, app, email: str) -> None:
    page.goto(base + "/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    page.goto(latest_link(app, email))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Programme at a glance").wait_for()


def test_sign_in_update_status_see_it_on_dashboard_and_history(served, browser):
    base, app = served
    ARTIFACTS.mkdir(exist_ok=True)
    with app.app_context():
        activity_id = db.session.scalars(
            sa.select(Activity.id)
            .join(Activity.working_group)
            .where(WorkingGroup.short_name == "WS1", Activity.code == "3.4")
        ).one()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, app, "ilo.focal-point@example.org")
    assert page.get_by_text("Signed in as ILO focal point.").is_visible()

    page.goto(f"{base}/activities/{activity_id}")
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_label("Actual start").fill("2020-01-06")
    page.get_by_label("Progress note").fill("Pilot data collection started in two countries")
    page.get_by_role("button", name="Save update").click()
    page.get_by_text("Saved.").wait_for()

    history = page.locator("#history + .table-wrap table")
    assert "Pilot data collection started in two countries" in history.inner_text()
    assert "ILO focal point" in history.inner_text()

    page.goto(base + "/")
    recent = page.locator("ul.changes")
    assert "WS1 3.4" in recent.inner_text()
    assert "ILO focal point" in recent.inner_text()
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    with app.app_context():
        assert db.session.get(Activity, activity_id).status == Status.IN_PROGRESS
    context.close()


def test_timeline_of_the_whole_programme_is_readable(served, browser):
    base, app = served
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    sign_in(page, base, app, "member@example.org")
    page.goto(base + "/timeline")
    rows = page.locator("svg.gantt a.row")
    assert rows.count() >= 40
    # every bar sits right of the label column and inside the chart
    label_edge = float(page.locator("svg.gantt .label-edge").get_attribute("x1"))
    for x in page.locator("svg.gantt polygon.bar").evaluate_all(
        "bars => bars.map(b => b.getBBox().x)"
    ):
        assert x >= label_edge - 0.5
    assert page.locator("svg.gantt line.today").count() == 1
    page.screenshot(path=str(ARTIFACTS / "timeline.png"), full_page=True)
    page.goto(base + "/timeline?working_group=WS1")
    page.screenshot(path=str(ARTIFACTS / "timeline-ws1.png"), full_page=True)
    context.close()


def wider_than_the_screen(page) -> list[str]:
    """The elements that reach past the viewport's right edge, innermost first, once the page
    and its fonts have loaded: what makes a phone scroll sideways."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return page.evaluate(
        """() => {
          const edge = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= edge) return [];
          return [...document.body.querySelectorAll('*')]
            .filter(e => e.getBoundingClientRect().right > edge + 0.5)
            .reverse().slice(0, 5)
            .map(e => `${e.tagName.toLowerCase()}.${e.className} right=${
              Math.round(e.getBoundingClientRect().right)}: ${e.textContent.trim().slice(0, 60)}`);
        }"""
    )


def test_phone_width_and_keyboard(served, browser):
    base, app = served
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    sign_in(page, base, app, "ilo.focal-point@example.org")
    # nothing wider than the screen on the dashboard
    assert wider_than_the_screen(page) == []
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"))
    # the first Tab reaches the skip link, which moves focus to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.goto(base + "/items?entity=ILO&leading=1")
    assert wider_than_the_screen(page) == []
    page.screenshot(path=str(ARTIFACTS / "items-phone.png"))
    context.close()


def test_reminder_preferences_outbox_and_unsubscribe(served, browser):
    from tests.conftest import TEST_TODAY
    from tracker.models import Person
    from tracker.reminders.run import run_scan

    base, app = served
    with app.app_context():
        run_scan(db.session, TEST_TODAY, trigger="manual", hold=False)
        digest = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == "iom.focal-point@example.org")
        ).one()
        unsubscribe = re.search(r"http://\S+/reminders/unsubscribe/\S+", digest.text_body).group(0)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused: list[str] = []  # what the content security policy blocked
    page.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    sign_in(page, base, app, "coordinator@example.org")

    page.get_by_role("link", name="Outbox").click()
    page.get_by_role("link", name=str(digest.id), exact=True).click()
    page.get_by_role("heading", name=digest.subject).wait_for()
    frame = page.frame_locator("iframe.mail")  # the HTML part, sandboxed
    assert "Deadlines in the workplans you lead" in frame.locator("body").inner_text()
    assert frame.get_by_role("link", name="IFMS-2020 International Forum").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "outbox-message.png"), full_page=True)

    page.get_by_role("link", name="Reminders").click()
    page.get_by_label("Lead times, in days before a due date").fill("7, 1")
    page.get_by_label("Send the digest at").select_option("7")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your reminder preferences are saved.").wait_for()
    assert page.get_by_label("Lead times, in days before a due date").input_value() == "7,1"
    assert refused == [], "\n".join(refused)

    stranger = browser.new_context().new_page()
    stranger.goto(unsubscribe)
    stranger.get_by_role("button", name="Stop reminders to this address").click()
    stranger.get_by_text("No more reminders go to this address.").wait_for()
    with app.app_context():
        person = db.session.scalars(
            sa.select(Person).where(Person.email == "iom.focal-point@example.org")
        ).one()
        assert person.reminders_enabled is False
    context.close()
    stranger.context.close()


def test_import_a_word_document_with_its_preview_and_a_changed_mapping(served, browser, tmp_path):
    from tests.documents_support import ROWS, ws1_docx

    base, app = served
    ARTIFACTS.mkdir(exist_ok=True)
    rows = [list(r) for r in ROWS] + [["5) A new activity", "", "", "ILO (World Bank)", "2021"]]
    document = ws1_docx(tmp_path / "ws1-workplan.docx", rows)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, app, "coordinator@example.org")
    page.goto(base + "/manage/import")
    page.get_by_label("Workplan files").set_input_files(str(document))
    page.get_by_label("Working group of the document's rows").select_option("WS1")
    page.get_by_role("button", name="Preview the import").click()
    page.get_by_role("heading", name="ws1-workplan.docx (table 1)").wait_for()
    rows_table = page.locator("table.import-rows")
    assert "2018-11-01 to 2019-11-30" in rows_table.inner_text()
    assert page.get_by_text("1 to create, 0 to update, 26 unchanged").is_visible()
    page.screenshot(path=str(ARTIFACTS / "import-preview.png"), full_page=True)

    page.get_by_label("TIMELINES").select_option("")  # ignore the column
    page.get_by_role("button", name="Read the table this way").click()
    page.get_by_text("The columns are read as you chose").wait_for()
    assert "1 to create, 24 to update" in page.get_by_role("status").inner_text()
    page.get_by_label("TIMELINES").select_option("timeline")
    page.get_by_role("button", name="Read the table this way").click()
    page.get_by_text("1 to create, 0 to update, 26 unchanged").wait_for()
    page.get_by_role("button", name="Import: apply these changes").click()
    page.get_by_text("Imported: 1 to create, 0 to update, 26 unchanged.").wait_for()
    with app.app_context():
        new = db.session.scalars(sa.select(Activity).where(Activity.code == "5")).one()
        assert new.timeline_text == "2021" and new.entities_text == "ILO (World Bank)"


def test_the_chat_page_follows_up_and_answers_in_french(served, browser):
    base, app = served
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, app, "member@example.org")
    page.goto(base + "/chat")

    def ask(question: str, turn: int) -> str:
        page.get_by_label("Your question").fill(question)
        page.get_by_label("Your question").press("Enter")
        answer = page.locator(".chat-turn").nth(turn).locator(".chat-answer")
        answer.wait_for()
        return answer.inner_text()

    # counts as the module's earlier tests left the workplan (an import adds ILO's activity 5)
    assert " open items that ILO leads:" in ask("what does ILO lead", 0).splitlines()[0]
    iom = ask("and for IOM?", 1).splitlines()[0]
    assert iom.endswith(" open items that IOM leads:")
    more = ask("more", 2)
    assert more.splitlines()[0] == iom

    def items(text: str) -> set[str]:
        return {line for line in text.splitlines() if " — " in line}

    first_page = page.locator(".chat-turn").nth(1).locator(".chat-answer").inner_text()
    assert len(items(more)) == 5 and items(more).isdisjoint(items(first_page))
    french = ask("qu'est-ce qui est en retard ?", 3)
    assert french.splitlines()[0].endswith(" éléments en retard :")
    assert page.locator(".chat-turn").nth(3).locator(".chat-answer").get_attribute("lang") == "fr"
    page.screenshot(path=str(ARTIFACTS / "chat-follow-ups.png"), full_page=True)
    context.close()


#: Pages no link leads to from a coordinator's pages, or that are not HTML: machine
#: endpoints, downloads, and pages a mail or a form leads to (the other tests open those).
NOT_CRAWLED = {
    "static",
    "favicon",
    "auth.use_link",
    "reminders.unsubscribe",
    "manage.import_preview",
    "chat.answer_json",
    "slack.events",
}


def test_every_page_under_the_content_security_policy(served, browser):
    """Follow every same-site link from the dashboard as a coordinator: no page may log a
    refusal by the app's own policy (inline style or script), nor a script error."""
    from urllib.parse import urlsplit

    base, app = served
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(f"{page.url}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: refused.append(f"{page.url}: {e}"))
    sign_in(page, base, app, "coordinator@example.org")
    with app.app_context():  # a reporting round, so that its pages are linked to
        from datetime import date

        from tracker.domain.monitoring import open_round

        ws1 = db.session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "WS1"))
        open_round(
            db.session,
            ws1.one(),
            None,
            label="crawl",
            period_start=date(2020, 1, 1),
            period_end=date(2020, 6, 30),
            due=date(2020, 7, 15),
            today=date(2020, 1, 10),
        )
        db.session.commit()

    seen_endpoints = {"auth.login"}  # signing in loaded it, under the same listeners
    adapter = app.url_map.bind("127.0.0.1")
    queue, visited = ["/"], set()
    while queue and len(visited) < 150:
        path = queue.pop(0)
        parts = urlsplit(path)
        endpoint, _ = adapter.match(parts.path, method="GET")
        # one visit per endpoint and query shape is enough to see each template
        shape = (endpoint, tuple(sorted(k.split("=")[0] for k in parts.query.split("&") if k)))
        if shape in visited or endpoint in NOT_CRAWLED:
            continue
        visited.add(shape)
        # HEAD first: downloads (exports, .ics) are not pages to load
        head = context.request.head(base + path)
        assert head.ok, f"HEAD {path}: {head.status}"
        if "text/html" not in head.headers.get("content-type", ""):
            continue
        response = page.goto(base + path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        seen_endpoints.add(endpoint)
        for href in page.locator("a[href]").evaluate_all(
            "as => as.map(a => new URL(a.getAttribute('href'), document.baseURI).href)"
        ):
            target = urlsplit(href)
            if target.netloc == urlsplit(base).netloc and not target.path.endswith(".ics"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert refused == [], "\n".join(refused)

    html_pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and rule.endpoint not in NOT_CRAWLED
        and not rule.rule.startswith(("/api/", "/calendar/public", "/healthz", "/readyz"))
        and not rule.rule.endswith((".ics", ".csv", ".xlsx", ".toml"))
    }
    assert html_pages - seen_endpoints == set()
    # the chat page's own styles are applied, not refused
    page.goto(base + "/chat?q=what%27s+due+this+month")
    background = page.locator(".chat-question").first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert background == "rgb(221, 244, 255)"
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    page.goto(base + "/calendar/")
    page.screenshot(path=str(ARTIFACTS / "calendar.png"), full_page=True)
    context.close()


def test_timeline_at_desktop_and_phone_widths(served, browser):
    """The span of the data shown, "today" inside the chart, undated rows hidden on request,
    and on a phone a label column that leaves most of the screen to the bars."""
    base, app = served
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, app, "who.focal-point@example.org")
    # the 2014 work programme: its own year, not the years around today
    page.goto(base + "/timeline?working_group=GMG-DR")
    assert "from 1 January 2014 to 31 December 2014" in page.locator("p[role=status]").inner_text()
    assert page.locator("svg.gantt .row-note", has_text="outside the years shown").count() == 0
    page.screenshot(path=str(ARTIFACTS / "timeline-gmg-dr.png"), full_page=True)
    everything = page.locator("svg.gantt a.row").count()
    page.get_by_label("hide activities without dates").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**dated=1**")
    assert 0 < page.locator("svg.gantt a.row").count() < everything
    # kept: the handbook, undated itself, carries its dated milestones
    [kept] = page.locator("svg.gantt a.row", has_text="no dates").all()
    assert "Output 1.2 (1)" in kept.text_content()
    assert "without dates hidden" in page.locator("p[role=status]").inner_text()
    # today near the right edge: its label stays inside the chart
    page.goto(base + "/timeline?working_group=WS1&from=2019&to=2020-01")
    svg = page.locator("svg.gantt").bounding_box()
    label = page.locator("svg.gantt .today-label").bounding_box()
    assert svg and label and label["x"] + label["width"] <= svg["x"] + svg["width"]
    page.screenshot(path=str(ARTIFACTS / "timeline-today-at-the-edge.png"), full_page=True)
    context.close()

    phone = browser.new_context(
        viewport={"width": 375, "height": 740},
        is_mobile=True,
        user_agent="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120 Mobile Safari",
    )
    page = phone.new_page()
    sign_in(page, base, app, "unfpa.focal-point@example.org")
    page.goto(base + "/timeline?working_group=WS1")
    edge = page.locator("svg.gantt .label-edge").bounding_box()
    assert edge is not None and edge["x"] < 375 * 0.45, edge
    page.locator(".gantt-wrap").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "timeline-phone.png"))
    phone.close()
