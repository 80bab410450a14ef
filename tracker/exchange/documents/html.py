"""Tables of a web page, or of a table pasted from one, read with the standard HTML parser.

Paragraphs, line breaks and list items inside a cell become the cell's paragraphs; `rowspan`
repeats a cell's text on the rows it covers and `colspan` leaves the columns it covers
empty, as the Word reader does with merged cells; `<sup>1</sup>`
becomes "¹". A paragraph after a table that starts with such a marker is that footnote's
text. Tables inside a cell are read as the cell's text. Scripts and styles are skipped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tracker.exchange.documents import DocumentTable, superscript
from tracker.exchange.limits import Limits

_BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}
_NOTE = re.compile(r"^\s*([⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s*(.+)$", re.S)


def read_tables(data: bytes, _limits: Limits) -> list[DocumentTable]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc})") from None
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    return parser.tables


class _Table:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        #: column -> (rows still covered by a rowspan from above, the text they repeat)
        self.spans: dict[int, tuple[int, str]] = {}
        self.notes: dict[str, str] = {}
        self.in_footer = False


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[DocumentTable] = []
        self.stack: list[_Table] = []
        self.cell: list[str] | None = None
        self.cell_span = 1
        self.cell_rowspan = 1
        self.row: list[str] | None = None
        self.skip = 0
        self.sup = False
        self.after: list[str] | None = None  # text of the paragraph after a table
        self.nested = 0

    # --- cells ----------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self.skip += 1
        elif tag == "table":
            if self.cell is not None:
                self.nested += 1
            else:
                self._end_note()
                self.stack.append(_Table())
        elif self.nested:
            self._break(tag)
        elif tag in ("thead", "tbody", "tfoot"):
            self._close_row()
            if self.stack:
                self.stack[-1].in_footer = tag == "tfoot"
        elif tag == "tr" and self.stack:
            self._close_row()  # HTML lets a row end where the next begins
            self.row = []
            self._cover_spans()
        elif tag in ("td", "th") and self.row is not None:
            self._close_cell()
            values = dict(attrs)
            self.cell = []
            self.cell_span = _int(values.get("colspan"))
            self.cell_rowspan = _int(values.get("rowspan"))
        elif tag == "sup":
            self.sup = True
        elif tag == "br":
            self._text("\n")
        elif tag in ("p", "li") and not self.stack and self.tables:
            self._end_note()
            self.after = []
        else:
            self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self.skip = max(0, self.skip - 1)
        elif tag == "table":
            if self.nested:
                self.nested -= 1
            elif self.stack:
                self._close_row()
                table = self.stack.pop()
                self.tables.append(DocumentTable(len(self.tables) + 1, table.rows, table.notes))
        elif self.nested:
            self._break(tag)
        elif tag in ("td", "th"):
            self._close_cell()
        elif tag == "tr":
            self._close_row()
        elif tag in ("thead", "tbody", "tfoot"):
            self._close_row()
            if self.stack:
                self.stack[-1].in_footer = False
        elif tag == "sup":
            self.sup = False
        elif tag in ("p", "li") and self.after is not None:
            self._end_note()
        else:
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.sup and data.strip().isdigit():
            data = superscript(data.strip())
        self._text(data)

    # --- helpers --------------------------------------------------------------------------

    def _close_cell(self) -> None:
        if self.cell is None or self.row is None or not self.stack:
            return
        text = _paragraphs("".join(self.cell))
        table = self.stack[-1]
        column = len(self.row)
        self.row += [text] + [""] * (self.cell_span - 1)
        if self.cell_rowspan > 1:
            for c in range(column, column + self.cell_span):
                table.spans[c] = (self.cell_rowspan - 1, text if c == column else "")
        self.cell = None
        self._cover_spans()

    def _close_row(self) -> None:
        self._close_cell()
        if self.row is None or not self.stack:
            return
        table = self.stack[-1]
        if table.in_footer:
            self._footer_notes(self.row)
        else:
            table.rows.append(self.row)
        self.row = None

    def _text(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append(text)
        elif self.after is not None:
            self.after.append(text)

    def _break(self, tag: str) -> None:
        if tag in _BLOCKS and self.cell is not None:
            self.cell.append("\n\n")

    def _cover_spans(self) -> None:
        """The cell above again where its rowspan covers the next column."""
        if self.row is None or not self.stack:
            return
        spans = self.stack[-1].spans
        while spans.get(len(self.row), (0, ""))[0] > 0:
            left, text = spans[len(self.row)]
            spans[len(self.row)] = (left - 1, text)
            self.row.append(text)

    def _end_note(self) -> None:
        if self.after is None:
            return
        text, self.after = " ".join("".join(self.after).split()), None
        if self.tables and (note := _NOTE.match(text)):
            self.tables[-1].notes[note.group(1)] = note.group(2).strip()

    def _footer_notes(self, cells: list[str]) -> None:
        """A table's footer holds its footnotes, not rows of the workplan."""
        for cell in cells:
            if note := _NOTE.match(" ".join(cell.split())):
                self.stack[-1].notes[note.group(1)] = note.group(2).strip()


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def _paragraphs(text: str) -> str:
    """Whitespace as a browser shows it, paragraphs kept apart by one blank line."""
    lines = [" ".join(line.split()) for line in re.split(r"\n\n+", text)]
    return "\n\n".join(line for line in lines if line)
