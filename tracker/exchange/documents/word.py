"""A working group's workplan as the Word document a group circulates.

The table has the columns workplans are written with (Activity, Sub-activities, Description,
Lead entities, Timeline, Status), one group per top-level activity: its cell is merged down
over its sub-activities, and each title carries its code as numbering ("3.2)"), so the
document imports back through the Word reader. Milestones follow in a table of their own,
headed so that it is not taken for a workplan table.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.models import GroupRole, WorkingGroup, WorkingGroupEntity

WORKPLAN_HEADER = (
    "Activity",
    "Sub-activities",
    "Description",
    "Lead entities (partners)",
    "Timeline",
    "Status",
)
WIDTHS_CM = (5.0, 5.5, 7.5, 3.5, 3.0, 2.2)
MILESTONE_HEADER = ("Code", "Milestone", "Kind", "When", "Time", "Location", "Part of")


def _numbered(row: dict[str, str]) -> str:
    return f"{row['code']}) {row['title']}"


def _write(cell: object, text: str) -> None:
    """The text's paragraphs (apart by a blank line) as the cell's paragraphs."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()] or [""]
    cell.paragraphs[0].text = paragraphs[0]  # type: ignore[attr-defined]
    for extra in paragraphs[1:]:
        cell.add_paragraph(extra)  # type: ignore[attr-defined]


def _header_row(table: object, header: tuple[str, ...]) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    row = table.rows[0]  # type: ignore[attr-defined]
    for cell, text in zip(row.cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    repeat = OxmlElement("w:tblHeader")  # the header is repeated on every page
    repeat.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(repeat)


def _groups_of(rows: list[dict[str, str]]) -> list[tuple[dict[str, str], list[dict[str, str]]]]:
    """Each top-level activity with its descendants, in the export's order."""
    by_code = {r["code"]: r for r in rows}

    def top(row: dict[str, str]) -> dict[str, str]:
        seen = set()
        while row["parent"] in by_code and row["code"] not in seen:
            seen.add(row["code"])
            row = by_code[row["parent"]]
        return row

    groups: dict[str, tuple[dict[str, str], list[dict[str, str]]]] = {}
    for row in rows:
        head = top(row)
        entry = groups.setdefault(head["code"], (head, []))
        if row is not head:
            entry[1].append(row)
    return list(groups.values())


def write_workplan_docx(
    session: so.Session, path: Path, groups: list[WorkingGroup], today: date
) -> int:
    """Write each group's workplan (heading, leads, activities, milestones); rows written."""
    # python-docx and lxml: tens of MB in every web worker, for a download now and then
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    from tracker.exchange import ACTIVITY, export_rows

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Cm(1.5))
    document.styles["Normal"].font.size = Pt(9)
    written = 0
    for n, group in enumerate(groups):
        if n:
            document.add_page_break()
        rows = export_rows(session, group.short_name)
        activities = [r for r in rows if r["type"] == ACTIVITY]
        milestones = [r for r in rows if r["type"] != ACTIVITY]
        document.add_heading(f"{group.name} ({group.short_name}): workplan", level=1)
        leads = session.scalars(
            sa.select(WorkingGroupEntity)
            .where(
                WorkingGroupEntity.working_group_id == group.id,
                WorkingGroupEntity.role == GroupRole.LEAD,
            )
            .options(so.joinedload(WorkingGroupEntity.entity))
        ).all()
        if leads:
            document.add_paragraph("Leads: " + ", ".join(link.entity.acronym for link in leads))
        document.add_paragraph(f"As held by the Workplan Tracker on {today.day} {today:%B %Y}.")
        table = document.add_table(rows=1, cols=len(WORKPLAN_HEADER))
        table.style = "Table Grid"
        _header_row(table, WORKPLAN_HEADER)
        for head, children in _groups_of(activities):
            own = any(head.get(k) for k in ("description", "entities", "timeline")) or not children
            first = len(table.rows)
            lines = ([head] if own else []) + children or [head]
            for i, row in enumerate(lines):
                cells = table.add_row().cells
                if i == 0:
                    _write(cells[0], _numbered(head))
                if row is not head:
                    _write(cells[1], _numbered(row))
                _write(cells[2], row.get("description", ""))
                _write(cells[3], row.get("entities", ""))
                _write(cells[4], row.get("timeline", ""))
                _write(cells[5], row.get("status", ""))
            if len(table.rows) - first > 1:
                table.cell(first, 0).merge(table.cell(len(table.rows) - 1, 0))
        for row in table.rows:
            for cell, width in zip(row.cells, WIDTHS_CM, strict=True):
                cell.width = Cm(width)
        written += len(activities)
        if milestones:
            document.add_heading("Milestones", level=2)
            table = document.add_table(rows=1, cols=len(MILESTONE_HEADER))
            table.style = "Table Grid"
            _header_row(table, MILESTONE_HEADER)
            for m in milestones:
                cells = table.add_row().cells
                for cell, key in zip(
                    cells,
                    ("code", "title", "type", "timeline", "time", "location", "parent"),
                    strict=True,
                ):
                    _write(cell, m.get(key, ""))
            written += len(milestones)
    document.save(path)
    return written
