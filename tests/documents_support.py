"""The thematic workstream's workplan table (seed document 001) as Word, HTML and Markdown.

`tests/data/ws1-seed-table.json` holds the table as the seed document writes it: the header,
each row's five cells (a cell's paragraphs apart by a blank line; an activity's cell empty on
the rows of its further sub-activities) and the footnote below it. The builders write it the
way each kind of document holds such a table: in Word the activity cell merged down over its
sub-activities and the footnote a real footnote; in HTML a rowspan, `<p>`s and `<sup>`.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from docx import Document
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

SEED_TABLE = json.loads(
    (Path(__file__).parent / "data" / "ws1-seed-table.json").read_text(encoding="utf-8")
)
HEADER: list[str] = SEED_TABLE["header"]
ROWS: list[list[str]] = SEED_TABLE["rows"]
NOTES: dict[str, str] = SEED_TABLE["notes"]


def activity_spans(rows: list[list[str]]) -> list[int]:
    """For each row, how many rows its activity cell covers (0 under a merged cell)."""
    spans = [0] * len(rows)
    top = 0
    for i, row in enumerate(rows):
        if row[0] or i == 0:
            top = i
        spans[top] += 1
    return spans


def _footnotes_part(document, notes: list[str]) -> None:
    body = "".join(
        f'<w:footnote w:id="{n}"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
        f'<w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {html.escape(text)}</w:t>'
        "</w:r></w:p></w:footnote>"
        for n, text in enumerate(notes, start=1)
    )
    xml = (
        f"<w:footnotes {nsdecls('w')}>"
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
        f"</w:footnote>{body}</w:footnotes>"
    )
    part = Part(
        PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, xml.encode(), document.part.package
    )
    document.part.relate_to(part, RT.FOOTNOTES)


def _write_cell(cell, text: str, footnotes: list[str]) -> None:
    """Paragraphs of the text into the cell; a "¹" becomes a reference to a real footnote."""
    cell.paragraphs[0].text = ""
    for i, paragraph_text in enumerate(text.split("\n\n")):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        pieces = paragraph_text.split("¹")
        for j, piece in enumerate(pieces):
            if piece:
                paragraph.add_run(piece)
            if j < len(pieces) - 1:
                footnotes.append(NOTES["¹"])
                paragraph._p.append(
                    parse_xml(
                        f'<w:r {nsdecls("w")}><w:rPr><w:vertAlign w:val="superscript"/>'
                        f'</w:rPr><w:footnoteReference w:id="{len(footnotes)}"/></w:r>'
                    )
                )


def ws1_docx(path: Path, rows: list[list[str]] | None = None, header=None) -> Path:
    """A Word document: a heading, a paragraph, then the workplan table."""
    rows = ROWS if rows is None else rows
    document = Document()
    document.add_heading("WORKING GROUP - Thematic workstream 1", level=1)
    document.add_paragraph("Leads: UN DESA, UNFPA")
    table = document.add_table(rows=1 + len(rows), cols=len(header or HEADER))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header or HEADER, strict=True):
        cell.text = text
    footnotes: list[str] = []
    spans = activity_spans(rows)
    for i, row in enumerate(rows, start=1):
        for j, text in enumerate(row):
            if j == 0 and text == "" and spans[i - 1] == 0:
                continue  # under a merged activity cell
            _write_cell(table.cell(i, j), text, footnotes)
    for i, span in enumerate(spans, start=1):
        if span > 1:
            table.cell(i, 0).merge(table.cell(i + span - 1, 0))
    if footnotes:
        _footnotes_part(document, footnotes)
    document.save(path)
    return path


def _html_cell(text: str, tag: str = "td", rowspan: int = 1) -> str:
    span = f' rowspan="{rowspan}"' if rowspan > 1 else ""
    paragraphs = "".join(
        "<p>" + html.escape(p).replace("¹", "<sup>1</sup>") + "</p>" for p in text.split("\n\n")
    )
    return f"<{tag}{span}>{paragraphs if text else ''}</{tag}>"


def ws1_html(rows: list[list[str]] | None = None) -> str:
    """A web page with the table; merged activity cells as rowspans, the footnote below."""
    rows = ROWS if rows is None else rows
    spans = activity_spans(rows)
    body = []
    for row, span in zip(rows, spans, strict=True):
        cells = [] if span == 0 else [_html_cell(row[0], rowspan=span)]
        cells += [_html_cell(c) for c in row[1:]]
        body.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    notes = "".join(f"<p><sup>1</sup> {html.escape(t)}</p>" for t in NOTES.values())
    return (
        "<!doctype html><html><head><title>WS1 workplan</title>"
        "<style>td { vertical-align: top }</style></head><body>"
        "<h1>WORKING GROUP - Thematic workstream 1</h1><p>Leads: UN DESA, UNFPA</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{notes}<script>document.title = '<td>not a cell</td>'</script></body></html>"
    )


def ws1_markdown(rows: list[list[str]] | None = None) -> str:
    rows = ROWS if rows is None else rows

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n\n", "<br><br>").replace("¹", "[^1]")

    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "# WS1\n\n" + "\n".join(lines) + f"\n\n[^1]: {NOTES['¹']}\n"
