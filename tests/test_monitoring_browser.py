"""A reporting round in a real browser: the coordinator opens it, two leads report through
the form by keyboard, the coordinator watches completion and downloads the report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from docx import Document
from pypdf import PdfReader

from tests.test_browser import ARTIFACTS, browser, served, sign_in  # noqa: F401  (fixtures)
from tracker.extensions import db
from tracker.mail.models import OutboxMessage
from tracker.models import Status, StatusChange

pytestmark = pytest.mark.browser


def report_as_lead(page, base: str, code: str, progress: str) -> None:
    page.goto(base + "/rounds/")
    page.get_by_role("link", name="2020, first half").click()
    page.get_by_role("link", name="Report", exact=True).click()
    section = page.locator(".report-item", has=page.get_by_role("heading", name=code))
    # from the status select on, by keyboard only: choose, Tab to the progress, type
    section.get_by_label("Status").focus()
    page.keyboard.press("i")  # a select jumps to the option its first letter names
    page.keyboard.press("Tab")
    page.keyboard.type(progress)
    section.get_by_role("button", name=f"Submit report on {code}").press("Enter")
    page.get_by_text(f"Report on {code} submitted.").wait_for()


def test_a_round_from_opening_to_the_report(served, browser):  # noqa: F811
    base, app = served
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    sign_in(page, base, app, "coordinator@example.org")
    page.goto(base + "/rounds/")
    page.get_by_label("Working group").select_option("WS1")
    page.get_by_label("Period, as people name it").fill("2020, first half")
    page.get_by_label("From").fill("2020-01-01")
    page.get_by_label("To", exact=True).fill("2020-06-30")
    page.get_by_label("Reports due").fill("2020-07-15")
    page.get_by_role("button", name="Open the round and send the requests").click()
    page.get_by_text("Round opened: 12 requests are on their way.").wait_for()
    with app.app_context():
        requests = db.session.scalars(
            sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == "round-request")
        ).all()
    assert "ilo.focal-point@example.org" in requests and len(requests) == 12

    for email, code, progress in (
        ("ilo.focal-point@example.org", "3.4", "Methodology piloted in two regions."),
        ("unfpa.focal-point@example.org", "3.12", "Census and SDG workshop held."),
    ):
        lead = context.browser.new_context(viewport={"width": 1280, "height": 900})
        lead_page = lead.new_page()
        sign_in(lead_page, base, app, email)
        report_as_lead(lead_page, base, code, progress)
        if code == "3.4":
            lead_page.screenshot(path=str(ARTIFACTS / "round-report-form.png"))
        lead.close()

    page.reload()
    assert "2 of 41" in page.locator("main").inner_text()
    ilo_row = page.locator("table.completion tr", has=page.get_by_role("rowheader", name="ILO"))
    assert "1 of 5" in ilo_row.inner_text() and "reported" in ilo_row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "round.png"), full_page=True)
    with app.app_context():
        notes = db.session.scalars(
            sa.select(StatusChange.note).where(StatusChange.note.like("2020, first half:%"))
        ).all()
        statuses = db.session.scalars(
            sa.select(StatusChange.to_status).where(StatusChange.note.like("2020, first half:%"))
        ).all()
    assert statuses == [Status.IN_PROGRESS, Status.IN_PROGRESS]
    assert sorted(notes) == [
        "2020, first half: Census and SDG workshop held.",
        "2020, first half: Methodology piloted in two regions.",
    ]

    page.get_by_label("Work programme highlights").fill("Two leads reported by the due date.")
    page.get_by_role("button", name="Save summaries").click()
    page.get_by_text("Summaries saved").wait_for()
    downloads = {}
    for label in ("Word", "PDF", "HTML file"):
        with page.expect_download() as info:
            page.get_by_role("link", name=label, exact=True).first.click()
        downloads[label] = Path(info.value.path()).read_bytes()
    word = "\n".join(p.text for p in Document(io.BytesIO(downloads["Word"])).paragraphs)
    pdf = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(downloads["PDF"])).pages
    )
    html = downloads["HTML file"].decode()
    for text in (word, pdf, html):
        assert "Two leads reported by the due date." in text
        assert "Methodology piloted in two regions." in text
        assert "Census and SDG workshop held." in text
    page.get_by_role("link", name="read it").click()
    page.screenshot(path=str(ARTIFACTS / "report-ws1.png"), full_page=True)
    context.close()
