"""Tables of a Word document (.docx), read with python-docx and its XML underneath.

A cell's paragraphs are joined by a blank line; a cell merged down (`vMerge`) has its text
on each row it covers, one merged across (`gridSpan`) in its first column only. Footnote references
become the superscript number Word shows (in the order they appear), and the footnote's text
is kept for the cell that marks it. List numbering that Word adds by itself ("1)", "a)") is
written into the text, as if typed, so that codes can be taken from it.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable
from typing import ClassVar

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree

from tracker.exchange.documents import DocumentTable, superscript
from tracker.exchange.limits import Limits

_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True)


def read_tables(data: bytes, _limits: Limits) -> list[DocumentTable]:
    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx lets zip, XML and package errors through
        raise ValueError(f"not a readable Word document ({type(exc).__name__}: {exc})") from None
    body = document.element.body
    numbers = {
        ref.get(qn("w:id")): superscript(str(n))
        for n, ref in enumerate(body.iter(qn("w:footnoteReference")), start=1)
    }
    footnotes = _footnotes(document)
    lists = _ListNumbers(document)
    tables = []
    for index, table in enumerate(document.tables, start=1):
        rows = []
        notes: dict[str, str] = {}
        above: dict[int, str] = {}  # grid column -> the text of the cell last started there
        for tr in table._tbl.tr_lst:
            cells = [""] * tr.grid_before
            for tc in tr.tc_lst:
                column = len(cells)
                if tc.vMerge == "continue":
                    text = above.get(column, "")
                else:
                    text = above[column] = _cell_text(tc, numbers, lists)
                cells += [text] + [""] * (tc.grid_span - 1)
                for ref in tc.iter(qn("w:footnoteReference")):
                    ref_id = ref.get(qn("w:id"))
                    if ref_id in footnotes:
                        notes[numbers[ref_id]] = footnotes[ref_id]
            rows.append(cells)
        tables.append(DocumentTable(index, rows, notes))
    return tables


def _cell_text(tc: etree._Element, numbers: dict[str, str], lists: _ListNumbers) -> str:
    paragraphs = [_paragraph_text(p, numbers, lists) for p in tc.iter(qn("w:p"))]
    return "\n\n".join(p for p in paragraphs if p)


def _paragraph_text(p: etree._Element, numbers: dict[str, str], lists: _ListNumbers) -> str:
    parts = [lists.label(p)]
    for node in p.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:footnoteReference")):
        if node.tag == qn("w:t"):
            text = node.text or ""
            parts.append(superscript(text) if _superscript_digits(node, text) else text)
        elif node.tag == qn("w:footnoteReference"):
            parts.append(numbers.get(node.get(qn("w:id")), ""))
        else:
            parts.append(" " if node.tag == qn("w:tab") else "\n")
    return " ".join("".join(parts).split(" ")).strip()


def _superscript_digits(t: etree._Element, text: str) -> bool:
    """A typed "1" set in superscript, as a hand-made footnote marker is."""
    run = t.getparent()
    align = run.find(f"{qn('w:rPr')}/{qn('w:vertAlign')}") if run is not None else None
    return text.isdigit() and align is not None and align.get(qn("w:val")) == "superscript"


def _footnotes(document: object) -> dict[str, str]:
    """Footnote id -> its text (separators left out)."""
    try:
        part = document.part.part_related_by(RT.FOOTNOTES)  # type: ignore[attr-defined]
    except KeyError:
        return {}
    root = etree.fromstring(part.blob, _SAFE_XML)
    notes = {}
    for note in root.iter(qn("w:footnote")):
        if note.get(qn("w:type")) in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = " ".join(
            "".join(t.text or "" for t in p.iter(qn("w:t"))) for p in note.iter(qn("w:p"))
        )
        notes[note.get(qn("w:id"))] = " ".join(text.split())
    return notes


class _ListNumbers:
    """The labels Word draws before numbered paragraphs ("3.2)", "(a)"), counted in order."""

    _FORMATS: ClassVar[dict[str, Callable[[int], str]]] = {
        "decimal": str,
        "lowerLetter": lambda n: chr(ord("a") + (n - 1) % 26),
        "upperLetter": lambda n: chr(ord("A") + (n - 1) % 26),
        "lowerRoman": lambda n: _roman(n).lower(),
        "upperRoman": lambda n: _roman(n),
    }

    def __init__(self, document: object) -> None:
        #: (numId, level) -> (format, lvlText, start)
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.counters: dict[str, list[int]] = defaultdict(lambda: [0] * 9)
        #: style id -> the numbering its paragraphs get (a "List Number" style, say)
        self.styles: dict[str, etree._Element] = {}
        styles = {
            st.get(qn("w:styleId")): st
            for st in document.styles.element.iter(qn("w:style"))  # type: ignore[attr-defined]
        }
        for origin, style in styles.items():
            seen: set[str] = set()
            while style is not None:
                num_pr = style.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
                if num_pr is not None:
                    self.styles[origin] = num_pr
                    break
                seen.add(style.get(qn("w:styleId")))
                based = style.find(qn("w:basedOn"))
                parent = based.get(qn("w:val")) if based is not None else None
                style = styles.get(parent) if parent not in seen else None
        try:
            numbering = document.part.numbering_part.element  # type: ignore[attr-defined]
        except (KeyError, NotImplementedError):
            return
        abstract = {a.get(qn("w:abstractNumId")): a for a in numbering.iter(qn("w:abstractNum"))}
        for num in numbering.iter(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            definition = abstract.get(ref.get(qn("w:val"))) if ref is not None else None
            if definition is None:
                continue
            for lvl in definition.iter(qn("w:lvl")):
                fmt = lvl.find(qn("w:numFmt"))
                text = lvl.find(qn("w:lvlText"))
                start = lvl.find(qn("w:start"))
                self.levels[(num.get(qn("w:numId")), int(lvl.get(qn("w:ilvl"))))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    text.get(qn("w:val")) if text is not None else "",
                    int(start.get(qn("w:val"))) if start is not None else 1,
                )

    def label(self, p: etree._Element) -> str:
        num_pr = p.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if num_pr is None:
            style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            num_pr = self.styles.get(style.get(qn("w:val"))) if style is not None else None
        if num_pr is None:
            return ""
        num_id, ilvl = num_pr.find(qn("w:numId")), num_pr.find(qn("w:ilvl"))
        list_id = num_id.get(qn("w:val")) if num_id is not None else ""
        level = int(ilvl.get(qn("w:val"))) if ilvl is not None else 0
        if (list_id, level) not in self.levels:
            return ""
        _fmt, pattern, start = self.levels[(list_id, level)]
        counters = self.counters[list_id]
        counters[level] = counters[level] + 1 if counters[level] else start
        counters[level + 1 :] = [0] * (len(counters) - level - 1)

        def show(match: re.Match[str]) -> str:
            at = int(match.group(1)) - 1
            fmt = self.levels.get((list_id, at), ("decimal", "", 1))[0]
            return self._FORMATS.get(fmt, str)(max(counters[at], 1))

        text = re.sub(r"%(\d)", show, pattern)
        return f"{text} " if text else ""


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                           (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):  # fmt: skip
        while n >= value:
            out, n = out + letters, n - value
    return out
