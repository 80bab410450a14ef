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


def test_phone_width_and_keyboard(served, browser):
    base, app = served
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    sign_in(page, base, app, "ilo.focal-point@example.org")
    # nothing wider than the screen on the dashboard
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"))
    # the first Tab reaches the skip link, which moves focus to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.goto(base + "/items?entity=ILO&leading=1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "items-phone.png"))
    context.close()


def test_reminder_preferences_outbox_and_unsubscribe(served, browser):
    from tests.conftest import TEST_TODAY
    from tracker.models import Person
    from tracker.reminders.scan import run_scan

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
