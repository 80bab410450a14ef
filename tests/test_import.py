"""Import and export: dry run, apply, errors by file/row/field, all-or-nothing, round trips."""

import csv
from datetime import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tracker import resource_dir
from tracker.exchange import COLUMNS, ImportFailed, export_rows, import_files, write_rows
from tracker.exchange.registry import export_registry
from tracker.models import (
    Activity,
    Entity,
    EntityRole,
    Milestone,
    Person,
    Status,
    StatusChange,
    WorkingGroup,
)
from tracker.timeline import Precision

from .conftest import TEST_TODAY

SEEDS = resource_dir("seeds")


def seed_paths():
    return sorted(SEEDS.glob("*.toml")) + sorted(SEEDS.glob("*.csv"))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def counts(session):
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Activity, Milestone, StatusChange, Entity, WorkingGroup, Person)
    )


def test_seeds_hold_every_workplan(session):
    groups = set(session.scalars(sa.select(WorkingGroup.short_name)))
    assert groups == {"GMG-DR", "WS1", "GPMS", "EGMS", "M4SD"}
    ws1 = set(
        session.scalars(
            sa.select(Activity.code).join(WorkingGroup).where(WorkingGroup.short_name == "WS1")
        )
    )
    assert {"1", "1.1", "1.2", "2", "3", "4"} | {f"3.{n}" for n in range(1, 21)} <= ws1


def test_seed_activity_keeps_text_as_written_beside_its_meaning(session):
    a = session.scalars(sa.select(Activity).where(Activity.code == "4")).one()
    assert a.timeline_text == "January 2018 – Ongoing (the IFMS takes place every other year)"
    assert a.recurrence == "FREQ=YEARLY;INTERVAL=2" and a.ongoing
    assert a.entities_text.startswith("IOM, UN DESA (OECD) (as co-organizers)")
    roles = {link.entity.acronym: link.role for link in a.entity_links}
    assert roles["IOM"] == roles["OECD"] == EntityRole.CO_ORGANIZER
    assert roles["WHO"] == EntityRole.PARTNER
    a = session.scalars(sa.select(Activity).where(Activity.code == "3.4")).one()
    assert {link.entity.acronym: link.role for link in a.entity_links} == {
        "ILO": EntityRole.LEAD,
        "World Bank": EntityRole.PARTNER,
    }
    a = session.scalars(sa.select(Activity).where(Activity.code == "1.1")).one()
    assert len(a.entity_links) == 8  # "(UN Expert Group on Migration Statistics)" is a note
    assert a.parent.code == "1"


def test_seed_webinar_sessions_carry_time_and_zone(session):
    first = session.scalars(sa.select(Milestone).where(Milestone.code == "W1-S1")).one()
    assert (first.start_time, first.end_time, first.timezone) == (
        time(9, 0),
        time(11, 30),
        "Europe/Paris",
    )
    ifms = session.scalars(sa.select(Milestone).where(Milestone.code == "IFMS-2020")).one()
    assert (ifms.location, ifms.recurrence, ifms.start_precision) == (
        "Cairo, Egypt",
        "FREQ=YEARLY;INTERVAL=2",
        Precision.DAY,
    )


def test_seeds_use_role_addresses_only():
    text = "\n".join(p.read_text(encoding="utf-8") for p in SEEDS.iterdir() if p.is_file())
    import re

    addresses = set(re.findall(r"[\w.+-]+@[\w.-]+", text))
    assert addresses and all(a.endswith("@example.org") for a in addresses)


def test_reimporting_the_seeds_changes_nothing(session):
    before = counts(session)
    report = import_files(session, seed_paths(), TEST_TODAY)
    assert not report.changed
    with (SEEDS / "results.csv").open(encoding="utf-8") as f:
        results_rows = len(list(csv.DictReader(f)))
    assert report.unchanged == before[0] + before[1] + results_rows
    assert counts(session) == before


def test_dry_run_then_apply(runner, session, tmp_path):
    path = write_csv(
        tmp_path / "new.csv",
        [
            {
                "working_group": "WS1",
                "code": "5",
                "title": "A new activity",
                "entities": "ILO",
                "timeline": "Q1 2021",
                "status": "planned",
            },
            {
                "working_group": "WS1",
                "code": "3.2",
                "title": "Close the data gap towards an efficient remittances market in Africa.",
                "parent": "3",
                "entities": "IFAD",
                "timeline": "September 2019 – Ongoing",
                "status": "In progress",
                "description": "changed",
            },
        ],
    )
    before = counts(session)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "create activity WS1 5" in result.output
    assert (
        "update activity WS1 3.2" in result.output
        and "'not reported' -> 'in progress'" in result.output
    )
    assert "dry run" in result.output
    assert counts(session) == before

    result = runner.invoke(args=["import", str(path), "--apply"])
    assert result.exit_code == 0, result.output
    new = session.scalars(sa.select(Activity).where(Activity.code == "5")).one()
    assert (new.planned_start.isoformat(), new.planned_end.isoformat()) == (
        "2021-01-01",
        "2021-03-31",
    )
    changed = session.scalars(sa.select(Activity).where(Activity.code == "3.2")).one()
    assert changed.status == Status.IN_PROGRESS
    assert changed.history[-1].actor == "import of new.csv"
    assert (changed.history[-1].from_status, changed.history[-1].to_status) == (
        Status.NOT_REPORTED,
        Status.IN_PROGRESS,
    )

    again = runner.invoke(args=["import", str(path), "--apply"])
    assert "0 to create, 0 to update, 2 unchanged" in again.output


def test_every_row_error_named_and_nothing_written(runner, session, tmp_path):
    good = write_csv(
        tmp_path / "good.csv", [{"working_group": "WS1", "code": "6", "title": "Fine"}]
    )
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            {
                "working_group": "WS1",
                "code": "7",
                "title": "Bad timeline",
                "timeline": "31 February 2020",
            },
            {"working_group": "NOPE", "code": "8", "title": "Bad group"},
            {"working_group": "WS1", "code": "9", "title": "", "entities": "ILO, UNICEFF"},
            {
                "working_group": "WS1",
                "type": "meeting",
                "code": "M9",
                "title": "Bad time",
                "time": "25:00",
                "timezone": "CEST",
                "parent": "99",
            },
            {
                "working_group": "WS1",
                "code": "6",
                "title": "Duplicate of good.csv",
                "status": "done",
            },
        ],
    )
    before = counts(session)
    result = runner.invoke(args=["import", str(good), str(bad), "--apply"])
    assert result.exit_code == 1
    out = result.output
    assert "bad.csv, row 2, field 'timeline': '31 february 2020' is not a real date" in out
    assert "bad.csv, row 3, field 'working_group': unknown working group 'NOPE'" in out
    assert "bad.csv, row 4, field 'title': is required" in out
    assert "bad.csv, row 4, field 'entities': unknown entity 'UNICEFF'; did you mean UNICEF?" in out
    assert "bad.csv, row 5, field 'time'" in out
    assert "bad.csv, row 5, field 'timezone': unknown time zone 'CEST'" in out
    assert "bad.csv, row 6, field 'status': unknown status 'done'" in out
    assert "nothing was imported" in out
    assert counts(session) == before


def test_cross_row_errors_are_reported(session, tmp_path):
    path = write_csv(
        tmp_path / "x.csv",
        [
            {"working_group": "WS1", "code": "7", "title": "A", "parent": "99"},
            {"working_group": "WS1", "code": "7", "title": "B"},
            {
                "working_group": "WS1",
                "code": "IFMS",
                "title": "C",
                "type": "deadline",
                "parent": "3.2",
            },
            {"working_group": "WS1", "code": "3.2-M1", "title": "now an activity"},
            {"working_group": "WS1", "code": "A1", "title": "cycle", "parent": "A2"},
            {"working_group": "WS1", "code": "A2", "title": "cycle", "parent": "A1"},
        ],
    )
    with pytest.raises(ImportFailed) as caught:
        import_files(session, [path], TEST_TODAY)
    messages = [str(e) for e in caught.value.errors]
    assert "x.csv, row 3, field 'code': 7 already appears in x.csv row 2" in messages
    assert "x.csv, row 2, field 'parent': no activity '99' in WS1" in messages
    assert "x.csv, row 5, field 'type': 3.2-M1 is already a milestone in WS1" in messages
    assert "x.csv, row 6, field 'parent': A1 would be its own ancestor" in messages


def test_a_milestone_naming_entities_keeps_them_and_is_led_by_them(session, tmp_path):
    """Most milestones take their activity's entities (or their group's); one whose row names
    entities has those, and reads back from an export the same."""
    path = write_csv(
        tmp_path / "m.csv",
        [
            {
                "working_group": "WS1",
                "code": "3.2-M9",
                "title": "Launch",
                "type": "meeting",
                "parent": "3.2",
                "timeline": "May 2020",
                "entities": "UNICEF (OECD)",
            },
        ],
    )
    import_files(session, [path], TEST_TODAY)
    launch = session.scalars(sa.select(Milestone).where(Milestone.code == "3.2-M9")).one()
    assert launch.entities_text == "UNICEF (OECD)"
    assert sorted((link.entity.acronym, link.role) for link in launch.entity_links) == [
        ("OECD", EntityRole.PARTNER),
        ("UNICEF", EntityRole.LEAD),
    ]
    assert [e.acronym for e in launch.lead_entities] == ["UNICEF"]
    [row] = [r for r in export_rows(session, "WS1") if r["code"] == "3.2-M9"]
    assert row["entities"] == "UNICEF (OECD)"
    assert import_files(session, [path], TEST_TODAY).unchanged == 1  # the same, once more


def test_unknown_and_missing_columns(session, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("working_group,code,titel\nWS1,1,x\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_files(session, [path], TEST_TODAY)
    messages = [str(e) for e in caught.value.errors]
    assert any("row 1, field 'titel': unknown column" in m for m in messages)
    assert any("row 1, field 'title': required column is missing" in m for m in messages)


def test_registry_errors_name_table_and_field(session, tmp_path):
    path = tmp_path / "registry.toml"
    path.write_text(
        '[[entities]]\nacronym = "XYZ"\n\n'
        '[[working_groups]]\nshort_name = "WG"\nname = "A group"\nleads = ["NOPE"]\n'
        "reminder_lead_days = [7, -1]\n\n"
        '[[people]]\nname = "Someone"\nemail = "not-an-address"\nrole = "boss"\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as caught:
        import_files(session, [path], TEST_TODAY)
    messages = [str(e) for e in caught.value.errors]
    assert "registry.toml, entities[1], field 'name': is required" in messages
    assert any(
        m.startswith("registry.toml, working_groups[1], field 'leads': unknown entity 'NOPE'")
        for m in messages
    )
    assert any("working_groups[1], field 'reminder_lead_days'" in m for m in messages)
    assert (
        "registry.toml, people[1], field 'email': 'not-an-address' is not an e-mail address"
        in messages
    )
    assert any("people[1], field 'role': unknown role 'boss'" in m for m in messages)


def test_broken_files_are_named(session, tmp_path):
    toml = tmp_path / "broken.toml"
    toml.write_text("[[entities]\n", encoding="utf-8")
    xlsx = tmp_path / "broken.xlsx"
    xlsx.write_bytes(b"not a zip")
    for path in (toml, xlsx):
        with pytest.raises(ImportFailed) as caught:
            import_files(session, [path], TEST_TODAY)
        assert str(caught.value).startswith(f"{path.name}, file")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_reads_back_unchanged(session, tmp_path, suffix):
    path = tmp_path / f"all{suffix}"
    registry = tmp_path / "registry.toml"
    write_rows(path, export_rows(session))
    export_registry(session, registry)
    report = import_files(session, [registry, path], TEST_TODAY)
    assert not report.changed, report.lines()
    assert report.unchanged == counts(session)[0] + counts(session)[1]


def test_xlsx_keeps_codes_as_text(session, tmp_path):
    path = tmp_path / "ws1.xlsx"
    write_rows(path, export_rows(session, "WS1"))
    sheet = load_workbook(path).active
    codes = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "3.10" in codes and "3.20" in codes


def test_round_trip_into_an_empty_database(empty_app, app, tmp_path):
    from tracker.extensions import db

    with app.app_context():
        write_rows(tmp_path / "all.csv", export_rows(db.session))
        export_registry(db.session, tmp_path / "registry.toml")
        original = sorted(
            (r["working_group"], r["code"], r["timeline"], r.get("entities", ""))
            for r in export_rows(db.session)
        )
    with empty_app.app_context():
        import_files(db.session, [tmp_path / "registry.toml", tmp_path / "all.csv"], TEST_TODAY)
        db.session.commit()
        copied = sorted(
            (r["working_group"], r["code"], r["timeline"], r.get("entities", ""))
            for r in export_rows(db.session)
        )
    assert copied == original
