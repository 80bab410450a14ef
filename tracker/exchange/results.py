"""Importing and exporting a results table: a working group's outcomes, outputs and the
activities they serve, indicators with baselines, targets and actuals, risks, and themes.

One row per thing, told apart by `level`:

* outcome: code "Outcome 1", parent the objective's number (optional), title, description;
* output: code "Output 1.2", parent its outcome's code (optional), title, description,
  activities (the activities it is served by);
* indicator: code "I1", parent the outcome or output it measures, title, unit, baseline,
  baseline_date, target, target_date;
* actual: code the indicator's, period, value, source, note;
* risk: code "R1", parent the output at risk or one activity in activities, title,
  raised_by, raised_on;
* theme: code "gender", title its name, note the group's synergy, activities tagged.

`activities` lists activity codes separated by ";". Rows are keyed on working group, level and
code (an actual on its indicator and period), so importing a file twice changes nothing; as
with workplans, every error names its file, row and field, and then nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.domain.monitoring import read_value, read_when
from tracker.domain.status import Actor
from tracker.domain.themes import theme_key
from tracker.exchange.files import RESULTS, ImportFailed, RowError, SourceRow
from tracker.exchange.workplan import Change
from tracker.models import Activity, WorkingGroup
from tracker.monitoring.models import (
    ActivityOutput,
    ActivityTheme,
    GroupTheme,
    Indicator,
    IndicatorActual,
    Result,
    ResultLevel,
    Risk,
    Theme,
)
from tracker.timeline import parse_timeline

LEVELS = ("outcome", "output", "indicator", "actual", "risk", "theme")
#: Columns each level reads; anything else filled in is an error, not silently dropped.
_USES = {
    "outcome": {"title", "description", "parent"},
    "output": {"title", "description", "parent", "activities"},
    "indicator": {"title", "parent", "unit", "baseline", "baseline_date", "target", "target_date"},
    "actual": {"period", "value", "source", "note"},
    "risk": {"title", "parent", "activities", "raised_by", "raised_on"},
    "theme": {"title", "note", "activities"},
}
_ALWAYS = {"working_group", "level", "code"}


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace("\n", ";").split(";") if c.strip()]


@dataclass
class _Context:
    """What the rows are checked against: the database as the workplan rows left it."""

    groups: dict[str, WorkingGroup]
    activities: dict[tuple[int, str], Activity]
    results: dict[tuple[int, str], Result]
    indicators: dict[tuple[int, str], Indicator]


def _load(session: so.Session) -> _Context:
    session.flush()
    results = {
        (r.working_group_id, r.code.lower()): r
        for r in session.scalars(sa.select(Result).options(so.selectinload(Result.activity_links)))
    }
    return _Context(
        groups={g.short_name.lower(): g for g in session.scalars(sa.select(WorkingGroup))},
        activities={
            (a.working_group_id, a.code.lower()): a for a in session.scalars(sa.select(Activity))
        },
        results=results,
        indicators={
            (i.result.working_group_id, i.code.lower()): i
            for i in session.scalars(
                sa.select(Indicator).options(
                    so.joinedload(Indicator.result), so.selectinload(Indicator.actuals)
                )
            )
        },
    )


def import_results(
    session: so.Session, rows: list[SourceRow], source: str
) -> tuple[list[Change], int]:
    """Check every results row, then write them (the caller commits or rolls back).

    Returns the changes and how many rows changed nothing; `ImportFailed` lists every error
    and writes nothing.
    """
    context = _load(session)
    errors: list[RowError] = []
    checked = [c for row in rows if (c := _check(row, context, errors)) is not None]
    _check_across(checked, context, errors)
    if errors:
        raise ImportFailed(errors)
    writer = _Writer(session, context, Actor.system(f"import of {source}", "import"))
    for level in LEVELS:  # outcomes before the outputs under them, and so on
        for row in (c for c in checked if c.level == level):
            writer.write(row)
    session.flush()
    return writer.changes, writer.unchanged


@dataclass
class _Row:
    source: SourceRow
    group: WorkingGroup
    level: str
    code: str
    values: dict[str, str]
    #: Level-specific readings: objective number, units' numbers, dates, activities.
    read: dict[str, Any]


def _check(row: SourceRow, context: _Context, errors: list[RowError]) -> _Row | None:
    v = row.values
    before = len(errors)
    group_name, level, code = (
        v.get("working_group", ""),
        v.get("level", "").lower(),
        v.get("code", ""),
    )
    for name, value in (("working_group", group_name), ("level", level), ("code", code)):
        if not value:
            errors.append(row.error(name, "is required"))
    group = context.groups.get(group_name.lower())
    if group_name and group is None:
        errors.append(row.error("working_group", f"unknown working group {group_name!r}"))
    if level and level not in LEVELS:
        errors.append(
            row.error("level", f"unknown level {level!r}; use one of: {', '.join(LEVELS)}")
        )
    if len(code) > 40:
        errors.append(row.error("code", "is longer than 40 characters"))
    if len(errors) > before or group is None:
        return None
    for name, value in v.items():
        if value and name not in _USES[level] | _ALWAYS:
            errors.append(row.error(name, f"a {level} row does not use this column"))
    read: dict[str, Any] = {}

    def need(name: str) -> str:
        if not v.get(name):
            errors.append(row.error(name, f"a {level} row needs it"))
        return v.get(name, "")

    def when(name: str) -> None:
        try:
            read[name] = read_when(v.get(name, ""))
        except ValueError as exc:
            errors.append(row.error(name, str(exc)))

    def activities() -> list[Activity]:
        found = []
        for activity_code in _codes(v.get("activities", "")):
            activity = context.activities.get((group.id, activity_code.lower()))
            if activity is None:
                errors.append(
                    row.error("activities", f"no activity {activity_code!r} in {group.short_name}")
                )
            else:
                found.append(activity)
        return found

    if level in ("outcome", "output", "indicator", "risk"):
        need("title")
    if level == "outcome" and v.get("parent"):
        number = v["parent"].lower().removeprefix("objective").strip()
        objectives = len(group.objective_list)
        if not number.isdigit() or not 1 <= int(number) <= objectives:
            errors.append(
                row.error(
                    "parent",
                    f"name the objective it serves by its number, 1 to {objectives} "
                    f"({group.short_name} has {objectives} objectives in the registry)",
                )
            )
        else:
            read["objective"] = int(number)
    if level in ("output", "theme"):
        read["activities"] = activities()
    if level == "indicator":
        need("parent")
        unit = need("unit")
        for name in ("baseline", "target"):
            try:
                read_value(unit, v.get(name, ""))
            except ValueError as exc:
                errors.append(row.error(name, str(exc)))
            when(f"{name}_date")
    if level == "actual":
        period = need("period")
        need("value")
        indicator = context.indicators.get((group.id, code.lower()))
        read["indicator"] = indicator
        if period:
            try:
                timeline = parse_timeline(period)
                read["period"] = (timeline.start, timeline.end)
            except ValueError as exc:
                errors.append(row.error("period", str(exc)))
    if level == "risk":
        subjects = activities()
        if bool(v.get("parent")) == bool(v.get("activities")):
            errors.append(
                row.error(
                    "parent", "a risk belongs to one output (parent) or one activity (activities)"
                )
            )
        elif len(subjects) > 1:
            errors.append(row.error("activities", "a risk belongs to one activity; name only one"))
        read["activity"] = subjects[0] if subjects else None
        when("raised_on")
    return None if len(errors) > before else _Row(row, group, level, code, v, read)


def _check_across(rows: list[_Row], context: _Context, errors: list[RowError]) -> None:
    """What one row cannot tell alone: duplicates, parents, one output per activity, units."""
    seen: dict[tuple[int, str, str], _Row] = {}
    for row in rows:
        key = (row.group.id, row.level, row.code.lower())
        if row.level == "actual":
            key = (row.group.id, row.level, f"{row.code.lower()}|{row.values['period'].lower()}")
        if key in seen:
            first = seen[key].source
            errors.append(
                row.source.error(
                    "code", f"{row.code} already appears in {first.file} row {first.number}"
                )
            )
        seen[key] = row
    levels = {
        (r.group.id, r.code.lower()): r.level for r in rows if r.level in ("outcome", "output")
    }
    levels.update({k: r.level.value for k, r in context.results.items() if k not in levels})
    units = {
        (r.group.id, r.code.lower()): r.values.get("unit", "")
        for r in rows
        if r.level == "indicator"
    }
    for key, indicator in context.indicators.items():
        units.setdefault(key, indicator.unit)
    served: dict[tuple[int, int], _Row] = {}
    for row in rows:
        parent = row.values.get("parent", "")
        parent_level = levels.get((row.group.id, parent.lower()))
        if row.level == "output" and parent and parent_level != "outcome":
            errors.append(
                row.source.error("parent", f"no outcome {parent!r} in {row.group.short_name}")
            )
        if row.level == "indicator" and parent and parent_level is None:
            errors.append(
                row.source.error(
                    "parent", f"no outcome or output {parent!r} in {row.group.short_name}"
                )
            )
        if row.level == "risk" and parent and parent_level != "output":
            errors.append(
                row.source.error("parent", f"no output {parent!r} in {row.group.short_name}")
            )
        if (row.group.id, row.code.lower()) in levels and row.level in ("outcome", "output"):
            other = levels[(row.group.id, row.code.lower())]
            if other != row.level:
                errors.append(row.source.error("level", f"{row.code} is already an {other}"))
        if row.level == "actual":
            unit = units.get((row.group.id, row.code.lower()))
            if unit is None:
                errors.append(
                    row.source.error("code", f"no indicator {row.code!r} in {row.group.short_name}")
                )
            else:
                try:
                    read_value(unit, row.values["value"])
                except ValueError as exc:
                    errors.append(row.source.error("value", str(exc)))
        if row.level == "output":
            for activity in row.read["activities"]:
                key2 = (row.group.id, activity.id)
                if key2 in served:
                    first = served[key2]
                    errors.append(
                        row.source.error(
                            "activities",
                            f"{activity.code} already serves {first.code} ({first.source.file} "
                            f"row {first.source.number}); an activity serves one output",
                        )
                    )
                served[key2] = row


class _Writer:
    def __init__(self, session: so.Session, context: _Context, actor: Actor) -> None:
        self.session, self.context, self.actor = session, context, actor
        self.changes: list[Change] = []
        self.unchanged = 0
        self.themes = {t.key: t for t in session.scalars(sa.select(Theme))}

    def _set(self, obj: Any, change: Change, **values: Any) -> None:
        for name, value in values.items():
            old = getattr(obj, name)
            if old != value:
                change.fields[name] = (
                    "" if old is None else str(old),
                    "" if value is None else str(value),
                )
                setattr(obj, name, value)

    def _record(self, change: Change, created: bool) -> None:
        if created or change.fields:
            self.changes.append(change)
        else:
            self.unchanged += 1

    def write(self, row: _Row) -> None:
        change = Change("update", row.group.short_name, row.code, row.level)
        getattr(self, f"_{row.level}")(row, change)

    def _result(self, row: _Row, change: Change, level: ResultLevel, **values: Any) -> Result:
        key = (row.group.id, row.code.lower())
        result = self.context.results.get(key)
        created = result is None
        if result is None:
            result = Result(working_group=row.group, level=level)
            result.set_code(row.code)
            self.session.add(result)
            self.context.results[key] = result
            change.action = "create"
        self._set(
            result,
            change,
            title=row.values["title"],
            description=row.values.get("description", ""),
            **values,
        )
        self.session.flush()
        self._record(change, created)
        return result

    def _outcome(self, row: _Row, change: Change) -> None:
        self._result(row, change, ResultLevel.OUTCOME, objective_number=row.read.get("objective"))

    def _output(self, row: _Row, change: Change) -> None:
        parent = row.values.get("parent", "")
        outcome = self.context.results.get((row.group.id, parent.lower())) if parent else None
        created = (row.group.id, row.code.lower()) not in self.context.results
        output = self._result(
            row, change, ResultLevel.OUTPUT, parent_id=outcome.id if outcome else None
        )
        wanted = {a.id for a in row.read["activities"]}
        linked = {link.activity_id for link in output.activity_links}
        if wanted != linked:
            for link in list(output.activity_links):
                if link.activity_id not in wanted:
                    output.activity_links.remove(link)
            for activity in row.read["activities"]:
                if activity.id not in linked:
                    existing = self.session.get(ActivityOutput, activity.id)
                    if existing is not None:  # moved from another output
                        self.session.delete(existing)
                        self.session.flush()
                    output.activity_links.append(ActivityOutput(activity_id=activity.id))
            codes = ", ".join(sorted(a.code for a in row.read["activities"]))
            change.fields["activities"] = (f"{len(linked)} linked", codes)
            if not created and len(change.fields) == 1:
                self.unchanged -= 1
                self.changes.append(change)

    def _indicator(self, row: _Row, change: Change) -> None:
        v = row.values
        key = (row.group.id, row.code.lower())
        indicator = self.context.indicators.get(key)
        result = self.context.results[(row.group.id, v["parent"].lower())]
        created = indicator is None
        if indicator is None:
            indicator = Indicator(result=result)
            indicator.set_code(row.code)
            self.session.add(indicator)
            self.context.indicators[key] = indicator
            change.action = "create"
        self._set(
            indicator,
            change,
            result_id=result.id,
            name=v["title"],
            unit=v["unit"],
            baseline_value=v.get("baseline", ""),
            baseline_when=v.get("baseline_date", ""),
            baseline_date=row.read.get("baseline_date"),
            target_value=v.get("target", ""),
            target_when=v.get("target_date", ""),
            target_date=row.read.get("target_date"),
        )
        self.session.flush()
        self._record(change, created)

    def _actual(self, row: _Row, change: Change) -> None:
        v = row.values
        indicator = self.context.indicators[(row.group.id, row.code.lower())]
        actual = next((a for a in indicator.actuals if a.period == v["period"]), None)
        change.code = f"{row.code} {v['period']}"
        created = actual is None
        if actual is None:
            actual = IndicatorActual(period=v["period"], recorded_by=self.actor.label)
            indicator.actuals.append(actual)
            change.action = "create"
        start, end = row.read["period"]
        self._set(
            actual,
            change,
            period_start=start,
            period_end=end,
            value=v["value"],
            source=v.get("source", ""),
            note=v.get("note", ""),
        )
        self._record(change, created)

    def _risk(self, row: _Row, change: Change) -> None:
        v = row.values
        risk = self.session.scalar(
            sa.select(Risk).where(Risk.working_group_id == row.group.id, Risk.code == row.code)
        )
        created = risk is None
        if risk is None:
            risk = Risk(working_group=row.group, code=row.code)
            self.session.add(risk)
            change.action = "create"
        output = self.context.results.get((row.group.id, v.get("parent", "").lower()))
        activity: Activity | None = row.read["activity"]
        self._set(
            risk,
            change,
            result_id=output.id if output and not activity else None,
            activity_id=activity.id if activity else None,
            description=v["title"],
            raised_by=v.get("raised_by", ""),
            raised_when=v.get("raised_on", ""),
            raised_on=row.read.get("raised_on"),
        )
        self._record(change, created)

    def _theme(self, row: _Row, change: Change) -> None:
        v = row.values
        key = theme_key(row.code)
        theme = self.themes.get(key)
        created = theme is None
        if theme is None:
            theme = Theme(key=key, name=v.get("title") or row.code.strip())
            self.session.add(theme)
            self.themes[key] = theme
            change.action = "create"
        elif v.get("title"):
            self._set(theme, change, name=v["title"])
        self.session.flush()
        link = self.session.get(GroupTheme, (row.group.id, theme.id))
        if link is None:
            link = GroupTheme(working_group_id=row.group.id, theme_id=theme.id, synergy="")
            self.session.add(link)
            created, change.action = True, "create"
        self._set(link, change, synergy=v.get("note", ""))
        tagged = set(
            self.session.scalars(
                sa.select(ActivityTheme.activity_id)
                .join(Activity, Activity.id == ActivityTheme.activity_id)
                .where(
                    ActivityTheme.theme_id == theme.id, Activity.working_group_id == row.group.id
                )
            )
        )
        wanted = {a.id for a in row.read["activities"]}
        if tagged != wanted:
            for activity_id in tagged - wanted:
                self.session.delete(self.session.get(ActivityTheme, (activity_id, theme.id)))
            for activity_id in wanted - tagged:
                self.session.add(ActivityTheme(activity_id=activity_id, theme_id=theme.id))
            change.fields["activities"] = (
                f"{len(tagged)} tagged",
                ", ".join(sorted(a.code for a in row.read["activities"])),
            )
        self._record(change, created)


# --- export --------------------------------------------------------------------------------


def export_results(session: so.Session, working_group: str | None = None) -> list[dict[str, str]]:
    """A group's (or every group's) results framework as results rows, in import order."""
    groups = session.scalars(
        sa.select(WorkingGroup)
        .where(*([WorkingGroup.short_name == working_group] if working_group else []))
        .order_by(WorkingGroup.short_name)
    ).all()
    rows: list[dict[str, str]] = []
    for group in groups:
        rows += _group_rows(session, group)
    return rows


def _group_rows(session: so.Session, group: WorkingGroup) -> list[dict[str, str]]:
    base = {"working_group": group.short_name}
    results = session.scalars(
        sa.select(Result)
        .where(Result.working_group_id == group.id)
        .options(
            so.joinedload(Result.parent),
            so.selectinload(Result.activity_links).joinedload(ActivityOutput.activity),
            so.selectinload(Result.indicators).selectinload(Indicator.actuals),
        )
        .order_by(Result.level, Result.sort_key)
    ).all()
    rows: list[dict[str, str]] = []
    for r in sorted(results, key=lambda r: (r.level != ResultLevel.OUTCOME, r.sort_key)):
        row = {
            **base,
            "level": r.level.value,
            "code": r.code,
            "title": r.title,
            "description": r.description,
        }
        if r.level == ResultLevel.OUTCOME:
            row["parent"] = str(r.objective_number or "")
        else:
            row["parent"] = r.parent.code if r.parent else ""
            row["activities"] = "; ".join(
                sorted((link.activity.code for link in r.activity_links), key=_sort)
            )
        rows.append(row)
    for r in results:
        for i in r.indicators:
            rows.append(
                {
                    **base,
                    "level": "indicator",
                    "code": i.code,
                    "parent": r.code,
                    "title": i.name,
                    "unit": i.unit,
                    "baseline": i.baseline_value,
                    "baseline_date": i.baseline_when,
                    "target": i.target_value,
                    "target_date": i.target_when,
                }
            )
    for r in results:
        for i in r.indicators:
            for a in i.actuals:
                rows.append(
                    {
                        **base,
                        "level": "actual",
                        "code": i.code,
                        "period": a.period,
                        "value": a.value,
                        "source": a.source,
                        "note": a.note,
                    }
                )
    for risk in session.scalars(
        sa.select(Risk)
        .where(Risk.working_group_id == group.id)
        .options(so.joinedload(Risk.result), so.joinedload(Risk.activity))
        .order_by(Risk.code)
    ):
        rows.append(
            {
                **base,
                "level": "risk",
                "code": risk.code,
                "parent": risk.result.code if risk.result else "",
                "activities": risk.activity.code if risk.activity else "",
                "title": risk.description,
                "raised_by": risk.raised_by,
                "raised_on": risk.raised_when,
            }
        )
    tags: dict[int, list[str]] = {}
    for theme_id, code in session.execute(
        sa.select(ActivityTheme.theme_id, Activity.code)
        .join(Activity, Activity.id == ActivityTheme.activity_id)
        .where(Activity.working_group_id == group.id)
    ):
        tags.setdefault(theme_id, []).append(code)
    for link, theme in session.execute(
        sa.select(GroupTheme, Theme)
        .join(Theme, Theme.id == GroupTheme.theme_id)
        .where(GroupTheme.working_group_id == group.id)
        .order_by(Theme.key)
    ):
        rows.append(
            {
                **base,
                "level": "theme",
                "code": theme.key,
                "title": theme.name,
                "note": link.synergy,
                "activities": "; ".join(sorted(tags.get(theme.id, []), key=_sort)),
            }
        )
    return rows


def _sort(code: str) -> str:
    from tracker.models import code_sort_key

    return code_sort_key(code)


def results_rows_of(rows: list[SourceRow]) -> tuple[list[SourceRow], list[SourceRow]]:
    """Split rows read from tables into (workplan rows, results rows)."""
    return [r for r in rows if r.table != RESULTS], [r for r in rows if r.table == RESULTS]
