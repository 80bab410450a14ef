"""The progress report laid out as a web page, an HTML file, a Word document and a PDF.

What the report says is `tracker.domain.monitoring.progress_report` (and
`programme_report`); this module only lays it out. The PDF is the HTML file drawn by
WeasyPrint, so the two read the same; the Word file is built with python-docx from the same
sections, its charts given as tables.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from flask import render_template

from tracker.domain.monitoring import (
    REPORT_SECTIONS,
    ProgrammeReport,
    ProgressReport,
    ReportedUpdate,
)
from tracker.models import Status
from tracker.monitoring import charts
from tracker.timeline import format_date

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

#: File suffix -> media type; `tracker report -o` picks the format by the suffix.
FORMATS = {
    ".html": "text/html; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
}

Report = ProgressReport | ProgrammeReport


def programme_charts(report: ProgrammeReport) -> dict[str, str]:
    lines = [(g.group.short_name, line) for g in report.groups for line in g.indicators]
    return {
        "status": charts.status_by_group(report.groups),
        "on_time": charts.reported_on_time(report.groups),
        "indicators": charts.indicators_against_target(lines),
    }


def render_html(report: Report, today: date) -> str:
    """A standalone HTML document (styles inline: it is a file, not a page of the site)."""
    if isinstance(report, ProgrammeReport):
        return render_template(
            "monitoring/programme_document.html",
            programme=report,
            charts=programme_charts(report),
            generated=today,
        )
    return render_template("monitoring/report_document.html", report=report, generated=today)


def render_pdf(report: Report, today: date) -> bytes:
    from weasyprint import HTML  # loads Pango: only when a PDF is asked for

    pdf = HTML(string=render_html(report, today)).write_pdf()
    assert pdf is not None
    return pdf


def render_docx(report: Report, today: date) -> bytes:
    # python-docx and lxml: tens of MB in every web worker, for a download now and then
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.styles["Normal"].font.size = Pt(10.5)
    if isinstance(report, ProgrammeReport):
        _programme_docx(document, report, today)
    else:
        document.add_heading(report.title, level=0)
        document.add_paragraph(_byline(report, today)).italic = True
        _report_docx(document, report, level=1)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render(report: Report, suffix: str, today: date) -> bytes:
    """The report in the format a file suffix names (.html, .docx, .pdf)."""
    suffix = suffix.lower()
    if suffix == ".html":
        return render_html(report, today).encode()
    if suffix == ".docx":
        return render_docx(report, today)
    if suffix == ".pdf":
        return render_pdf(report, today)
    raise ValueError(f"cannot write a {suffix or 'suffix-less'} report; use .html, .docx or .pdf")


def write_report(report: Report, path: Path, today: date) -> None:
    path.write_bytes(render(report, path.suffix, today))


def _byline(report: ProgressReport, today: date) -> str:
    due = f"; reporting round due {format_date(report.round.due_date)}" if report.round else ""
    return (
        f"{report.group.short_name}, {format_date(report.start)} to {format_date(report.end)}"
        f"{due}. Generated from the Workplan Tracker on {format_date(today)}."
    )


def _updates(document: DocxDocument, updates: list[ReportedUpdate]) -> None:
    for update in updates:
        when = format_date(update.when) if update.when else ""
        note = update.note or f"status {update.status.label}"
        document.add_paragraph(f"{note} ({update.who}, {when})", style="List Bullet 2")
    if not updates:
        document.add_paragraph("Nothing reported for this period.", style="List Bullet 2")


def _bullets(document: DocxDocument, lines: list[str], empty: str) -> None:
    if not lines:
        document.add_paragraph(empty)
    for line in lines:
        document.add_paragraph(line, style="List Bullet")


def _report_docx(document: DocxDocument, report: ProgressReport, level: int) -> None:
    def section(key: str, number: int) -> None:
        document.add_heading(f"{number}. {REPORT_SECTIONS[key]}", level=level)
        if text := report.summary(key):
            document.add_paragraph(text).runs[0].italic = True

    section("objectives", 1)
    _bullets(document, report.objectives, "The working group has no objectives on record.")
    section("highlights", 2)
    for block in report.highlights:
        name = f"{block.output.code}: {block.output.title}" if block.output else "Other activities"
        document.add_heading(name, level=level + 1)
        if not block.activities:
            document.add_paragraph("No activity serving it is planned in this period.")
        for line in block.activities:
            paragraph = document.add_paragraph(style="List Number")
            paragraph.add_run(f"{line.activity.code} ").bold = True
            paragraph.add_run(f"{line.activity.title} ")
            leads = f" ({', '.join(line.leads)})" if line.leads else ""
            paragraph.add_run(f"[{line.activity.status.label}]{leads}").italic = True
            _updates(document, line.updates)
            for milestone in line.milestones_achieved:
                done = format_date(milestone.completed_on) if milestone.completed_on else ""
                document.add_paragraph(
                    f"Milestone achieved: {milestone.title} ({done})", style="List Bullet 2"
                )
    if report.group_milestones:
        document.add_heading("The group's meetings and milestones", level=level + 1)
        for event in report.group_milestones:
            m = event.item
            where = f", {m.location}" if m.location else ""
            leads = f"; {', '.join(m.leads)}" if m.leads else ""
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{m.code} ").bold = True
            paragraph.add_run(f"{m.title} ({m.timeline_text or 'undated'}{where}{leads}) ")
            paragraph.add_run(f"[{event.state}]").italic = True
            if event.updates:
                _updates(document, event.updates)
    section("indicators", 3)
    if report.indicators:
        table = document.add_table(rows=1, cols=5)
        table.style = "Table Grid"
        for cell, text in zip(
            table.rows[0].cells,
            ("Indicator", "Baseline", "Target", "Actual", "Source"),
            strict=True,
        ):
            cell.text = text
        for line in report.indicators:
            i = line.indicator
            actual = (
                f"{line.actual.value} ({line.actual.period})" if line.actual else "not reported"
            )
            cells = table.add_row().cells
            cells[0].text = f"{i.code}: {i.name} ({i.unit})"
            cells[1].text = f"{i.baseline_value or '–'} {i.baseline_when}".strip()
            cells[2].text = f"{i.target_value or 'none set'} {i.target_when}".strip()
            cells[3].text = actual
            cells[4].text = line.actual.source if line.actual else ""
    else:
        document.add_paragraph("No indicators are set for this working group's results.")
    section("findings", 4)
    if report.findings or not report.summary("findings"):
        _bullets(document, report.findings, "None recorded for this period.")
    section("risks", 5)
    _bullets(
        document,
        [
            f"{r.description} ({r.subject}; "
            f"raised by {r.raised_by or 'unknown'}{', ' + r.raised_when if r.raised_when else ''})"
            for r in report.risks
        ],
        "None raised.",
    )
    section("outcomes", 6)
    _bullets(
        document,
        [f"{v.outcome.code}: {v.outcome.title}" for v in report.outcomes if v.outcome],
        "No outcomes on record.",
    )
    section("synergies", 7)
    _bullets(
        document,
        [
            f"{link.theme.name}: {link.synergy or '–'}"
            + (f" (activities {', '.join(codes)})" if codes else "")
            for link, codes in report.synergies
        ],
        "No themes on record.",
    )
    section("partners", 8)
    document.add_paragraph(", ".join(report.partners) or "None on record.")
    section("next_steps", 9)
    _bullets(
        document,
        [
            f"{s.code} {s.title}{', ' + s.when if s.when else ''} ({s.source})"
            for s in report.next_steps
        ],
        "Nothing is due in the next period.",
    )


def _programme_docx(document: DocxDocument, programme: ProgrammeReport, today: date) -> None:
    document.add_heading(programme.title, level=0)
    document.add_paragraph(f"Generated from the Workplan Tracker on {format_date(today)}.")
    document.add_heading("Status by working group", level=1)
    table = document.add_table(rows=1, cols=len(Status) + 2)
    table.style = "Table Grid"
    header = ["Group", *(s.label for s in Status), "Reported on time"]
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for summary in programme.groups:
        cells = table.add_row().cells
        cells[0].text = summary.group.short_name
        for cell, status in zip(cells[1:], Status, strict=False):
            cell.text = str(summary.status_counts.get(status, 0))
        share = summary.on_time_share
        cells[-1].text = (
            "no round"
            if share is None
            else f"{share:.0%} ({summary.on_time} of {summary.round_items})"
        )
    for report in programme.reports:
        document.add_page_break()
        document.add_heading(report.title, level=1)
        _report_docx(document, report, level=2)
