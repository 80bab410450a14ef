"""The `tracker` command's workplan commands."""

import json

import sqlalchemy as sa

from tests.conftest import TEST_TODAY
from tracker.models import Activity, Status


def test_init_and_seed_on_an_empty_database(empty_app):
    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["init"]).exit_code == 0
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "to create" in first.output and "applied" in first.output
    again = runner.invoke(args=["seed"])
    assert "0 to create, 0 to update" in again.output


def test_items_json_with_filters(runner):
    result = runner.invoke(
        args=[
            "items",
            "--entity",
            "ILO",
            "--leading",
            "--json",
            "--due-from",
            "2020-01-01",
            "--due-to",
            "2021-12-31",
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [i["code"] for i in data["items"]] == ["3.4", "2", "3.5"]
    assert data["items"][0] == {
        "kind": "activity",
        "code": "3.4",
        "title": "Implement the methodology for measuring SDG indicator 10.7.1 Recruitment cost "
        "borne by employee as a proportion of yearly income earned in country of destination.",
        "working_group": "WS1",
        "due": "2020-06-30",
        "when": "ongoing – June 2020",
        "status": "not_reported",
        "leads": ["ILO"],
    }


def test_items_today_option_moves_the_clock(runner):
    early = json.loads(
        runner.invoke(args=["items", "--overdue", "--json", "--today", "2015-01-01"]).output
    )
    late = json.loads(
        runner.invoke(args=["items", "--overdue", "--json", "--today", "2026-11-21"]).output
    )
    assert [i["code"] for i in early["items"]] == ["NS-1", "NS-2", "Output 1.2 (2)", "NS-3"]
    assert late["total"] > early["total"]


def test_items_bad_input_is_named(runner):
    result = runner.invoke(args=["items", "--entity", "UNICEFF"])
    assert result.exit_code == 1 and "did you mean UNICEF" in result.output
    result = runner.invoke(args=["items", "--status", "finished"])
    assert result.exit_code == 2 and "unknown status 'finished'" in result.output
    result = runner.invoke(args=["items", "--today", "yesterday"])
    assert result.exit_code == 2 and "not an ISO date" in result.output


def test_status_command_updates_and_shows_history(runner, session):
    result = runner.invoke(
        args=[
            "status",
            "3.4",
            "--working-group",
            "WS1",
            "--set",
            "in progress",
            "--note",
            "Phase 2",
            "--by",
            "ilo.focal-point@example.org",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "ILO focal point (cli): not reported -> in progress - Phase 2" in result.output
    assert session.scalars(sa.select(Activity).where(Activity.code == "3.4")).one().status == (
        Status.IN_PROGRESS
    )
    refused = runner.invoke(
        args=[
            "status",
            "3.7",
            "--working-group",
            "WS1",
            "--set",
            "completed",
            "--by",
            "ilo.focal-point@example.org",
        ]
    )
    assert refused.exit_code == 1 and "does not lead 3.7" in refused.output


def test_export_command_writes_the_import_format(runner, tmp_path):
    out = tmp_path / "ws1.csv"
    result = runner.invoke(args=["export", "-o", str(out), "--working-group", "ws1"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("working_group,type,code")
    again = runner.invoke(args=["import", str(out)])
    assert "0 to create, 0 to update" in again.output


def test_demo_data_adds_a_consistent_programme(runner, session):
    from tracker.domain.items import ItemFilter, find_items
    from tracker.models import Milestone, WorkingGroup

    result = runner.invoke(
        args=[
            "demo-data",
            "--activities",
            "120",
            "--milestones",
            "300",
            "--groups",
            "3",
            "--seed",
            "7",
        ]
    )
    assert result.exit_code == 0, result.output
    groups = session.scalars(
        sa.select(WorkingGroup).where(WorkingGroup.short_name.startswith("D7-"))
    )
    group_ids = [g.id for g in groups]
    assert len(group_ids) == 3
    activities = session.scalars(
        sa.select(Activity).where(Activity.working_group_id.in_(group_ids))
    ).all()
    assert len(activities) == 120
    assert all(a.entity_links and a.entities_text for a in activities)
    assert all((a.parent is not None) == ("." in a.code) for a in activities)
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(Milestone)
        .where(Milestone.working_group_id.in_(group_ids))
    )
    assert count == 300
    page = find_items(session, ItemFilter(working_group="D7-01"), TEST_TODAY)
    assert page.total >= 40
