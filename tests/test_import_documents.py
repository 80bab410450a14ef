"""Workplans from Word documents, web pages and Markdown: the seed table, mappings, bad input."""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from docx import Document

from tests.documents_support import HEADER, ROWS, ws1_docx, ws1_html, ws1_markdown
from tracker import resource_dir
from tracker.exchange import CLI_LIMITS, DocumentOptions, ImportFailed, import_files
from tracker.exchange.documents import (
    DocumentTable,
    find_header,
    read_document,
    split_numbering,
)
from tracker.exchange.models import ImportMapping
from tracker.extensions import db
from tracker.models import Activity, StatusChange, WorkingGroup

from .conftest import TEST_TODAY

SEEDS = resource_dir("seeds")
WS1 = DocumentOptions(working_group="WS1")


def seed_activity_rows() -> dict[str, dict[str, str]]:
    """The hand-prepared seed rows of WS1's activities (its milestones are not in the table)."""
    with (SEEDS / "ws1-workplan.csv").open(encoding="utf-8") as f:
        return {r["code"]: r for r in csv.DictReader(f) if r["type"] == "activity"}


def documents(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "ws1.html").write_text(ws1_html(), encoding="utf-8")
    (tmp_path / "ws1.md").write_text(ws1_markdown(), encoding="utf-8")
    return {
        "docx": ws1_docx(tmp_path / "ws1.docx"),
        "html": tmp_path / "ws1.html",
        "md": tmp_path / "ws1.md",
    }


def counts(session) -> tuple[int, int]:
    return (
        session.scalar(sa.select(sa.func.count()).select_from(Activity)),
        session.scalar(sa.select(sa.func.count()).select_from(StatusChange)),
    )


@pytest.mark.parametrize("kind", ["docx", "html", "md"])
def test_the_seed_table_reads_as_the_hand_prepared_seed_rows(tmp_path, kind):
    (table,) = read_document(documents(tmp_path)[kind], CLI_LIMITS)
    assert table.mapping == ["title", "sub_activity", "description", "entities", "timeline"]
    rows = {r.values["code"]: r.values for r in table.rows("WS1")}
    want = seed_activity_rows()
    assert list(rows) == list(want)  # every activity, in the seed's order
    for code, row in rows.items():
        for name in ("working_group", "parent", "title", "description", "entities", "timeline"):
            assert row.get(name, "") == want[code][name], (code, name)
    assert "9 countries¹, in order" in rows["3.2"]["description"]
    footnote = "¹ Cabo Verde, The Gambia, Ghana, Kenya, Morocco, Senegal, South Africa, Tunisia"
    assert rows["3.2"]["description"].endswith(f"\n\n{footnote}, Uganda")


@pytest.mark.parametrize("kind", ["docx", "html", "md"])
def test_importing_the_document_over_the_seeds_changes_nothing(session, tmp_path, kind):
    report = import_files(session, [documents(tmp_path)[kind]], TEST_TODAY, documents=WS1)
    assert report.changes == [] and report.unchanged == len(seed_activity_rows())


def _snapshot(session) -> dict[str, tuple]:
    """WS1's activities: what they say, who takes part in which role, when they happen."""
    activities = session.scalars(
        sa.select(Activity).join(Activity.working_group).where(WorkingGroup.short_name == "WS1")
    )
    return {
        a.code: (
            a.title,
            a.parent.code if a.parent else None,
            a.description,
            sorted((link.entity.acronym, link.role.value) for link in a.entity_links),
            a.timeline_text,
            a.planned_start,
            a.planned_end,
            a.ongoing,
            a.recurrence,
        )
        for a in activities
    }


def test_a_fresh_import_of_the_word_document_gives_the_seed_items(empty_app, session, tmp_path):
    """Seeds from CSV on one side (`session`), the registry and the Word document on the other."""
    expected = _snapshot(session)
    docx = documents(tmp_path)["docx"]
    with empty_app.app_context():
        import_files(db.session, [SEEDS / "registry.toml", docx], TEST_TODAY, documents=WS1)
        db.session.commit()
        got = _snapshot(db.session)
    assert got == expected
    roles = dict(got["3.4"][3])
    assert roles == {"ILO": "lead", "World Bank": "partner"}


BAD = [
    # activity 3.2's timeline unreadable, 3.5 led by an unknown entity, 3.7 numbered twice
    (6, 4, "31 February 2020 – Ongoing"),
    (9, 3, "ILOO"),
    (12, 1, "3.6) Maintain Global Migration Data Portal."),
]


def bad_rows() -> list[list[str]]:
    rows = [list(r) for r in ROWS]
    for row, column, text in BAD:
        rows[row - 2][column] = text
    return rows


@pytest.mark.parametrize("kind", ["docx", "html"])
def test_a_document_with_bad_rows_gets_row_errors_and_writes_nothing(session, tmp_path, kind):
    if kind == "docx":
        path = ws1_docx(tmp_path / "bad.docx", bad_rows())
    else:
        path = tmp_path / "bad.html"
        path.write_text(ws1_html(bad_rows()), encoding="utf-8")
    before = counts(session)
    with pytest.raises(ImportFailed) as failed:
        import_files(session, [path], TEST_TODAY, documents=WS1)
    messages = [str(e) for e in failed.value.errors]
    name = f"bad.{kind} (table 1)"
    assert any(
        m.startswith(f"{name}, row 6, field 'timeline': ") and "not a real date" in m
        for m in messages
    ), messages
    assert any(m.startswith(f"{name}, row 9, field 'entities': ") and "ILOO" in m for m in messages)
    assert f"{name}, row 12, field 'code': 3.6 already appears in {name} row 10" in messages
    assert len(messages) == 3
    session.rollback()
    assert counts(session) == before


def test_french_and_spanish_headers_partners_and_lettered_codes(session, tmp_path):
    french = (
        "| N° | Activité | Entité chef de file | Partenaires | Échéancier |\n"
        "|---|---|---|---|---|\n"
        "| | 5) Former les statisticiens | ILO | World Bank | Mars 2020 – juin 2020 |\n"
        "| | (a) Atelier régional | IOM | | Avril 2020 |\n"
    )
    spanish = (
        "<table><tr><th>Actividad</th><th>Subactividades</th><th>Entidad líder</th>"
        "<th>Socios</th><th>Cronograma</th></tr>"
        "<tr><td>6) Revisar la guía</td><td>6.1) Primer borrador</td><td>UNFPA</td>"
        "<td>OECD</td><td>enero 2021</td></tr></table>"
    )
    (tmp_path / "fr.md").write_text(french, encoding="utf-8")
    (tmp_path / "es.html").write_text(spanish, encoding="utf-8")
    (fr,) = read_document(tmp_path / "fr.md", CLI_LIMITS)
    assert fr.mapping == ["code", "title", "entities", "partners", "timeline"]
    (es,) = read_document(tmp_path / "es.html", CLI_LIMITS)
    assert es.mapping == ["title", "sub_activity", "entities", "partners", "timeline"]
    rows = {r.values["code"]: r.values for r in [*fr.rows("WS1"), *es.rows("WS1")]}
    assert rows["5"]["entities"] == "ILO (World Bank)"
    assert (rows["5.a"]["parent"], rows["5.a"]["title"]) == ("5", "Atelier régional")
    assert (rows["6.1"]["parent"], rows["6.1"]["entities"]) == ("6", "UNFPA (OECD)")
    assert "entities" not in rows["6"]  # the row's cells belong to its sub-activity
    report = import_files(
        session, [tmp_path / "fr.md", tmp_path / "es.html"], TEST_TODAY, documents=WS1
    )
    assert [c.code for c in report.changes] == ["5", "5.a", "6", "6.1"]
    five = session.scalars(sa.select(Activity).where(Activity.code == "5")).one()
    assert {(link.entity.acronym, link.role.value) for link in five.entity_links} == {
        ("ILO", "lead"),
        ("World Bank", "partner"),
    }
    assert (five.planned_start.isoformat(), five.planned_end.isoformat()) == (
        "2020-03-01",
        "2020-06-30",
    )


def test_html_as_pages_write_it_unclosed_cells_spans_footers_and_nested_tables(tmp_path):
    page = (
        "<table><thead><tr><th>Activity<th>Lead entity<th>Timeline</thead>"
        "<tr><td>1) Train<br>statisticians<td rowspan=2>ILO<sup>2</sup><td>2021"
        "<tr><td>2) Publish<p>the guide</p><td>2022"
        "<tr><td colspan=2>3) Share <table><tr><td>nested</td></tr></table><td>2023"
        "<tfoot><tr><td colspan=3><sup>2</sup> With the regional offices.</tfoot></table>"
    )
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    (table,) = read_document(tmp_path / "page.html", CLI_LIMITS)
    assert table.table.rows == [
        ["Activity", "Lead entity", "Timeline"],
        ["1) Train statisticians", "ILO²", "2021"],
        ["2) Publish\n\nthe guide", "ILO²", "2022"],
        ["3) Share\n\nnested", "", "2023"],
    ]
    rows = {r.values["code"]: r.values for r in table.rows("WS1")}
    # a marker in a column of names is taken off, its footnote kept in the description
    assert rows["1"]["entities"] == rows["2"]["entities"] == "ILO"  # merged over both
    assert rows["1"]["description"] == "² With the regional offices."
    assert rows["2"]["title"] == "Publish"
    assert rows["2"]["description"] == "the guide\n\n² With the regional offices."


@pytest.mark.parametrize(
    ("text", "number", "rest"),
    [
        ("3.2) Close the gap", "3.2", "Close the gap"),
        ("3.2.1 Draft", "3.2.1", "Draft"),
        ("3.2.1. Draft", "3.2.1", "Draft"),
        ("(a) Workshop", "a", "Workshop"),
        ("b) Workshop", "b", "Workshop"),
        ("4. Convene", "4", "Convene"),
        ("(4) Convene", "4", "Convene"),
        ("2030 Agenda reporting", None, None),
        ("Ongoing", None, None),
    ],
)
def test_numbering(text, number, rest):
    found = split_numbering(text)
    assert (found.number, found.text) == (number, rest) if number else found is None


def test_word_list_numbering_gives_codes(tmp_path):
    document = Document()
    table = document.add_table(rows=3, cols=3)
    for cell, text in zip(table.rows[0].cells, ["Activity", "Lead", "Timeline"], strict=True):
        cell.text = text
    for i, (title, lead) in enumerate([("Train", "ILO"), ("Publish", "IOM")], start=1):
        paragraph = table.cell(i, 0).paragraphs[0]
        paragraph.text, paragraph.style = title, "List Number"  # Word draws "1." itself
        table.cell(i, 1).text, table.cell(i, 2).text = lead, "2021"
    document.save(tmp_path / "numbered.docx")
    (found,) = read_document(tmp_path / "numbered.docx", CLI_LIMITS)
    assert [(r.values["code"], r.values["title"]) for r in found.rows("WS1")] == [
        ("1", "Train"),
        ("2", "Publish"),
    ]


def test_header_detection_needs_an_activity_column_and_evidence():
    assert find_header(DocumentTable(1, [["Name", "Phone"], ["A", "1"]])) is None
    table = DocumentTable(1, [["Workplan 2020", ""], ["Activities", "Timeframe"], ["1) x", "2020"]])
    assert find_header(table) == (1, ["title", "timeline"])


# --- the CLI: a dry run that shows, --apply, --map, remembered mappings --------------------


def test_cli_dry_run_shows_table_mapping_and_rows_then_apply_remembers(runner, session, tmp_path):
    rows = [list(r) for r in ROWS] + [["5) A new activity", "", "", "ILO (World Bank)", "2021"]]
    path = ws1_docx(tmp_path / "ws1.docx", rows)
    before = counts(session)
    result = runner.invoke(args=["import", str(path), "--working-group", "WS1"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ws1.docx (table 1): header in row 1, 25 rows, 27 items; columns read as proposed" in out
    assert " 4 ENTITIES (WG members)" in out and "-> Lead entities" in out
    assert "entities: ILO (lead), World Bank (partner)" in out
    assert "timeline: 2021 = 2021-01-01 to 2021-12-31" in out
    assert "create activity WS1 5" in out and "1 to create, 0 to update, 26 unchanged" in out
    assert "dry run: nothing was written" in out
    assert counts(session) == before

    remapped = runner.invoke(
        args=["import", str(path), "--working-group", "WS1", "--map", "BRIEF DESCRIPTIONS=note",
              "--map", "5=ignore", "--apply"]
    )  # fmt: skip
    assert remapped.exit_code == 0, remapped.output
    assert "columns read as chosen" in remapped.output and "applied" in remapped.output
    kept = session.scalars(sa.select(ImportMapping)).one()
    assert kept.mapping == ["title", "sub_activity", "note", "entities", ""]
    assert kept.header == HEADER
    new = session.scalars(sa.select(Activity).where(Activity.code == "5")).one()
    assert new.timeline_text == "" and new.progress_note == ""

    again = runner.invoke(args=["import", str(path), "--working-group", "WS1"])
    assert "columns read as remembered" in again.output
    assert "0 to create, 0 to update, 27 unchanged" in again.output


def test_cli_bad_map_and_missing_group(runner, tmp_path):
    path = ws1_docx(tmp_path / "ws1.docx")
    no_group = runner.invoke(args=["import", str(path)])
    assert no_group.exit_code == 1
    assert "say which working group the rows belong to (--working-group WS1" in no_group.output
    bad = runner.invoke(
        args=["import", str(path), "--working-group", "WS1", "--map", "Budget=note"]
    )
    assert bad.exit_code == 2 and "ws1.docx (table 1) has no column 'Budget'" in bad.output
    target = runner.invoke(args=["import", str(path), "--working-group", "WS1", "--map", "2=cost"])
    assert target.exit_code == 2 and "the target is one of title, sub_activity" in target.output


# --- bad files -----------------------------------------------------------------------------


def docx_bomb(path: Path, unpacked_mb: int) -> Path:
    ws1_docx(path)
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as package,
        package.open("word/media/padding.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(unpacked_mb):
            member.write(bytes(1024 * 1024))
    return path


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("plan.docx", lambda p: p.write_bytes(b"%PDF-1.4"), "not a Word (.docx) file: it is a PDF"),
        (
            "plan.docx",
            lambda p: p.write_text("Activity | Timeline"),
            "not a Word (.docx) file (it is not a zip package)",
        ),
        (
            "plan.docx",
            lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)),
            "not a Word (.docx) file: it is password-protected (encrypted)",
        ),
        (
            "plan.docx",
            lambda p: p.write_bytes(ws1_docx(p).read_bytes()[:3000]),
            "not a readable Word (.docx) file: the package is damaged",
        ),
        (
            "plan.docx",
            lambda p: zipfile.ZipFile(p, "w").writestr("hello.txt", "hi"),
            "not a readable Word document (",
        ),
        ("plan.docx", lambda p: docx_bomb(p, 310), "the file unpacks to 311 MB"),
        (
            "plan.html",
            lambda p: p.write_text("<table><tr><td>Name</td><td>Phone</td></tr></table>"),
            "no table that looks like a workplan (1 table(s) found, headed: Name | Phone)",
        ),
        ("plan.md", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n"), "not a text file: it is a PNG"),
        (
            "plan.html",
            lambda p: p.write_bytes(b"<table>" + b"x" * (51 * 1024 * 1024)),
            "the file is larger than the 50 MB an import takes here",
        ),
    ],
)
def test_bad_documents_get_a_clear_message_and_nothing_is_written(
    session, tmp_path, name, make, says
):
    path = tmp_path / name
    make(path)
    before = counts(session)
    with pytest.raises(ImportFailed) as failed:
        import_files(session, [path], TEST_TODAY, documents=WS1)
    (error,) = failed.value.errors
    assert str(error).startswith(f"{name}, file: {says}"), str(error)
    session.rollback()
    assert counts(session) == before


def test_a_document_with_an_entity_bomb_is_refused_quickly(session, tmp_path):
    """ "Billion laughs": nine levels of ten entities each inside document.xml."""
    path = ws1_docx(tmp_path / "lol.docx")
    with zipfile.ZipFile(path) as package:
        members = {name: package.read(name) for name in package.namelist()}
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    head, rest = members["word/document.xml"].decode().split("?>", 1)
    members["word/document.xml"] = (
        f"{head}?><!DOCTYPE lolz [{entities}]>" + rest.replace("Prepare", "&lol9; Prepare", 1)
    ).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    started = time.perf_counter()
    with pytest.raises(ImportFailed, match=r"not a readable Word document .*amplification"):
        import_files(session, [path], TEST_TODAY, documents=WS1)
    assert time.perf_counter() - started < 2


def test_a_document_of_only_text_has_no_workplan_table(session, tmp_path):
    document = Document()
    document.add_paragraph("1) Prepare guidance note by December 2019.")
    buffer = io.BytesIO()
    document.save(buffer)
    (tmp_path / "report.docx").write_bytes(buffer.getvalue())
    with pytest.raises(ImportFailed, match=r"no table that looks like a workplan \(0 table"):
        import_files(session, [tmp_path / "report.docx"], TEST_TODAY, documents=WS1)


# --- the import page -----------------------------------------------------------------------


def post_upload(client, files: list[tuple[bytes, str]], **fields):
    from tests.webtools import post

    return post(
        client,
        "/manage/import",
        {"files": [(io.BytesIO(data), name) for data, name in files], **fields},
        content_type="multipart/form-data",
    )


def test_import_page_previews_a_word_document_changes_its_mapping_and_imports(
    client, session, auth, tmp_path
):
    from tests.webtools import post

    auth.sign_in_as("coordinator@example.org")
    rows = [list(r) for r in ROWS] + [["5) A new activity", "", "", "ILO (World Bank)", "2021"]]
    data = ws1_docx(tmp_path / "ws1.docx", rows).read_bytes()
    before = counts(session)
    preview = post_upload(client, [(data, "ws1.docx")], working_group="WS1")
    assert preview.status_code == 200, preview.text
    page = preview.text
    assert "ws1.docx (table 1)" in page and "proposed from their headings" in page
    assert '<option value="timeline" selected>Timeline (proposed)</option>' in page
    assert "2018-11-01 to 2019-11-30" in page and "ILO (lead), World Bank (partner)" in page
    assert "1 to create, 0 to update, 26 unchanged" in page
    assert counts(session) == before
    upload_id = int(re.search(r"/manage/import/(\d+)/mapping", page).group(1))

    mapping = {
        f"column-{i}": t for i, t in enumerate(["title", "sub_activity", "note", "entities", ""])
    }
    changed = post(
        client, f"/manage/import/{upload_id}/mapping", {"table": "ws1.docx|1", **mapping}
    )
    assert changed.status_code == 302
    page = client.get(f"/manage/import/{upload_id}").text
    assert "The columns are read as you chose;" in " ".join(page.split())
    assert '<option value="" selected>Ignore this column</option>' in page
    assert "24 to update" in page
    digest = re.search(r'name="preview_digest" type="hidden" value="(\w+)"', page).group(1)
    applied = post(client, f"/manage/import/{upload_id}/apply", {"preview_digest": digest})
    assert applied.status_code == 302
    assert session.scalars(sa.select(ImportMapping)).one().mapping == [
        "title", "sub_activity", "note", "entities", ""
    ]  # fmt: skip
    again = post_upload(client, [(data, "ws1.docx")], working_group="WS1").text
    assert "remembered from the last import of this table for WS1" in again


def test_import_page_lists_row_errors_of_a_document_and_writes_nothing(
    client, session, auth, tmp_path
):
    auth.sign_in_as("coordinator@example.org")
    data = ws1_docx(tmp_path / "bad.docx", bad_rows()).read_bytes()
    before = counts(session)
    response = post_upload(client, [(data, "bad.docx")], working_group="WS1")
    assert response.status_code == 400
    page = response.text
    assert "3 errors: nothing can be imported" in page and "Import: apply" not in page
    assert "ILOO" in page and "is not a real date" in page and "already appears in" in page
    assert '<tr class="has-error">' in page  # the bad rows are marked among the rows
    assert counts(session) == before


def test_a_table_pasted_from_a_page_is_read_by_its_tabs(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    pasted = (
        "Activity\tLead entity\tPartners\tTimeline\n"
        '7) Pasted activity\tILO\tWorld Bank\t"March 2021 – June 2021"\n'
    )
    response = post_upload(client, [], pasted=pasted, working_group="WS1")
    assert response.status_code == 200, response.text
    assert "pasted.md (table 1)" in response.text
    assert "2021-03-01 to 2021-06-30" in response.text and "create activity WS1 7" in response.text
    missing = post_upload(client, [], working_group="WS1")
    assert (
        missing.status_code == 400 and "Choose at least one file, or paste a table." in missing.text
    )


# --- the workplan as a Word document -------------------------------------------------------


def test_word_export_groups_by_activity_and_imports_back_unchanged(session, runner, tmp_path):
    path = tmp_path / "ws1-out.docx"
    result = runner.invoke(args=["export", "-o", str(path), "--working-group", "WS1"])
    assert result.exit_code == 0 and "wrote 29 items of 1 working group(s)" in result.output
    document = Document(path)
    workplan, milestones = document.tables
    assert [c.text for c in workplan.rows[0].cells] == [
        "Activity", "Sub-activities", "Description", "Lead entities (partners)", "Timeline",
        "Status",
    ]  # fmt: skip
    # activity 1's cell is merged over its two sub-activities, and reads the same on each row
    first_column = [row.cells[0].text for row in workplan.rows[1:]]
    assert first_column[:3] == [
        "1) Prepare guidance note on migration questions in the 2020 "
        "round of population censuses by December 2019."
    ] * 2 + [
        "2) Revise the 1998 Recommendations on Statistics of International Migration to guide "
        "data collection, analysis and dissemination of migration data under the auspices of "
        "the UN Statistical Commission."
    ]
    assert [c.text for c in milestones.rows[0].cells][:2] == ["Code", "Milestone"]
    (table,) = read_document(path, CLI_LIMITS)  # the milestones table is no workplan table
    want = {r["code"]: r for r in seed_activity_rows().values()}
    got = {r.values["code"]: r.values for r in table.rows("WS1")}
    assert list(got) == list(want)
    for code, row in got.items():
        for name in ("parent", "title", "description", "entities", "timeline"):
            assert row.get(name, "") == want[code][name], (code, name)
    report = import_files(session, [path], TEST_TODAY, documents=WS1)
    assert report.changes == [] and report.unchanged == len(want)


def test_word_export_from_the_web(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    response = client.get("/manage/export?format=docx&working_group=WS1")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "filename=workplan-WS1-2020-01-10.docx" in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == "Thematic workstream 1 (WS1): workplan"
    assert "docx" in client.get("/manage/export").text
