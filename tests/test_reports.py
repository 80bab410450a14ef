"""Progress reports written from the data: the GMG report's shape, the coordinator's
summaries, and the three formats read back (Word with python-docx, PDF text with pypdf)."""

import io
from datetime import date
from html import unescape

import pytest
import sqlalchemy as sa
from docx import Document
from pypdf import PdfReader

from tracker.domain.monitoring import (
    ReportFields,
    RoundError,
    programme_report,
    progress_report,
    submit_report,
)
from tracker.domain.status import Actor
from tracker.models import Activity, Milestone, Person, Status, WorkingGroup
from tracker.monitoring.report import render

from .rounds_support import open_ws1_round
from .webtools import post

TODAY = date(2020, 7, 20)


def group(session, name: str) -> WorkingGroup:
    return session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == name)).one()


def person(session, email: str) -> Person:
    return session.scalars(sa.select(Person).where(Person.email == email)).one()


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages
    )


GMG_2014 = [
    "1. Objectives",
    "Enhancing the availability, accessibility and scope of data collection.",
    "2. Work programme highlights",
    "Output 1.2: Tools, guidelines, methods and handbooks",
    "Handbook 'Measuring International Migration and its Impact on Development",
    "3. Indicators",
    "4. Key findings and lessons learned",
    "fell from 78 percent (1990 (census round)) to 50 percent",
    "5. Risks and dependencies",
    "Output 1.3 (2); raised by GMG-DR 2014 work programme",
    "6. Outcomes",
    "Stakeholders will be better informed on migration and development",
    "7. Synergies with cross-cutting themes",
    "Inclusion of gender-disaggregated data.",
    "8. Partners",
    "ILO, IOM, UN DESA, UNICEF, World Bank",
    "9. Next steps",
]


def test_the_gmg_report_has_the_documents_shape(session):
    report = progress_report(
        session, group(session, "GMG-DR"), date(2014, 1, 1), date(2014, 12, 31)
    )
    html = unescape(render(report, ".html", TODAY).decode())
    positions = [html.find(text) for text in GMG_2014]
    assert -1 not in positions, [t for t, p in zip(GMG_2014, positions, strict=True) if p == -1]
    assert positions == sorted(positions)  # in the report's order
    assert [b.output.code for b in report.highlights] == ["Output 1.2", "Output 1.3"]


def test_next_steps_are_what_falls_due_in_the_next_period(session):
    report = progress_report(session, group(session, "GMG-DR"), date(2014, 1, 1), date(2014, 6, 30))
    steps = [(s.code, s.when) for s in report.next_steps]
    assert steps == [
        ("NS-1", "August 2014"),
        ("NS-2", "September 2014"),
        ("Output 1.2 (2)", "September 2014"),
    ]


def test_the_groups_own_meetings_are_in_the_report_of_their_period(session):
    """EGMS's expert group meeting of July 2019 belongs to no activity: the highlights of the
    activities would leave it out."""
    egms = group(session, "EGMS")
    report = progress_report(session, egms, date(2019, 7, 1), date(2019, 12, 31))
    (event,) = [e for e in report.group_milestones if e.item.code == "EGM-2019"]
    assert event.item.leads == ("UN DESA",) and event.state == "completed"
    html = unescape(render(report, ".html", TODAY).decode())
    line = "EGM-2019</strong> Expert Group Meeting on Improving Migration Data"
    assert "The group's meetings and milestones" in html and line in html
    word = docx_text(render(report, ".docx", TODAY))
    assert "EGM-2019 Expert Group Meeting on Improving Migration Data" in word
    assert "UN DESA) [completed]" in word
    # had nobody said it took place, the report of a period after it says its report is due
    session.execute(
        sa.update(Milestone).where(Milestone.code == "EGM-2019").values(status=Status.NOT_REPORTED)
    )
    report = progress_report(session, egms, date(2019, 7, 1), date(2019, 12, 31))
    (event,) = [e for e in report.group_milestones if e.item.code == "EGM-2019"]
    assert event.state == "held, its report awaited"
    assert "held, its report awaited" in unescape(render(report, ".html", TODAY).decode())
    # written before the meeting, the report of the year does not say it was held
    early = progress_report(session, egms, date(2019, 1, 1), date(2019, 12, 31), date(2019, 6, 1))
    (event,) = [e for e in early.group_milestones if e.item.code == "EGM-2019"]
    assert event.state == "not reported"
    later = progress_report(session, egms, date(2020, 1, 1), date(2020, 6, 30))
    # the Cairo workshop of January 2020 (37-M2) is activity 37's, and in its highlights
    assert {"EGM-2019", "37-M2"}.isdisjoint(e.item.code for e in later.group_milestones)


@pytest.mark.parametrize("suffix", [".docx", ".pdf"])
def test_word_and_pdf_say_what_the_html_says(session, suffix):
    report = progress_report(
        session, group(session, "GMG-DR"), date(2014, 1, 1), date(2014, 12, 31)
    )
    data = render(report, suffix, TODAY)
    text = docx_text(data) if suffix == ".docx" else pdf_text(data)
    for expected in GMG_2014:
        assert expected in text, expected
    if suffix == ".docx":
        headings = [
            p.text
            for p in Document(io.BytesIO(data)).paragraphs
            if p.style.name.startswith("Heading")
        ]
        assert headings[:2] == ["1. Objectives", "2. Work programme highlights"]
        assert headings[2].startswith("Output 1.2: Tools, guidelines, methods and handbooks")


def test_a_rounds_reports_and_summaries_make_the_report(client, session, auth):
    ws1 = group(session, "WS1")
    round_ = open_ws1_round(session)
    activity = session.scalars(
        sa.select(Activity).where(Activity.working_group_id == ws1.id, Activity.code == "3.4")
    ).one()
    submit_report(
        session,
        round_,
        activity,
        Actor.of(person(session, "ilo.focal-point@example.org"), "web"),
        ReportFields(
            Status.IN_PROGRESS,
            "Methodology piloted in two regions.",
            next_steps="A third region in 2020 H2",
        ),
        date(2020, 7, 1),
    )
    session.commit()
    auth.sign_in_as("coordinator@example.org")
    saved = post(
        client,
        f"/rounds/{round_.id}/summaries",
        {"highlights": "A steady half year.", "findings": ""},
    )
    assert saved.status_code == 302
    assert round_.summaries == {"highlights": "A steady half year."}
    response = client.get("/reports/WS1?from=2020-01-01&to=2020-06-30&format=docx")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="WS1-2020-01-01-2020-06-30.docx"'
    )
    text = docx_text(response.data)
    assert "Thematic workstream 1: progress report, 2020, first half" in text
    assert "A steady half year." in text
    assert "2020, first half: Methodology piloted in two regions." in text
    assert "3.4 A third region in 2020 H2 (reported by ILO)" in text
    pdf = pdf_text(client.get("/reports/WS1?from=2020-01-01&to=2020-06-30&format=pdf").data)
    assert "Methodology piloted in two regions." in pdf and "A steady half year." in pdf
    page = client.get("/reports/WS1?from=2020-01-01&to=2020-06-30").get_data(as_text=True)
    assert "Methodology piloted in two regions." in page
    auth.sign_in_as("ilo.focal-point@example.org")
    assert post(client, f"/rounds/{round_.id}/summaries", {"highlights": "mine"}).status_code == 403


def test_the_report_page_is_worked_out_once_per_content_state(client, session, auth, count_queries):
    """A second view while nothing changed reads no report rows; a change shows at once, and
    a reader who may not edit the group never gets the page worked out for one who may."""
    round_ = open_ws1_round(session)
    session.commit()
    auth.sign_in_as("coordinator@example.org")
    url = "/reports/WS1?from=2020-01-01&to=2020-06-30"
    with count_queries() as first:
        assert "A steady half year." not in client.get(url).get_data(as_text=True)
    with count_queries() as again:
        assert client.get(url).status_code == 200
    assert len(again.statements) < len(first.statements) // 2
    saved = post(client, f"/rounds/{round_.id}/summaries", {"highlights": "A steady half year."})
    assert saved.status_code == 302
    assert "A steady half year." in client.get(url).get_data(as_text=True)

    unplanned = "/reports/WS1?from=2021-01-01&to=2021-06-30"
    hint = "open a round for exactly this period"
    assert hint in client.get(unplanned).get_data(as_text=True)
    auth.sign_in_as("ilo.focal-point@example.org")
    assert hint not in client.get(unplanned).get_data(as_text=True)


def test_the_programme_report_draws_its_charts(client, session, auth):
    report = programme_report(
        session, date(2020, 1, 1), date(2020, 12, 31), TODAY, with_group_reports=True
    )
    html = render(report, ".html", TODAY).decode()
    assert html.count("<svg") == 3
    assert 'aria-label="Activities in the period by status, per working group"' in html
    assert "No indicator has both a target and an actual in this period." in html
    assert "Thematic workstream 1: progress report" in pdf_text(render(report, ".pdf", TODAY))
    auth.sign_in_as("member@example.org")
    page = client.get("/reports/?from=2020-01-01&to=2020-12-31")
    assert page.status_code == 200 and page.get_data(as_text=True).count("<svg") == 3
    assert client.get("/reports/?from=2020-12-31&to=2020-01-01").status_code == 400


def test_the_programme_figures_counted_in_sql_match_the_group_reports(session):
    for start, end in [
        (date(2014, 1, 1), date(2014, 12, 31)),
        (date(2020, 1, 1), date(2020, 6, 30)),
    ]:
        programme = programme_report(session, start, end, TODAY, with_group_reports=True)
        assert len(programme.groups) == len(programme.reports) > 1
        for summary, report in zip(programme.groups, programme.reports, strict=True):
            assert summary.group is report.group
            assert summary.status_counts == report.status_counts, summary.group.short_name
            assert [(line.indicator.id, line.actual) for line in summary.indicators] == [
                (line.indicator.id, line.actual) for line in report.indicators
            ]
        assert any(s.status_counts for s in programme.groups)
        assert programme_report(session, start, end, TODAY).reports == []


def test_report_command_writes_each_format(runner, session, tmp_path):
    for suffix in (".html", ".docx", ".pdf"):
        out = tmp_path / f"gmg{suffix}"
        result = runner.invoke(
            args=[
                "report",
                "--working-group",
                "GMG-DR",
                "--from",
                "2014-01-01",
                "--to",
                "2014-12-31",
                "-o",
                str(out),
            ]
        )
        assert result.exit_code == 0, result.output
        data = out.read_bytes()
        readers = {".html": bytes.decode, ".docx": docx_text, ".pdf": pdf_text}
        text = readers[suffix](data)
        assert "Output 1.3: A strategic systematic approach to data collection" in text
    bad = runner.invoke(
        args=[
            "report",
            "--working-group",
            "GMG-DR",
            "--from",
            "2014-12-31",
            "--to",
            "2014-01-01",
            "-o",
            str(tmp_path / "x.pdf"),
        ]
    )
    assert bad.exit_code == 1 and "before it starts" in bad.output
    assert not (tmp_path / "x.pdf").exists()
    with pytest.raises(RoundError):
        progress_report(session, group(session, "WS1"), date(2020, 2, 1), date(2020, 1, 1))
