"""The results framework: the seeds' chains, the results table's import and export, the API."""

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tracker import resource_dir
from tracker.cli.workplan import seed_files
from tracker.domain.monitoring import (
    chain_json,
    read_value,
    record_actual,
    results_chain,
)
from tracker.domain.status import Actor
from tracker.domain.themes import activities_with_themes
from tracker.exchange import ImportFailed, export_results, import_files
from tracker.exchange.files import RESULT_COLUMNS, write_rows, write_table
from tracker.models import Activity, PersonRole, WorkingGroup
from tracker.monitoring.models import ActivityOutput, Indicator, IndicatorActual, Result, Risk

from .conftest import TEST_TODAY
from .test_api import token_for

SEEDS = resource_dir("seeds")


def group(session, name: str) -> WorkingGroup:
    return session.scalars(sa.select(WorkingGroup).where(WorkingGroup.short_name == name)).one()


def write_results(path: Path, rows: list[dict[str, str]]) -> Path:
    write_table(path, rows, RESULT_COLUMNS)
    return path


def monitoring_counts(session) -> tuple[int, ...]:
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Result, ActivityOutput, Indicator, IndicatorActual, Risk)
    )


def test_gmg_chain_is_the_documents_own(session):
    chain = results_chain(session, group(session, "GMG-DR"))
    assert chain.objectives[0].startswith("Enhancing the availability")
    [outcome] = chain.outcomes
    assert outcome.outcome.code == "Outcome 1"
    assert outcome.outcome.title.startswith("Stakeholders will be better informed")
    outputs = {o.output.code: [a.code for a in o.activities] for o in outcome.outputs}
    # the outputs' activities and, by inheritance, their sub-activities
    assert outputs == {
        "Output 1.2": ["Output 1.2", "Output 1.2 (1)", "Output 1.2 (2)", "Output 1.2 (3)"],
        "Output 1.3": ["Output 1.3", "Output 1.3 (1)", "Output 1.3 (2)"],
    }
    [indicator] = chain.indicators
    assert (indicator.unit, indicator.baseline_value, indicator.baseline_when) == (
        "percent",
        "78",
        "1990 (census round)",
    )
    assert indicator.target_value == ""  # the document gives no target: none is made up
    assert [(a.period_end.year, a.value) for a in indicator.actuals] == [(2010, "50")]
    assert [r.activity.code for r in chain.risks] == [
        "Output 1.2 (1)",
        "Output 1.3 (2)",
        "Output 1.3 (1)",
    ]
    assert "additional funding" in chain.risks[1].description
    themes = {s.theme.key: s.synergy for s in chain.synergies}
    assert themes["gender"] == "Inclusion of gender-disaggregated data."
    assert set(themes) == {"gender", "capacity-building", "public-perceptions"}


def test_only_figures_the_documents_give_are_seeded(session):
    indicators = session.scalars(sa.select(Indicator)).all()
    assert [(i.result.working_group.short_name, i.code) for i in indicators] == [("GMG-DR", "I1")]


def test_theme_filter_keeps_tagged_activities_and_their_children(session):
    ids = activities_with_themes(["Capacity building"])
    codes = set(session.scalars(sa.select(Activity.code).where(Activity.id.in_(ids))))
    assert codes == {
        "Output 1.2 (1)",
        "Output 1.3 (2)",
        "3.8",
        "3.10",
        "C3",
        "C3.1",
        "C3.2",
        "C3.3",
        "W1",
    } or ({"Output 1.2 (1)", "Output 1.3 (2)", "3.8", "3.10", "C3", "W1"} <= codes)
    assert "Output 1.3 (1)" not in codes


def test_seeding_twice_changes_nothing(session):
    paths = seed_files(SEEDS)
    report = import_files(session, paths, TEST_TODAY)
    assert not report.changes
    assert report.unchanged > 0


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (
            {"level": "actual", "code": "I1", "period": "2020", "value": "about half"},
            "value",
            "not a number",
        ),
        (
            {"level": "actual", "code": "I1", "period": "2020", "value": "120"},
            "value",
            "between 0 and 100",
        ),
        ({"level": "actual", "code": "I9", "period": "2020", "value": "1"}, "code", "no indicator"),
        (
            {"level": "actual", "code": "I1", "period": "Thirteenth 2020", "value": "1"},
            "period",
            "",
        ),
        (
            {
                "level": "output",
                "code": "Output 9",
                "title": "x",
                "activities": "Output 1.3 (1); 77",
            },
            "activities",
            "no activity '77'",
        ),
        (
            {"level": "output", "code": "Output 9", "title": "x", "parent": "Outcome 7"},
            "parent",
            "no outcome",
        ),
        (
            {"level": "outcome", "code": "Outcome 2", "title": "x", "parent": "9"},
            "parent",
            "1 to 3",
        ),
        (
            {
                "level": "risk",
                "code": "R9",
                "title": "x",
                "parent": "Output 1.2",
                "activities": "Output 1.2",
            },
            "parent",
            "one output",
        ),
        (
            {
                "level": "indicator",
                "code": "I2",
                "title": "x",
                "parent": "Output 1.2",
                "unit": "countries",
                "target": "many",
            },
            "target",
            "not a number",
        ),
        ({"level": "theme", "code": "gender", "unit": "percent"}, "unit", "does not use"),
        ({"level": "objective", "code": "O1"}, "level", "unknown level"),
    ],
)
def test_bad_results_rows_name_file_row_field_and_change_nothing(
    session, tmp_path, row, field, words
):
    before = monitoring_counts(session)
    # a good row first: it is not written either
    good = {
        "working_group": "GMG-DR",
        "level": "actual",
        "code": "I1",
        "period": "2014",
        "value": "49",
    }
    path = write_results(tmp_path / "results.csv", [good, {"working_group": "GMG-DR", **row}])
    with pytest.raises(ImportFailed) as failed:
        import_files(session, [path], TEST_TODAY)
    session.rollback()
    [error] = failed.value.errors
    assert (error.file, error.where, error.field) == ("results.csv", "row 3", field)
    assert words in error.message
    assert monitoring_counts(session) == before


def test_an_activity_serves_one_output_across_rows(session, tmp_path):
    rows = [
        {"working_group": "WS1", "level": "output", "code": "A", "title": "a", "activities": "3.1"},
        {"working_group": "WS1", "level": "output", "code": "B", "title": "b", "activities": "3.1"},
    ]
    with pytest.raises(ImportFailed) as failed:
        import_files(session, [write_results(tmp_path / "r.csv", rows)], TEST_TODAY)
    assert "3.1 already serves A (r.csv row 2)" in str(failed.value)


def test_a_file_may_move_an_activity_to_another_output(session, tmp_path):
    row = {"working_group": "GMG-DR", "level": "output", "code": "Output 9", "title": "x"}
    path = write_results(tmp_path / "r.csv", [{**row, "activities": "Output 1.2 (3)"}])
    import_files(session, [path], TEST_TODAY)
    chain = results_chain(session, group(session, "GMG-DR"))
    served = {
        o.output.code: [a.code for a in o.activities] for v in chain.outcomes for o in v.outputs
    }
    assert served["Output 9"] == ["Output 1.2 (3)"]
    assert "Output 1.2 (3)" not in served["Output 1.2"]


def test_import_then_reimport_changes_nothing_and_actuals_keep_their_source(session, tmp_path):
    rows = [
        {
            "working_group": "WS1",
            "level": "outcome",
            "code": "Outcome 1",
            "title": "Capacities built",
        },
        {
            "working_group": "WS1",
            "level": "output",
            "code": "Output 3",
            "parent": "Outcome 1",
            "title": "Statistical capacities strengthened",
            "activities": "3",
        },
        {
            "working_group": "WS1",
            "level": "indicator",
            "code": "K1",
            "parent": "Output 3",
            "title": "Countries trained",
            "unit": "countries",
            "baseline": "0",
            "baseline_date": "2019",
            "target": "12",
            "target_date": "December 2020",
        },
        {
            "working_group": "WS1",
            "level": "actual",
            "code": "K1",
            "period": "first half of 2020",
            "value": "5",
            "source": "training records",
            "note": "two regions",
        },
    ]
    path = write_results(tmp_path / "ws1-results.csv", rows)
    first = import_files(session, [path], TEST_TODAY)
    assert [c.action for c in first.changes] == ["create"] * 4
    again = import_files(session, [path], TEST_TODAY)
    assert again.changes == [] and again.unchanged == 4
    chain = results_chain(session, group(session, "WS1"))
    served = chain.outcomes[0].outputs[0].activities
    assert {a.code for a in served} >= {"3", "3.1", "3.20"}  # 3 and every sub-activity
    actual = chain.indicators[0].actuals[0]
    assert (actual.period_start.isoformat(), actual.period_end.isoformat()) == (
        "2020-01-01",
        "2020-06-30",
    )
    assert (actual.source, actual.note, actual.recorded_by) == (
        "training records",
        "two regions",
        "import of ws1-results.csv",
    )


def test_export_reads_back_unchanged_as_csv_and_as_a_workbook_sheet(session, tmp_path):
    rows = export_results(session)
    assert {r["level"] for r in rows} == {
        "outcome",
        "output",
        "indicator",
        "actual",
        "risk",
        "theme",
    }
    path = write_results(tmp_path / "results.csv", rows)
    report = import_files(session, [path], TEST_TODAY)
    assert report.changes == [] and report.unchanged == len(rows)
    book = tmp_path / "all.xlsx"
    write_rows(book, [], rows)
    assert load_workbook(book).sheetnames == ["workplan", "results"]
    with path.open() as f:
        assert next(csv.reader(f)) == list(RESULT_COLUMNS)


def test_record_actual_refuses_words_for_a_numeric_unit(session):
    indicator = session.scalars(sa.select(Indicator).where(Indicator.code == "I1")).one()
    with pytest.raises(ValueError, match="not a number"):
        record_actual(session, indicator, Actor.system("test", "cli"), period="2020", value="n/a")
    assert len(indicator.actuals) == 1
    assert read_value("text", "draft circulated") is None
    assert read_value("percent", "12.5%") == 12.5


def test_api_reads_the_results_chain(client, session):
    headers = token_for(session, "member@example.org")
    body = client.get("/api/v1/working-groups/GMG-DR/results", headers=headers).json
    assert body == chain_json(results_chain(session, group(session, "GMG-DR")))
    assert body["indicators"][0]["actuals"][0]["number"] == 50.0
    assert body["outcomes"][0]["outputs"][0]["activities"][0] == "Output 1.2"
    assert client.get("/api/v1/working-groups/NOPE/results", headers=headers).status_code == 404
    assert client.get("/api/v1/working-groups/GMG-DR/results").status_code == 401


def test_web_import_may_change_results_only_of_coordinated_groups(client, session, auth):
    from .test_manage import upload

    me = auth.sign_in_as("coordinator@example.org")
    me.role = PersonRole.COORDINATOR  # of EGMS only, not an administrator
    me.working_groups = [group(session, "EGMS")]
    session.commit()
    auth.sign_in_as("coordinator@example.org")  # the change of role ended the session
    csv_text = "working_group,level,code,period,value\nGMG-DR,actual,I1,2014,49\n"
    response = upload(client, "results.csv", csv_text.encode())
    assert response.status_code == 403
    assert "working groups changed: GMG-DR" in response.get_data(as_text=True)
    indicator = session.scalars(sa.select(Indicator).where(Indicator.code == "I1")).one()
    assert [a.value for a in indicator.actuals] == ["50"]


def test_web_export_writes_the_results_table(client, session, auth):
    auth.sign_in_as("coordinator@example.org")
    response = client.get("/manage/export?format=results&working_group=GMG-DR")
    assert response.status_code == 200
    rows = list(csv.DictReader(response.get_data(as_text=True).splitlines()))
    blank = dict.fromkeys(RESULT_COLUMNS, "")
    assert rows == [{**blank, **row} for row in export_results(session, "GMG-DR")]


def test_themes_filter_lists_the_api_and_the_cli_alike(client, session, auth, runner):
    auth.sign_in_as("member@example.org")
    page = client.get("/items?theme=gender").get_data(as_text=True)
    assert "Pilot survey methodology on household surveys" in page
    assert "Handbook" not in page
    headers = token_for(session, "member@example.org")
    api = client.get("/api/v1/items?theme=capacity-building,gender", headers=headers).json
    codes = {(i["working_group"], i["code"]) for i in api["items"]}
    assert {
        ("GMG-DR", "Output 1.3 (1)"),
        ("GMG-DR", "NS-1"),
        ("WS1", "3.8"),
        ("GPMS", "C3.1"),
    } <= codes
    assert ("WS1", "3.4") not in codes
    cli = runner.invoke(args=["items", "--theme", "Gender", "--json"])
    assert [i["code"] for i in json.loads(cli.output)["items"]] == ["Output 1.3 (1)"]
