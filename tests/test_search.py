"""Text search: the same matches on both backends, answered from an index on both, and the
SQLite index kept in step with every insert, update and delete."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_TODAY
from tracker.domain.items import ItemFilter, find_items
from tracker.domain.search import matches_word
from tracker.models import Activity, Milestone, WorkingGroup


def _codes(session, text: str, kind: str = "activity") -> set[str]:
    flt = ItemFilter(text=text, kinds=frozenset({kind}))  # type: ignore[arg-type]
    return {i.code for i in find_items(session, flt, TEST_TODAY).items}


def _like(session, model, word: str) -> set[str]:
    """What the search found before it had an index: every row, tested one by one."""
    word = word.lower()
    return set(
        session.scalars(
            sa.select(model.code).where(
                sa.or_(
                    sa.func.lower(model.code) == word,
                    sa.func.lower(model.title).contains(word, autoescape=True),
                    sa.func.lower(model.description).contains(word, autoescape=True),
                ),
                model.recurrence.is_(None),
            )
        )
    )


@pytest.mark.parametrize(
    "word",
    [
        "handbook",
        "HANDBOOK",
        "Census",
        "cairo",
        "3.2",
        "de",
        "a",
        "migration",
        "100%",
        "x_y",
        '"quoted"',
        "forum on",
        "réunion",
        "36(a)",
    ],
)
def test_the_index_finds_what_a_scan_finds(session, word):
    for model, kind in ((Activity, "activity"), (Milestone, "milestone")):
        scanned = _like(session, model, word) if " " not in word else None
        if scanned is not None:
            assert {
                c
                for c in session.scalars(
                    sa.select(model.code).where(
                        matches_word(model, word), model.recurrence.is_(None)
                    )
                )
            } == scanned, (kind, word)
    assert _codes(session, "handbook")  # the seeds' handbook activities are found at all


def _add(session, code: str, title: str) -> Activity:
    group = session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == "WS1")).one()
    activity = Activity(working_group=group, code=code, title=title, sort_key=code)
    session.add(activity)
    session.commit()
    return activity


def test_the_index_follows_inserts_updates_and_deletes(session):
    activity = _add(session, "T.1", "Quarterly xylophonic review")
    assert _codes(session, "xylophonic") == {"T.1"}
    activity.title = "Quarterly zeugmatic review"
    session.commit()
    assert _codes(session, "xylophonic") == set()
    assert _codes(session, "zeugmatic") == {"T.1"}
    activity.description = "on xylophonic matters"
    session.commit()
    assert _codes(session, "xylophonic") == {"T.1"}
    activity.code = "T.99"
    session.commit()
    assert _codes(session, "t.99") == {"T.99"}
    session.delete(activity)
    session.commit()
    assert _codes(session, "zeugmatic") == set()


def _plan(session, statement: sa.Select) -> str:
    dialect = session.get_bind().dialect
    compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    if dialect.name == "sqlite":
        rows = session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return "\n".join(str(r[-1]) for r in rows)
    session.execute(sa.text("SET LOCAL enable_seqscan = off"))  # the seeds are a small table
    return "\n".join(session.scalars(sa.text(f"EXPLAIN {compiled}")))


def test_a_search_reads_the_index(session):
    statement = sa.select(Milestone.id).where(matches_word(Milestone, "handbook"))
    plan = _plan(session, statement)
    if session.get_bind().dialect.name == "sqlite":
        assert "VIRTUAL TABLE INDEX" in plan and "milestone_search" in plan, plan
        assert "SCAN milestone\n" not in plan + "\n", plan
    else:
        assert "ix_milestone_title_search" in plan and "ix_milestone_description_search" in plan
        assert "Seq Scan" not in plan, plan


def test_the_sqlite_index_and_its_triggers_exist(session):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 tables; PostgreSQL has its trigram indexes")
    names = set(
        session.scalars(
            sa.text("SELECT name FROM sqlite_master WHERE name LIKE '%search%' AND type != 'index'")
        )
    )
    for table in ("activity", "milestone"):
        assert {
            f"{table}_search",
            *(f"{table}_search_{e}" for e in ("insert", "update", "delete")),
        } <= names


def test_the_lists_filters_read_their_indexes(session):
    """An entity's items by role, one status in due order (migration list_indexes), an item by
    its code."""
    from tracker.domain.items import _once, _order, resolve_names
    from tracker.models import Status

    sqlite = session.get_bind().dialect.name == "sqlite"
    cases = [
        (ItemFilter(entity="ILO", leading_only=True), Activity, "ix_activity_entity_entity_role"),
        (ItemFilter(entity="ILO", leading_only=True), Milestone, "ix_activity_entity_entity_role"),
        # an item named by its code in any case (migration code_lower_indexes)
        (ItemFilter(code="3.10"), Activity, "ix_activity_code_lower"),
        (ItemFilter(code="IFMS-2020"), Milestone, "ix_milestone_code_lower"),
    ]
    if sqlite:  # PostgreSQL walks the due index for a status, filtering, when that is cheaper
        cases.append(
            (ItemFilter(statuses=frozenset({Status.DELAYED})), Activity, "ix_activity_status_due")
        )
    for flt, model, index in cases:
        group, entity = resolve_names(session, flt)
        statement = (
            sa.select(model.id)
            .where(*_once(model, flt, TEST_TODAY, group, entity))
            .order_by(*_order(model, flt))
            .limit(100)
        )
        assert index in _plan(session, statement), (flt, model)
