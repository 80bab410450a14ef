"""Markdown and plain pipe tables: `| Activity | Lead | Timeline |` lines, with or without the
`|---|---|` line under the header; and, in text without such lines, cells apart by tabs, as a
table copied from a web page, Word or a spreadsheet is pasted (quoted cells may hold lines).

`<br>` in a cell breaks a line (`<br><br>` a paragraph), `\\|` is a literal bar, `**bold**` and
`__bold__` marks are dropped. Footnotes are Markdown's (`[^1]` in a cell, `[^1]: text` on a
line of its own) or written out: a line after the table starting with "¹".
"""

from __future__ import annotations

import csv
import io
import re

from tracker.exchange.documents import DocumentTable, superscript
from tracker.exchange.limits import Limits

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_DEFINITION = re.compile(r"^\s*\[\^(\w+)\]:\s*(.+)$")
_REFERENCE = re.compile(r"\[\^(\w+)\]")
_WRITTEN_NOTE = re.compile(r"^\s*([⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s*(.+)$")


def read_tables(data: bytes, _limits: Limits) -> list[DocumentTable]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc})") from None
    lines = text.splitlines()
    # Markdown footnotes are numbered in the order they are first referred to
    order: dict[str, str] = {}
    for label in _REFERENCE.findall(text):
        order.setdefault(label, superscript(str(len(order) + 1)))
    definitions = {
        order[m.group(1)]: m.group(2).strip()
        for line in lines
        if (m := _DEFINITION.match(line)) and m.group(1) in order
    }
    tables: list[DocumentTable] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if "|" in line and not _DEFINITION.match(line):
            block.append(line)
            continue
        if block:
            rows = [_cells(row, order) for row in block if not _SEPARATOR.match(row)]
            if len(rows) > 1 or (rows and len(rows[0]) > 1):
                tables.append(DocumentTable(len(tables) + 1, rows))
            block = []
        if tables and (note := _WRITTEN_NOTE.match(line)):
            tables[-1].notes[note.group(1)] = note.group(2).strip()
    if not tables and "\t" in text:
        tables = _tab_separated(text)
    for table in tables:
        table.notes.update(definitions)
    return tables


def _tab_separated(text: str) -> list[DocumentTable]:
    """Rows of tab-separated cells; a quoted cell's line breaks are its paragraphs."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    except csv.Error as exc:
        raise ValueError(f"not readable as a table of tab-separated cells ({exc})") from None
    cells = [
        ["\n\n".join(" ".join(p.split()) for p in c.splitlines() if p.strip()) for c in row]
        for row in rows
        if len(row) > 1
    ]
    return [DocumentTable(1, cells)] if cells else []


def _cells(line: str, order: dict[str, str]) -> list[str]:
    line = line.strip()
    line = line.removeprefix("|")
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells = re.split(r"(?<!\\)\|", line)
    return [_cell(c, order) for c in cells]


def _cell(text: str, order: dict[str, str]) -> str:
    text = text.replace("\\|", "|")
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = _REFERENCE.sub(lambda m: order.get(m.group(1), ""), text)
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text, flags=re.I)
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)
