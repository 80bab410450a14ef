"""Reading and writing workplan rows as CSV or XLSX, with errors that name file, row and field."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

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

    def error(self, field: str | None, message: str) -> RowError:
        return RowError(self.file, f"row {self.number}", field, message)


def _header(file: str, cells: Iterable[object]) -> list[str]:
    header = [str(c or "").strip().lower().replace(" ", "_") for c in cells]
    errors = [
        RowError(file, "row 1", name, f"unknown column; expected some of: {', '.join(COLUMNS)}")
        for name in header
        if name and name not in COLUMNS
    ]
    errors += [
        RowError(file, "row 1", name, "required column is missing")
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    if errors:
        raise ImportFailed(errors)
    return header


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


def read_rows(path: Path) -> list[SourceRow]:
    """The data rows of a CSV or XLSX workplan; blank rows are skipped."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFailed([RowError(name, "file", None, f"not UTF-8 text ({exc})")]) from None
        table = list(csv.reader(io.StringIO(text)))
    elif suffix == ".xlsx":
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several unrelated types for a broken file
            raise ImportFailed(
                [RowError(name, "file", None, f"not a readable XLSX ({exc})")]
            ) from None
        sheet = book[SHEET_NAME] if SHEET_NAME in book.sheetnames else book.worksheets[0]
        table = [[_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    else:
        raise ImportFailed([RowError(name, "file", None, "use a .csv, .xlsx or .toml file")])
    if not table:
        raise ImportFailed([RowError(name, "row 1", None, "the file is empty")])
    header = _header(name, table[0])
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
        rows.append(SourceRow(name, number, values))
    return rows


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """Write rows in `COLUMNS` order as CSV or XLSX (by the file's suffix)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    elif suffix == ".xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = SHEET_NAME
        sheet.append(list(COLUMNS))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.get(col, "") for col in COLUMNS])
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width, 8), 60)
        sheet.freeze_panes = "A2"
        book.save(path)
    else:
        raise ValueError(f"cannot write {path.name}: use a .csv or .xlsx file")
