"""Workplans as people write them: tables in Word documents, web pages and Markdown.

Each source has a reader (`docx`, `html`, `markdown`) that turns a file into `DocumentTable`s:
rows of cell texts (paragraphs joined by a blank line, a merged cell's text in its first
cell only) and the footnotes found with the table. What follows is the same for every source:

* `find_header` finds a table's header row by its words (`Vocabulary`, English, French and
  Spanish) and proposes a column mapping to the importer's columns;
* `table_rows` turns the rows below it, with a mapping a person may have changed, into the
  `SourceRow`s the CSV importer reads, taking codes and parents from the numbering ("3.2)",
  "3.2.1", "(a)") and putting each footnote beside the cell that marks it.

So the rules of an import (validation, keys, all-or-nothing, errors by file, row and field)
are the importer's, unchanged. Another kind of table (a results sheet, say) reuses the readers
(`read_tables`) and `find_header` or `read_document` with a `TableKind` of its own.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tracker.exchange.files import ImportFailed, RowError, SourceRow, bounded
from tracker.exchange.limits import FileRefused, Limits, check_file

#: Superscript digits, as a footnote marker is shown ("countries¹").
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_MARKER = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+")


def superscript(number: str) -> str:
    return number.translate(SUPERSCRIPT)


@dataclass
class DocumentTable:
    """One table of a document, as text."""

    #: 1-based position among the document's tables.
    index: int
    rows: list[list[str]]
    #: Footnote marker ("¹") -> its text, for the notes that belong to this table's cells.
    notes: dict[str, str] = field(default_factory=dict)


# --- the header ----------------------------------------------------------------------------

#: The importer's columns a document's column may be mapped to, with how the page names them.
#: "title" is the activity column; "sub_activity" holds the children of the row's activity;
#: "partners" is joined to the entities as "LEAD (PARTNERS)", which the importer splits.
TARGETS = {
    "title": "Activity (title, numbered)",
    "sub_activity": "Sub-activity (title, numbered)",
    "code": "Code",
    "description": "Description",
    "entities": "Lead entities",
    "partners": "Partner entities",
    "timeline": "Timeline",
    "status": "Status",
    "note": "Progress note",
    "location": "Location",
    "working_group": "Working group",
    "type": "Type",
}

Vocabulary = dict[str, tuple[str, ...]]

#: Header words (lower case, no accents, no parenthesised remarks) for each target.
WORKPLAN_VOCABULARY: Vocabulary = {
    "sub_activity": (
        "sub activity", "sub activities", "subactivity", "subactivities",
        "sous activite", "sous activites", "subactividad", "subactividades",
        "sub actividad", "sub actividades",
    ),
    "title": (
        "activity", "activities", "activite", "activites", "actividad", "actividades",
        "title", "titre", "titulo", "action", "actions", "accion", "acciones",
    ),
    "code": ("code", "n", "no", "nr", "number", "numero", "codigo", "ref", "reference"),
    "description": (
        "description", "descriptions", "brief description", "brief descriptions",
        "descripcion", "descripciones", "details", "detalles", "resume",
    ),
    "entities": (
        "lead", "leads", "lead entity", "lead entities", "lead agency", "lead agencies",
        "entity", "entities", "responsible", "entite", "entites", "chef de file",
        "entite chef de file", "entites chefs de file", "entite responsable",
        "responsable", "responsables", "entidad", "entidades", "entidad lider",
        "entidades lideres", "entidad responsable", "lider", "organismo responsable",
    ),
    "partners": (
        "partner", "partners", "partner entities", "partenaire", "partenaires",
        "entites partenaires", "socio", "socios", "asociados", "entidades asociadas",
    ),
    "timeline": (
        "timeline", "timelines", "timeframe", "timeframes", "time frame", "dates", "date",
        "deadline", "calendrier", "echeancier", "echeance", "delai", "delais", "periode",
        "cronograma", "calendario", "plazo", "plazos", "fechas", "fecha",
    ),
    "status": ("status", "statut", "etat", "estado", "situacion"),
    "note": (
        "progress", "progress note", "note", "notes", "remarks", "comments", "avancement",
        "observations", "commentaires", "progreso", "avance", "observaciones", "comentarios",
    ),
    "location": ("location", "venue", "lieu", "lugar", "sede"),
    "working_group": ("working group", "groupe de travail", "grupo de trabajo"),
    "type": ("type", "kind", "tipo"),
}  # fmt: skip


def normalize_header(text: str) -> str:
    """ "ENTITIES (WG members)" -> "entities"; "Échéancier" -> "echeancier"."""
    text = re.sub(r"\([^)]*\)", " ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _target_of(header: str, vocabulary: Vocabulary) -> str | None:
    """The target whose longest phrase the header is, or holds as whole words."""
    if header.strip() in ("#", "№"):
        return "code"
    words = f" {normalize_header(header)} "
    if not words.strip():
        return None
    best: tuple[int, int, str] | None = None
    for target, phrases in vocabulary.items():
        for phrase in phrases:
            exact = words.strip() == phrase
            if exact or f" {phrase} " in words:
                rank = (int(exact), len(phrase), target)
                if best is None or rank[:2] > best[:2]:
                    best = rank
    return best[2] if best else None


def propose_mapping(header: list[str], vocabulary: Vocabulary) -> list[str]:
    """A target for each column ("" for none); a target goes to its first column only."""
    mapping: list[str] = []
    for cell in header:
        target = _target_of(cell, vocabulary)
        mapping.append(target if target and target not in mapping else "")
    return mapping


@dataclass(frozen=True)
class TableKind:
    """A kind of table a document may hold, known by its header: a row that maps one of
    `needs` and one of `evidence` through `vocabulary`."""

    name: str
    vocabulary: Vocabulary
    needs: frozenset[str]
    evidence: frozenset[str]
    #: What the header should hold, for the message when no table has it.
    described: str


WORKPLAN = TableKind(
    "workplan",
    WORKPLAN_VOCABULARY,
    needs=frozenset({"title", "sub_activity"}),
    evidence=frozenset({"timeline", "entities", "description", "partners"}),
    described="a header row with an Activity column and a Timeline, Lead entity or "
    "Description column (English, French or Spanish)",
)
#: How far down a table its header may be (a title row or two above it).
HEADER_SEARCH_ROWS = 3


def find_header(table: DocumentTable, kind: TableKind = WORKPLAN) -> tuple[int, list[str]] | None:
    """The header row's index and its proposed mapping, if the table is of that kind."""
    for i, row in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        mapping = propose_mapping(row, kind.vocabulary)
        if kind.needs & set(mapping) and kind.evidence & set(mapping):
            return i, mapping
    return None


def header_signature(header: list[str]) -> str:
    """What identifies "the same document" for a remembered mapping: its header's words."""
    return hashlib.sha256("|".join(normalize_header(h) for h in header).encode()).hexdigest()


# --- numbering -----------------------------------------------------------------------------

_NUMBERING = re.compile(
    r"""^\s*(?:
        \(?(?P<dotted>\d+(?:\.\d+)+)\.?\)?     # 3.2  3.2.1  3.2)  (3.2)  3.2.
      | \(?(?P<single>\d+)(?:\.|\))            # 3.  3)  (3)
      | \((?P<letter>[a-z])\) | (?P<letter2>[a-z])\)   # (a)  a)
    )\s*""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Numbered:
    #: "3.2" or "1" for numbers, "a" for letters
    number: str
    lettered: bool
    text: str


def split_numbering(text: str) -> Numbered | None:
    """ "3.2) Close the gap" -> ("3.2", "Close the gap"); None if the text is not numbered."""
    found = _NUMBERING.match(text)
    if not found or found.end() == len(text):
        return None
    letter = found["letter"] or found["letter2"]
    number = found["dotted"] or found["single"] or letter
    return Numbered(number, bool(letter), text[found.end() :].strip())


def _parent_of(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


# --- rows ----------------------------------------------------------------------------------


@dataclass
class _Item:
    number: int
    values: dict[str, str]


#: Columns whose text the importer reads as values (names, dates, codes): a footnote marker
#: there is taken off, and the footnote goes to the item's description instead.
_VALUE_COLUMNS = {"code", "entities", "partners", "timeline", "status", "working_group", "type"}


def _footnotes(text: str, notes: dict[str, str]) -> list[str]:
    """Each footnote the text marks, as a paragraph of its own: "¹ Cabo Verde, ..."."""
    return [f"{m} {notes[m]}" for m in dict.fromkeys(_MARKER.findall(text)) if m in notes]


def _title_and_rest(text: str) -> tuple[str, str]:
    first, _, rest = text.partition("\n\n")
    return " ".join(first.split()), rest.strip()


def table_rows(
    label: str,
    table: DocumentTable,
    header_row: int,
    mapping: list[str],
    working_group: str | None,
) -> list[SourceRow]:
    """The importer's rows for the table's data rows, read through `mapping`.

    A row's activity cell starts an item (its numbering gives the code); a sub-activity cell
    in the same row starts a child of it, which then gets the row's other cells. A row with
    neither, or with the same text as the row above (a cell merged down), continues the item
    above it. Readers repeat a cell merged down on each row it covers: a lead or a timeline
    merged over two activities belongs to both.
    """
    items: list[_Item] = []
    current_activity: str | None = None
    #: the activity and sub-activity cells above: the same text again is a cell merged down
    previous: dict[str, str | None] = {"title": None, "sub_activity": None}
    last_top: str | None = None

    def start(number: int, text: str, column: str, parent_hint: str | None) -> _Item:
        nonlocal last_top
        title, rest = _title_and_rest(text)
        numbered = split_numbering(title)
        code, parent = "", None
        if numbered:
            title = numbered.text
            if numbered.lettered:
                owner = parent_hint if column == "sub_activity" else last_top
                code = f"{owner}.{numbered.number}" if owner else numbered.number
                parent = owner
            else:
                code = numbered.number
                parent = _parent_of(code) or (parent_hint if column == "sub_activity" else None)
            if column == "title" and not numbered.lettered:
                last_top = code
        values = {"title": title, "code": code, "parent": parent or ""}
        if rest:
            values["description"] = rest
        item = _Item(number, values)
        items.append(item)
        return item

    for offset, cells in enumerate(table.rows[header_row + 1 :], start=header_row + 2):
        by_target: dict[str, str] = {}
        moved_notes: list[str] = []
        for target, cell in zip(mapping, cells, strict=False):
            cell = cell.strip()
            if target in _VALUE_COLUMNS:
                moved_notes += _footnotes(cell, table.notes)
                cell = _MARKER.sub("", cell).strip()
            elif target:
                cell = "\n\n".join([cell, *_footnotes(cell, table.notes)])
            if target and cell:
                by_target[target] = (
                    f"{by_target[target]}\n\n{cell}" if target in by_target else cell
                )
        if moved_notes:
            by_target["description"] = "\n\n".join(
                [*filter(None, [by_target.get("description")]), *moved_notes]
            )
        if not by_target:
            continue
        holder: _Item | None = None
        title, sub = by_target.pop("title", None), by_target.pop("sub_activity", None)
        if title is not None and title != previous["title"]:  # not a cell merged down
            holder = start(offset, title, "title", None)
            current_activity = holder.values["code"] or None
            previous.update(title=title, sub_activity=None)
        if sub is not None and sub != previous["sub_activity"]:
            holder = start(offset, sub, "sub_activity", current_activity)
            previous["sub_activity"] = sub
        if holder is None:  # continues the item above, or starts one with no title
            holder = items[-1] if items else start(offset, "", "title", None)
        for target, text in by_target.items():
            if target == "code":
                holder.values["code"] = text
                continue
            old = holder.values.get(target)
            holder.values[target] = f"{old}\n\n{text}" if old else text

    rows = []
    for item in items:
        v = item.values
        partners = v.pop("partners", "")
        if partners:
            v["entities"] = f"{v.get('entities', '')} ({partners})".strip()
        v.setdefault("working_group", working_group or "")
        rows.append(SourceRow(label, item.number, v))
    return rows


# --- reading a file ------------------------------------------------------------------------

#: A reader: the file's bytes in, its tables out (`ValueError` with a message if unreadable).
Reader = Callable[[bytes, Limits], list[DocumentTable]]


def _readers() -> dict[str, tuple[str, Reader]]:
    from tracker.exchange.documents import docx, html, markdown

    return {
        ".docx": ("Word (.docx)", docx.read_tables),
        ".html": ("text", html.read_tables),
        ".htm": ("text", html.read_tables),
        ".md": ("text", markdown.read_tables),
        ".txt": ("text", markdown.read_tables),
    }


DOCUMENT_SUFFIXES = (".docx", ".html", ".htm", ".md", ".txt")


@dataclass
class DetectedTable:
    """A workplan table found in a document, with the mapping its rows are read through."""

    file: str
    table: DocumentTable
    header_row: int
    header: list[str]
    proposed: list[str]
    mapping: list[str]
    #: "proposed", "remembered" (for this working group) or "chosen" (changed on the page)
    mapping_source: str = "proposed"

    @property
    def label(self) -> str:
        return f"{self.file} (table {self.table.index})"

    @property
    def signature(self) -> str:
        return header_signature(self.header)

    def rows(self, working_group: str | None) -> list[SourceRow]:
        return table_rows(self.label, self.table, self.header_row, self.mapping, working_group)


def _refused(name: str, message: str) -> ImportFailed:
    return ImportFailed([RowError(name, "file", None, message)])


def read_tables(path: Path, limits: Limits, data: bytes | None = None) -> list[DocumentTable]:
    """Every table of the document, as text, by the reader for its suffix.

    The file is checked (size, kind, zip bomb) before a parser sees it; rows and cells are
    counted as the importer counts them in a CSV file.
    """
    name = path.name
    kind, reader = _readers()[path.suffix.lower()]
    try:
        check_file(path, kind, limits)
        tables = reader(path.read_bytes() if data is None else data, limits)
    except (FileRefused, ValueError) as exc:
        raise _refused(name, str(exc)) from None
    for table in tables:
        table.rows = list(bounded(f"{name} (table {table.index})", table.rows, limits))
    return tables


def read_document(
    path: Path, limits: Limits, data: bytes | None = None, kind: TableKind = WORKPLAN
) -> list[DetectedTable]:
    """Every table of that kind in the document, with its proposed mapping."""
    tables = read_tables(path, limits, data)
    found = []
    for table in tables:
        header = find_header(table, kind)
        if header is None:
            continue
        row, mapping = header
        found.append(DetectedTable(path.name, table, row, table.rows[row], mapping, list(mapping)))
    if not found:
        seen = "; ".join(" | ".join(c[:30] for c in t.rows[0]) for t in tables[:3] if t.rows)
        raise _refused(
            path.name,
            f"no table that looks like a {kind.name} ({len(tables)} table(s) found"
            + (f", headed: {seen}" if seen else "")
            + f"); a {kind.name} table has {kind.described}",
        )
    return found
