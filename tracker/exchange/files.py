"""Reading and writing workplan rows as CSV or XLSX, with errors that name file, row and field.

Every cell is written as text: in XLSX with the explicit string type, in CSV with a leading
apostrophe before anything a spreadsheet would run as a formula (`protect_cell`), which the
reader takes off again (`unprotect_cell`), so an export imports back to exactly what it held.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from tracker.exchange.limits import CLI_LIMITS, FileRefused, Limits, check_file

#: The columns of a workplan file, in the order `tracker export` writes them.
COLUMNS = (
    "working_group",
    "type",
    "code",
    "parent",
    "title",
    "description",
    "entities",
    "timeline",
    "time",
    "timezone",
    "location",
    "status",
    "note",
    "recurrence",
)
REQUIRED_COLUMNS = ("working_group", "code", "title")
SHEET_NAME = "workplan"

#: The columns of a results table (`tracker.exchange.results`): its `level` column tells it
#: from a workplan table, in a file of its own or as the "results" sheet of a workbook.
RESULT_COLUMNS = (
    "working_group",
    "level",
    "code",
    "parent",
    "title",
    "description",
    "unit",
    "baseline",
    "baseline_date",
    "target",
    "target_date",
    "period",
    "value",
    "source",
    "note",
    "activities",
    "raised_by",
    "raised_on",
)
RESULT_REQUIRED = ("working_group", "level", "code")
RESULTS_SHEET = "results"
WORKPLAN, RESULTS = "workplan", "results"


@dataclass(frozen=True)
class RowError:
    file: str
    #: "row 7" in a table, "entities[3]" in a registry.
    where: str
    field: str | None
    message: str

    def __str__(self) -> str:
        field = f", field '{self.field}'" if self.field else ""
        return f"{self.file}, {self.where}{field}: {self.message}"


class ImportFailed(Exception):
    """The files hold errors; nothing was written. `errors` lists every one found."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class SourceRow:
    file: str
    #: The row number a spreadsheet shows: the header is row 1.
    number: int
    values: dict[str, str]
    #: `WORKPLAN` or `RESULTS`: which kind of table the row comes from.
    table: str = WORKPLAN

    def error(self, field: str | None, message: str) -> RowError:
        return RowError(self.file, f"row {self.number}", field, message)


def _header(file: str, cells: Iterable[object]) -> tuple[str, list[str]]:
    """The table's kind and its column names; a `level` column makes it a results table."""
    header = [str(c or "").strip().lower().replace(" ", "_") for c in cells]
    table = RESULTS if "level" in header else WORKPLAN
    columns, required = (
        (RESULT_COLUMNS, RESULT_REQUIRED) if table == RESULTS else (COLUMNS, REQUIRED_COLUMNS)
    )
    errors = [
        RowError(file, "row 1", name, f"unknown column; expected some of: {', '.join(columns)}")
        for name in header
        if name and name not in columns
    ]
    errors += [
        RowError(file, "row 1", name, "required column is missing")
        for name in required
        if name not in header
    ]
    if errors:
        raise ImportFailed(errors)
    return table, header


def _cell_text(value: object) -> str:
    """Spreadsheet cells as the text a person typed; Excel may have made dates of them."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


#: What a spreadsheet takes as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def protect_cell(text: str) -> str:
    """The CSV form of a cell: an apostrophe first if a spreadsheet would read a formula.

    Text that already starts with apostrophes before such a character gets one more, so that
    `unprotect_cell` can take exactly one off whatever it reads: the pair is lossless.
    """
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def unprotect_cell(text: str) -> str:
    """The inverse of `protect_cell`; any other text is kept as it is."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


def bounded(name: str, table: Iterable[list[str]], limits: Limits) -> Iterator[list[str]]:
    """Pass rows through, stopping at the first that breaks a limit (header counted as row 1)."""
    data_rows = 0
    for number, cells in enumerate(table, start=1):
        for cell in cells:
            if len(cell) > limits.cell_chars:
                raise ImportFailed(
                    [
                        RowError(
                            name,
                            f"row {number}",
                            None,
                            f"a cell of {len(cell):,} characters; at most "
                            f"{limits.cell_chars:,} are taken",
                        )
                    ]
                )
        if number > 1 and any(cells):
            data_rows += 1
            if data_rows > limits.rows:
                raise ImportFailed(
                    [
                        RowError(
                            name,
                            "file",
                            None,
                            f"more than {limits.rows:,} rows; split the file, or import it "
                            "with `tracker import`",
                        )
                    ]
                )
        yield cells


def _csv_table(path: Path) -> Iterator[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed([RowError(path.name, "file", None, f"not UTF-8 text ({exc})")]) from None
    reader = csv.reader(io.StringIO(text))
    try:
        for cells in reader:
            yield [unprotect_cell(c) for c in cells]
    except csv.Error as exc:  # e.g. a field over the csv module's own 128 KiB limit
        raise ImportFailed(
            [RowError(path.name, f"row {reader.line_num}", None, f"not readable CSV ({exc})")]
        ) from None


def _xlsx_tables(path: Path, limits: Limits) -> list[tuple[str, list[list[str]]]]:
    """The workplan sheet, and the results sheet if there is one, each with its label."""
    from openpyxl import load_workbook  # 20 MB in every web worker, for an upload now and then

    name = path.name
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a broken file
        raise ImportFailed([RowError(name, "file", None, f"not a readable XLSX ({exc})")]) from None
    try:
        sheet = book[SHEET_NAME] if SHEET_NAME in book.sheetnames else book.worksheets[0]
        sheets = [sheet]
        if RESULTS_SHEET in book.sheetnames and book[RESULTS_SHEET] is not sheet:
            sheets.append(book[RESULTS_SHEET])
        tables = []
        for s in sheets:
            label = name if s is sheet else f"{name} (sheet {s.title})"
            cells = ([_cell_text(c) for c in row] for row in s.iter_rows(values_only=True))
            tables.append((label, list(bounded(label, cells, limits))))
        return tables
    finally:
        book.close()


TABLE_KINDS = {".csv": "text", ".xlsx": "XLSX"}


def read_rows(path: Path, limits: Limits = CLI_LIMITS) -> list[SourceRow]:
    """The data rows of a CSV or XLSX workplan (and of a workbook's results sheet); blank rows
    are skipped.

    The file is checked against `limits` before it is parsed, and rows and cells while it is.
    """
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in TABLE_KINDS:
        raise ImportFailed(
            [RowError(name, "file", None, "use a .csv, .xlsx, .toml, .docx, .html or .md file")]
        )
    try:
        check_file(path, TABLE_KINDS[suffix], limits)
    except FileRefused as exc:
        raise ImportFailed([RowError(name, "file", None, str(exc))]) from None
    if suffix == ".csv":
        tables = [(name, list(bounded(name, _csv_table(path), limits)))]
    else:
        tables = _xlsx_tables(path, limits)
    return [row for label, table in tables for row in _table_rows(label, table)]


def _table_rows(name: str, table: list[list[str]]) -> list[SourceRow]:
    if not table:
        raise ImportFailed([RowError(name, "row 1", None, "the file is empty")])
    kind, header = _header(name, table[0])
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in cells):
            continue
        if len(cells) > len(header) and any(str(c).strip() for c in cells[len(header) :]):
            raise ImportFailed([RowError(name, f"row {number}", None, "more cells than columns")])
        values = {
            col: str(cells[i]).strip() if i < len(cells) else ""
            for i, col in enumerate(header)
            if col
        }
        rows.append(SourceRow(name, number, values, kind))
    return rows


def write_rows(
    path: Path, rows: list[dict[str, str]], results: list[dict[str, str]] | None = None
) -> None:
    """Write rows in `COLUMNS` order as CSV or XLSX (by the file's suffix); a workbook gets
    the `results` rows as its results sheet (a CSV file holds one table: see `write_table`)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if results:
            raise ValueError("a CSV file holds one table: write the results to a file of their own")
        write_table(path, rows, COLUMNS)
    elif suffix == ".xlsx":
        from openpyxl import Workbook  # see `_xlsx_tables`

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = SHEET_NAME
        _fill_sheet(sheet, rows, COLUMNS)
        if results:
            _fill_sheet(book.create_sheet(RESULTS_SHEET), results, RESULT_COLUMNS)
        book.save(path)
    else:
        raise ValueError(f"cannot write {path.name}: use a .csv or .xlsx file")


def write_table(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...]) -> None:
    """One table as CSV."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: protect_cell(v) for k, v in row.items()} for row in rows)


def _fill_sheet(sheet: Any, rows: list[dict[str, str]], columns: tuple[str, ...]) -> None:
    from openpyxl.styles import Font

    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(col, "") for col in columns])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # "=..." stays text, never a formula
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width, 8), 60)
    sheet.freeze_panes = "A2"
