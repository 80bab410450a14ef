"""Text search of items: one SQL expression, answered from an index on both backends.

"Every word must appear in the code, title or description" (`ItemFilter.text`) was a
`lower(title) LIKE '%word%'` over every row. PostgreSQL answers that from pg_trgm's GIN
indexes (migration `text_search`); SQLite has no index for it and scanned the tables (one bot
answer at 50,000 activities: 244 ms, 88% of it in the scan). On SQLite the same words are now
looked up in FTS5 tables with the trigram tokenizer (migration `sqlite_text_search`, kept in
step with the items by triggers), which find any substring of three characters or more in the
code, title or description, ignoring case: the few rows found are then tested exactly as
before. Shorter words, which a trigram index cannot answer, are searched as before.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from tracker.models import Activity, Milestone

#: The FTS5 table of each searched table (migration `sqlite_text_search`).
SEARCH_TABLES = {"activity": "activity_search", "milestone": "milestone_search"}
#: The shortest word a trigram index answers.
TRIGRAM = 3


class _matches(GenericFunction[bool]):
    """Whether an item's code is a word or its title or description holds it. On SQLite the
    FTS5 table first picks the few rows that hold the word anywhere, and the exact test is
    made on those alone; elsewhere the exact test alone, which PostgreSQL's indexes answer.

    Arguments: the id, the FTS5 phrase, and the exact test.
    """

    type = sa.Boolean()
    inherit_cache = True
    name = "matches_word"
    #: A condition as it stands: without it SQLAlchemy compares it with 1 where booleans are
    #: integers (SQLite), which hides the id lookup from the planner.
    _is_implicitly_boolean = True


@compiles(_matches)
def _matches_default(element: _matches, compiler: Any, **kw: Any) -> str:
    _id, _phrase, exact = element.clauses.clauses
    return f"({compiler.process(exact, **kw)})"


@compiles(_matches, "sqlite")
def _matches_sqlite(element: _matches, compiler: Any, **kw: Any) -> str:
    item_id, phrase, exact = element.clauses.clauses
    table = SEARCH_TABLES[item_id.table.name]
    return (
        f"({compiler.process(item_id, **kw)} IN (SELECT rowid FROM {table} "
        f"WHERE {table} MATCH {compiler.process(phrase, **kw)}) "
        f"AND ({compiler.process(exact, **kw)}))"
    )


def matches_word(model: type[Activity] | type[Milestone], word: str) -> sa.ColumnElement[bool]:
    """The item's code is `word` (any case), or its title or description holds it.

    The one place `ItemFilter.text` becomes SQL: pages, API, feeds and the bot all search so.
    """
    word = word.lower()
    exact = sa.or_(
        sa.func.lower(model.code) == word,
        sa.func.lower(model.title).contains(word, autoescape=True),
        sa.func.lower(model.description).contains(word, autoescape=True),
    )
    if len(word) < TRIGRAM:
        return exact
    phrase = '"' + word.replace('"', '""') + '"'  # FTS5: the word as one phrase, verbatim
    return _matches(model.id, sa.literal(phrase), exact)
