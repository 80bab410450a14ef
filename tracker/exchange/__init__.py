"""Import and export of workplans: a TOML registry plus CSV or XLSX workplan tables.

`import_files` writes everything into the session in one go and reports what changed; the
caller commits (`--apply`) or rolls back (the default dry run). Any error anywhere means
`ImportFailed` with every error found, and nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.exchange.documents import DetectedTable
from tracker.exchange.files import COLUMNS, ImportFailed, RowError, read_rows, write_rows
from tracker.exchange.limits import CLI_LIMITS, WEB_LIMITS, FileRefused, Limits, check_file
from tracker.exchange.mappings import (
    DocumentOptions,
    detect_documents,
    document_rows,
    is_document,
    remember_mappings,
)
from tracker.exchange.registry import apply_registry, export_registry
from tracker.exchange.results import export_results, import_results, results_rows_of
from tracker.exchange.workplan import ACTIVITY, Change, apply_workplan, plan_workplan
from tracker.models import Activity, ActivityEntity, Milestone, WorkingGroup

__all__ = [
    "CLI_LIMITS",
    "COLUMNS",
    "WEB_LIMITS",
    "DetectedTable",
    "DocumentOptions",
    "ImportFailed",
    "ImportReport",
    "RowError",
    "export_registry",
    "export_results",
    "export_rows",
    "import_files",
    "write_rows",
]


@dataclass
class ImportReport:
    registry_changes: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    #: The workplan tables found in documents, with the mapping each was read through.
    documents: list[DetectedTable] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.registry_changes or self.changes)

    def lines(self, limit: int | None = None) -> list[str]:
        """What changes, in words; past `limit` changes only their number is given."""
        created = sum(1 for c in self.changes if c.action == "create")
        details = [*self.registry_changes, *(str(c) for c in self.changes)]
        if limit is not None and len(details) > limit:
            more = [f"... and {len(details) - limit} more changes"] if limit else []
            details = [*details[:limit], *more]
        return [
            *details,
            f"{created} to create, {len(self.changes) - created} to update, "
            f"{self.unchanged} unchanged",
        ]


def import_files(
    session: so.Session,
    paths: list[Path],
    today: date,
    progress: Callable[[int, int], None] | None = None,
    limits: Limits = CLI_LIMITS,
    documents: DocumentOptions | None = None,
    detected: list[DetectedTable] | None = None,
) -> ImportReport:
    """Registry files first (workplans name their entities and groups), then workplan tables,
    then results tables (they name the activities their outputs are served by).

    `progress(done, total)` follows the writing of changed items, for long imports; each file
    is checked against `limits` before it is read. Documents (.docx, .html, .md) are read
    through `documents` (their working group and mappings), or as `detected` already.
    """
    options = documents or DocumentOptions()
    report = ImportReport()
    for path in (p for p in paths if p.suffix.lower() == ".toml"):
        try:
            check_file(path, "text", limits)
        except FileRefused as exc:
            raise ImportFailed([RowError(path.name, "file", None, str(exc))]) from None
        report.registry_changes += apply_registry(session, path)
    tables = [p for p in paths if p.suffix.lower() != ".toml"]
    errors: list[RowError] = []
    rows = []
    for path in (p for p in tables if not is_document(p)):
        try:
            rows += read_rows(path, limits)
        except ImportFailed as exc:
            errors += exc.errors
    if detected is None and any(is_document(p) for p in tables):
        try:
            detected = detect_documents(session, tables, options, limits)
        except ImportFailed as exc:
            errors += exc.errors
    if errors:
        raise ImportFailed(errors)
    if detected:
        rows += document_rows(detected, options)
        report.documents = detected
    rows, results = results_rows_of(rows)
    if rows:
        plan = plan_workplan(session, rows)
        total, done = len(plan.changes), 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, total)

        apply_workplan(session, plan, ", ".join(p.name for p in tables), today, advance)
        report.changes, report.unchanged = plan.changes, plan.unchanged
    if results:
        changes, unchanged = import_results(
            session, results, ", ".join(sorted({r.file for r in results}))
        )
        report.changes += changes
        report.unchanged += unchanged
    if detected and options.remember:
        remember_mappings(session, detected, options)
    return report


def export_rows(session: so.Session, working_group: str | None = None) -> list[dict[str, str]]:
    """Every activity and milestone as workplan rows, parents before children."""
    group_filter = [WorkingGroup.short_name == working_group] if working_group else []
    activities = (
        session.scalars(
            sa.select(Activity)
            .join(Activity.working_group)
            .where(*group_filter)
            .options(
                so.contains_eager(Activity.working_group),
                so.joinedload(Activity.parent),
                so.selectinload(Activity.entity_links).joinedload(ActivityEntity.entity),
            )
            .order_by(WorkingGroup.short_name, Activity.sort_key)
        )
        .unique()
        .all()
    )
    milestones = (
        session.scalars(
            sa.select(Milestone)
            .join(Milestone.working_group)
            .where(*group_filter)
            .options(so.contains_eager(Milestone.working_group), so.joinedload(Milestone.activity))
            .order_by(WorkingGroup.short_name, Milestone.due_date, Milestone.code)
        )
        .unique()
        .all()
    )
    rows = []
    for a in activities:
        rows.append(
            {
                "working_group": a.working_group.short_name,
                "type": ACTIVITY,
                "code": a.code,
                "parent": a.parent.code if a.parent else "",
                "title": a.title,
                "description": a.description,
                "entities": a.entities_text,
                "timeline": a.timeline_text,
                "status": a.status.label,
                "note": a.progress_note,
                "recurrence": a.recurrence or "",
            }
        )
    for m in milestones:
        times = [t.strftime("%H:%M") for t in (m.start_time, m.end_time) if t]
        rows.append(
            {
                "working_group": m.working_group.short_name,
                "type": m.kind.value,
                "code": m.code,
                "parent": m.activity.code if m.activity else "",
                "title": m.title,
                "description": m.description,
                "entities": m.entities_text,
                "timeline": m.date_text,
                "time": "-".join(times),
                "timezone": m.timezone or "",
                "location": m.location,
                "status": m.status.label,
                "note": m.progress_note,
                "recurrence": m.recurrence or "",
            }
        )
    return rows


def write_workplan(session: so.Session, path: Path, working_group: str | None = None) -> int:
    rows = export_rows(session, working_group)
    write_rows(path, rows)
    return len(rows)
