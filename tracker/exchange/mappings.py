"""Which mapping a document's table is read through: chosen now, remembered, or proposed.

A person may remap or ignore a document's columns (on the import page, or `--map` in the
CLI). When the import is applied, the mapping used is remembered for the working group, so
the next import of a table with the same header is read the same way without asking again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.exchange.documents import (
    DOCUMENT_SUFFIXES,
    TARGETS,
    DetectedTable,
    normalize_header,
    read_document,
)
from tracker.exchange.files import ImportFailed, RowError, SourceRow
from tracker.exchange.limits import Limits
from tracker.exchange.models import ImportMapping
from tracker.models import WorkingGroup, utcnow


def table_key(file: str, index: int) -> str:
    """How an upload's options name one table: "ws1.docx|1"."""
    return f"{file}|{index}"


@dataclass
class DocumentOptions:
    #: The working group of rows whose table has no working group column.
    working_group: str | None = None
    #: table_key -> a target for each column ("" ignores it), as the person chose.
    chosen: dict[str, list[str]] = field(default_factory=dict)
    #: Keep the mappings used for the working group (when the import is applied).
    remember: bool = False


def is_document(path: Path) -> bool:
    return path.suffix.lower() in DOCUMENT_SUFFIXES


def _group(session: so.Session, name: str | None) -> WorkingGroup | None:
    if not name:
        return None
    return session.scalars(
        sa.select(WorkingGroup).where(sa.func.lower(WorkingGroup.short_name) == name.lower())
    ).first()


def find_tables(paths: list[Path], limits: Limits) -> list[DetectedTable]:
    """The workplan tables of the documents among `paths`, each with its proposed mapping."""
    errors: list[RowError] = []
    detected: list[DetectedTable] = []
    for path in (p for p in paths if is_document(p)):
        try:
            detected += read_document(path, limits)
        except ImportFailed as exc:
            errors += exc.errors
    if errors:
        raise ImportFailed(errors)
    return detected


def choose_mappings(
    session: so.Session, detected: list[DetectedTable], options: DocumentOptions
) -> None:
    """Read each table through the mapping chosen now, else the one remembered for the group.

    `ImportFailed` for a mapping that does not fit its table, and for rows that would belong
    to no working group.
    """
    group = _group(session, options.working_group)
    remembered = {}
    if group is not None:
        remembered = {
            m.signature: m
            for m in session.scalars(
                sa.select(ImportMapping).where(ImportMapping.working_group_id == group.id)
            )
        }
    errors: list[RowError] = []
    for table in detected:
        chosen = options.chosen.get(table_key(table.file, table.table.index))
        kept = remembered.get(table.signature)
        if chosen is not None:
            table.mapping, table.mapping_source = list(chosen), "chosen"
        elif kept is not None and len(kept.mapping) == len(table.header):
            table.mapping, table.mapping_source = list(kept.mapping), "remembered"
        errors += _mapping_errors(table, has_group=bool(options.working_group))
    if errors:
        raise ImportFailed(errors)


def detect_documents(
    session: so.Session, paths: list[Path], options: DocumentOptions, limits: Limits
) -> list[DetectedTable]:
    """`find_tables`, then `choose_mappings`."""
    detected = find_tables(paths, limits)
    choose_mappings(session, detected, options)
    return detected


def _mapping_errors(table: DetectedTable, has_group: bool) -> list[RowError]:
    where = f"row {table.header_row + 1}"
    if len(table.mapping) != len(table.header):
        return [RowError(table.label, where, None, "the mapping does not fit the table's columns")]
    errors = [
        RowError(table.label, where, header, f"cannot map a column to {target!r}")
        for header, target in zip(table.header, table.mapping, strict=True)
        if target and target not in TARGETS
    ]
    if not {"title", "sub_activity"} & set(table.mapping):
        errors.append(
            RowError(table.label, where, None, "map a column to Activity: each row needs a title")
        )
    if "working_group" not in table.mapping and not has_group:
        errors.append(
            RowError(
                table.label,
                where,
                None,
                "say which working group the rows belong to (--working-group WS1, or the "
                "import page's working group), or map a column to Working group",
            )
        )
    return errors


def document_rows(detected: list[DetectedTable], options: DocumentOptions) -> list[SourceRow]:
    return [row for table in detected for row in table.rows(options.working_group)]


def remember_mappings(
    session: so.Session, detected: list[DetectedTable], options: DocumentOptions
) -> None:
    """Keep each table's mapping for the working group, in the import's transaction."""
    group = _group(session, options.working_group)
    if group is None:
        return
    for table in detected:
        kept = session.scalars(
            sa.select(ImportMapping).where(
                ImportMapping.working_group_id == group.id,
                ImportMapping.signature == table.signature,
            )
        ).first()
        if kept is None:
            kept = ImportMapping(working_group=group, signature=table.signature)
            session.add(kept)
        if (kept.header, kept.mapping) != (table.header, table.mapping):
            kept.header, kept.mapping, kept.updated_at = table.header, table.mapping, utcnow()


def parse_choice(table: DetectedTable, choice: str) -> tuple[int, str]:
    """ "Lead=entities" or "3=ignore" (CLI `--map`): the column index and its target."""
    column, sep, target = choice.rpartition("=")
    if not sep:
        raise ValueError(f"{choice!r}: write COLUMN=TARGET, e.g. 'Lead=entities' or '4=ignore'")
    target = target.strip().lower().replace("-", "_")
    target = "" if target in ("ignore", "none", "") else target
    if target and target not in TARGETS:
        raise ValueError(f"{choice!r}: the target is one of {', '.join(TARGETS)} or ignore")
    column = column.strip()
    if column.isdigit() and 1 <= int(column) <= len(table.header):
        return int(column) - 1, target
    wanted = normalize_header(column)
    for i, header in enumerate(table.header):
        if normalize_header(header) == wanted or header.strip().lower() == column.lower():
            return i, target
    raise ValueError(f"{choice!r}: {table.label} has no column {column!r}")
