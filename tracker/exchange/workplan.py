"""Importing workplan rows: validate every row, show what would change, then apply all or nothing.

Rows are keyed on working group + code, so importing the same file twice changes nothing.
A blank status or note leaves what the item already has: re-importing a workplan does not undo
the updates leads made since.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import sqlalchemy.orm as so
from dateutil.rrule import rrulestr

from tracker.domain.entities import (
    EntityDirectory,
    UnknownName,
    parse_entities_text,
    set_entities,
)
from tracker.domain.items import apply_timeline
from tracker.domain.status import MAX_NOTE, Actor, record_creation, update_progress
from tracker.exchange.files import ImportFailed, RowError, SourceRow
from tracker.models import (
    Activity,
    Entity,
    EntityRole,
    Milestone,
    MilestoneKind,
    Status,
    WorkingGroup,
    code_sort_key,
)
from tracker.timeline import Timeline, parse_timeline

#: The longest text a column of the table takes: what the database holds (PostgreSQL refuses
#: more, SQLite would keep it), so a longer cell is a row error, not a failed import.
_LONGEST = {
    "code": Activity.__table__.c.code.type.length,
    "timeline": Activity.__table__.c.timeline_text.type.length,
    "location": Milestone.__table__.c.location.type.length,
    "timezone": Milestone.__table__.c.timezone.type.length,
}

ACTIVITY = "activity"
ROW_TYPES = (ACTIVITY, *(k.value for k in MilestoneKind))


@dataclass
class ItemSpec:
    """One valid row, read and resolved against the database."""

    row: SourceRow
    group: WorkingGroup
    type: str
    code: str
    parent_code: str | None
    title: str
    description: str
    entities_text: str
    entities: list[tuple[Entity, EntityRole]]
    timeline: Timeline
    recurrence: str | None
    start_time: time | None
    end_time: time | None
    timezone: str | None
    location: str
    status: Status | None
    note: str

    @property
    def key(self) -> tuple[int, str]:
        return (self.group.id, self.code.lower())


@dataclass
class Change:
    action: str  # "create" or "update"
    group: str
    code: str
    type: str
    #: field -> (old, new), as text
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __str__(self) -> str:
        head = f"{self.action} {self.type} {self.group} {self.code}"
        if self.action == "create":
            return head
        parts = [f"{name}: {old!r} -> {new!r}" for name, (old, new) in self.fields.items()]
        return head + " (" + "; ".join(parts) + ")"


@dataclass
class WorkplanPlan:
    specs: list[ItemSpec]
    changes: list[Change]
    unchanged: int


# --- reading rows ---------------------------------------------------------------------------


def _read_time(text: str) -> tuple[time | None, time | None]:
    if not text:
        return None, None
    parts = re.split(r"\s*[-–—]\s*|\s+to\s+", text.strip())
    if len(parts) > 2:
        raise ValueError(f"cannot read {text!r}; write a time or a range such as 09:00-11:30")
    try:
        times = [time.fromisoformat(p.zfill(5) if len(p) == 4 else p) for p in parts]
    except ValueError:
        raise ValueError(f"cannot read {text!r}; write 24-hour times such as 09:00-11:30") from None
    if len(times) == 2 and times[1] <= times[0]:
        raise ValueError(f"{text!r} ends before it starts")
    return times[0], times[1] if len(times) == 2 else None


def _read_timezone(text: str) -> str | None:
    if not text:
        return None
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
        raise ValueError(
            f"unknown time zone {text!r}; use an IANA name such as Europe/Paris (not CEST)"
        ) from None
    return text


def _read_recurrence(text: str) -> str | None:
    if not text:
        return None
    rule = text.strip().removeprefix("RRULE:")
    try:
        rrulestr(rule, dtstart=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an RRULE value ({exc}); e.g. FREQ=YEARLY;INTERVAL=2") from None
    return rule


def read_spec(
    row: SourceRow,
    groups: dict[str, WorkingGroup],
    directory: EntityDirectory,
    errors: list[RowError],
) -> ItemSpec | None:
    """Validate one row; append every problem found to `errors`."""
    v = row.values
    before = len(errors)

    def need(name: str) -> str:
        value = v.get(name, "")
        if not value:
            errors.append(row.error(name, "is required"))
        return value

    group_name = need("working_group")
    code = need("code")
    title = need("title")
    group = groups.get(group_name.lower())
    if group_name and group is None:
        known = ", ".join(sorted(g.short_name for g in groups.values())) or "none yet"
        errors.append(
            row.error(
                "working_group",
                f"unknown working group {group_name!r} "
                f"(known: {known}); add it to the registry file first",
            )
        )
    row_type = (v.get("type") or ACTIVITY).lower()
    if row_type not in ROW_TYPES:
        errors.append(
            row.error("type", f"unknown type {row_type!r}; use one of: " + ", ".join(ROW_TYPES))
        )
    for name, value in v.items():
        limit = _LONGEST.get(name)
        if "\x00" in value:
            errors.append(row.error(name, "holds a NUL character"))
        elif limit is not None and len(value) > limit:
            errors.append(row.error(name, f"is longer than {limit} characters"))

    def attempt(name: str, read: Any, value: str) -> Any:
        try:
            return read(value)
        except (ValueError, UnknownName) as exc:
            errors.append(row.error(name, str(exc)))
            return None

    timeline = attempt("timeline", parse_timeline, v.get("timeline", "")) or Timeline("")
    entities = (
        attempt("entities", lambda t: parse_entities_text(t, directory), v.get("entities", ""))
        or []
    )
    start_time, end_time = attempt("time", _read_time, v.get("time", "")) or (None, None)
    timezone = attempt("timezone", _read_timezone, v.get("timezone", ""))
    recurrence = attempt("recurrence", _read_recurrence, v.get("recurrence", ""))
    status = attempt("status", Status.parse, v["status"]) if v.get("status") else None
    if len(v.get("note", "").strip()) > MAX_NOTE:
        errors.append(row.error("note", f"at most {MAX_NOTE} characters"))
    if start_time and not timezone:
        errors.append(row.error("timezone", "a time needs a time zone, e.g. Europe/Paris"))
    if row_type == ACTIVITY:
        for name in ("time", "timezone", "location"):
            if v.get(name):
                errors.append(row.error(name, "only milestones have a time, zone or location"))
    if len(errors) > before or group is None:
        return None
    return ItemSpec(
        row=row,
        group=group,
        type=row_type,
        code=code,
        parent_code=v.get("parent") or None,
        title=title,
        description=v.get("description", ""),
        entities_text=v.get("entities", ""),
        entities=entities,
        timeline=timeline,
        recurrence=recurrence or timeline.recurrence,
        start_time=start_time,
        end_time=end_time,
        timezone=timezone,
        location=v.get("location", ""),
        status=status,
        note=v.get("note", ""),
    )


# --- planning -------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _activity_fields(spec: ItemSpec, parent: Activity | None) -> dict[str, Any]:
    return {
        "title": spec.title,
        "description": spec.description,
        "entities_text": spec.entities_text,
        "timeline_text": spec.timeline.text,
        "recurrence": spec.recurrence,
        "parent_id": parent.id if parent else None,
    }


def _milestone_fields(spec: ItemSpec, activity: Activity | None) -> dict[str, Any]:
    return {
        "kind": MilestoneKind(spec.type),
        "title": spec.title,
        "description": spec.description,
        "entities_text": spec.entities_text,
        "date_text": spec.timeline.text,
        "recurrence": spec.recurrence,
        "start_time": spec.start_time,
        "end_time": spec.end_time,
        "timezone": spec.timezone,
        "location": spec.location,
        "activity_id": activity.id if activity else None,
    }


def _links_of(item: Activity | Milestone) -> set[tuple[int, EntityRole]]:
    return {(link.entity_id, link.role) for link in item.entity_links}


def _lookups(session: so.Session) -> tuple[dict[str, WorkingGroup], EntityDirectory]:
    groups = {g.short_name.lower(): g for g in session.scalars(sa.select(WorkingGroup))}
    return groups, EntityDirectory.load(session)


@dataclass
class RowReading:
    """One row as the importer understands it, for a preview: its spec, or its errors."""

    row: SourceRow
    spec: ItemSpec | None
    errors: list[RowError]

    @property
    def roles(self) -> str:
        """ "ILO (lead), World Bank (partner)"."""
        if self.spec is None:
            return ""
        order = list(EntityRole)
        ranked = sorted(self.spec.entities, key=lambda link: order.index(link[1]))
        return ", ".join(f"{e.acronym} ({role.label})" for e, role in ranked)

    @property
    def meaning(self) -> str:
        """The timeline as understood: "2018-11-01 to 2019-11-30", "from 2013-01-01, ongoing"."""
        if self.spec is None:
            return ""
        t = self.spec.timeline
        start, end = (d.isoformat() if d else None for d in (t.start, t.end))
        if start and end:
            text = f"{start} to {end}"
        elif start:
            text = f"from {start}"
        elif end:
            text = f"until {end}"
        else:
            text = "no dates"
        if t.ongoing:
            text += ", ongoing"
        if self.spec.recurrence:
            text += f", repeats {self.spec.recurrence}"
        return text


def read_each_row(session: so.Session, rows: list[SourceRow]) -> list[RowReading]:
    """Each row read on its own, by the same `read_spec` the import uses."""
    groups, directory = _lookups(session)
    readings = []
    for row in rows:
        errors: list[RowError] = []
        spec = read_spec(row, groups, directory, errors)
        readings.append(RowReading(row, spec, errors))
    return readings


def plan_workplan(session: so.Session, rows: list[SourceRow]) -> WorkplanPlan:
    """Validate rows and compare them with the database; `ImportFailed` lists every error."""
    groups, directory = _lookups(session)
    errors: list[RowError] = []
    specs = [s for row in rows if (s := read_spec(row, groups, directory, errors))]

    seen: dict[tuple[int, str], ItemSpec] = {}
    for spec in specs:
        if spec.key in seen:
            errors.append(
                spec.row.error(
                    "code",
                    f"{spec.code} already appears in "
                    f"{seen[spec.key].row.file} row {seen[spec.key].row.number}",
                )
            )
        seen[spec.key] = spec

    group_ids = {spec.group.id for spec in specs}
    activities = {
        (a.working_group_id, a.code.lower()): a
        for a in session.scalars(
            sa.select(Activity)
            .where(Activity.working_group_id.in_(group_ids))
            .options(so.selectinload(Activity.entity_links))
        )
    }
    milestones = {
        (m.working_group_id, m.code.lower()): m
        for m in session.scalars(
            sa.select(Milestone).where(Milestone.working_group_id.in_(group_ids))
        )
    }
    file_activities = {s.key for s in specs if s.type == ACTIVITY}

    for spec in specs:
        other = milestones if spec.type == ACTIVITY else activities
        if spec.key in other:
            errors.append(
                spec.row.error(
                    "type",
                    f"{spec.code} is already a "
                    f"{'milestone' if spec.type == ACTIVITY else 'activity'} "
                    f"in {spec.group.short_name}",
                )
            )
        if spec.parent_code:
            parent_key = (spec.group.id, spec.parent_code.lower())
            if parent_key == spec.key:
                errors.append(spec.row.error("parent", "an activity cannot be its own parent"))
            elif parent_key not in file_activities and parent_key not in activities:
                errors.append(
                    spec.row.error(
                        "parent", f"no activity {spec.parent_code!r} in {spec.group.short_name}"
                    )
                )
    errors += _cycles([s for s in specs if s.type == ACTIVITY], activities)
    if errors:
        raise ImportFailed(errors)

    changes: list[Change] = []
    unchanged = 0
    for spec in specs:
        existing = activities.get(spec.key) if spec.type == ACTIVITY else milestones.get(spec.key)
        if existing is None:
            changes.append(Change("create", spec.group.short_name, spec.code, spec.type))
            continue
        diff = _diff(spec, existing, activities)
        if diff:
            changes.append(Change("update", spec.group.short_name, spec.code, spec.type, diff))
        else:
            unchanged += 1
    return WorkplanPlan(specs, changes, unchanged)


def _cycles(specs: list[ItemSpec], activities: dict[tuple[int, str], Activity]) -> list[RowError]:
    parents: dict[tuple[int, str], tuple[int, str] | None] = {
        key: (key[0], a.parent.code.lower()) if a.parent else None for key, a in activities.items()
    }
    for spec in specs:
        parents[spec.key] = (spec.group.id, spec.parent_code.lower()) if spec.parent_code else None
    errors = []
    for spec in specs:
        node, steps = parents.get(spec.key), 0
        while node is not None and steps <= len(parents):
            if node == spec.key:
                errors.append(spec.row.error("parent", f"{spec.code} would be its own ancestor"))
                break
            node, steps = parents.get(node), steps + 1
    return errors


def _diff(
    spec: ItemSpec, existing: Activity | Milestone, activities: dict[tuple[int, str], Activity]
) -> dict[str, tuple[str, str]]:
    parent = activities.get((spec.group.id, spec.parent_code.lower())) if spec.parent_code else None
    if isinstance(existing, Activity):
        wanted = _activity_fields(spec, parent)
        if spec.parent_code and parent is None:
            wanted["parent_id"] = -1  # parent created by this import
    else:
        wanted = _milestone_fields(spec, parent)
        if spec.parent_code and parent is None:
            wanted["activity_id"] = -1
    diff = {
        name: (_text(getattr(existing, name)), _text(value))
        for name, value in wanted.items()
        if getattr(existing, name) != value
    }
    if _links_of(existing) != {(e.id, role) for e, role in spec.entities}:
        diff["entities"] = (existing.entities_text, spec.entities_text)
    if spec.status is not None and spec.status != existing.status:
        diff["status"] = (existing.status.label, spec.status.label)
    if spec.note and spec.note != existing.progress_note:
        diff["note"] = (existing.progress_note, spec.note)
    return diff


# --- applying -------------------------------------------------------------------------------


def apply_workplan(
    session: so.Session,
    plan: WorkplanPlan,
    source: str,
    today: date,
    progress: Callable[[int], None] = lambda _n: None,
) -> None:
    """Write the plan into the session (the caller commits). Parents first, then children.

    `progress(n)` is told as each item is written (a progress bar for large workplans).
    """
    actor = Actor.system(f"import of {source}", "import")
    activities = {
        (a.working_group_id, a.code.lower()): a
        for a in session.scalars(
            sa.select(Activity).where(
                Activity.working_group_id.in_({s.group.id for s in plan.specs})
            )
        )
    }
    changed = {(c.group, c.code.lower()) for c in plan.changes}
    specs = [s for s in plan.specs if (s.group.short_name, s.code.lower()) in changed]
    new_items: list[Activity | Milestone] = []

    # activities: create or update without parents, then link parents once all exist
    for spec in (s for s in specs if s.type == ACTIVITY):
        progress(1)
        activity = activities.get(spec.key)
        if activity is None:
            activity = Activity(
                working_group=spec.group,
                code=spec.code,
                status=spec.status or Status.NOT_REPORTED,
                progress_note=spec.note,
            )
            session.add(activity)
            activities[spec.key] = activity
            new_items.append(activity)
        _write_activity(activity, spec)
    session.flush()
    for spec in (s for s in specs if s.type == ACTIVITY):
        parent = activities[(spec.group.id, spec.parent_code.lower())] if spec.parent_code else None
        activities[spec.key].parent_id = parent.id if parent else None

    milestones = {
        (m.working_group_id, m.code.lower()): m
        for m in session.scalars(
            sa.select(Milestone).where(Milestone.working_group_id.in_({s.group.id for s in specs}))
        )
    }
    for spec in (s for s in specs if s.type != ACTIVITY):
        progress(1)
        milestone = milestones.get(spec.key)
        if milestone is None:
            milestone = Milestone(
                working_group=spec.group,
                code=spec.code,
                kind=MilestoneKind(spec.type),
                status=spec.status or Status.NOT_REPORTED,
                progress_note=spec.note,
            )
            session.add(milestone)
            milestones[spec.key] = milestone
            new_items.append(milestone)
        parent = activities[(spec.group.id, spec.parent_code.lower())] if spec.parent_code else None
        for name, value in _milestone_fields(spec, parent).items():
            setattr(milestone, name, value)
        apply_timeline(milestone, spec.timeline)
        milestone.recurrence = spec.recurrence
        set_entities(milestone, spec.entities, spec.entities_text)
    session.flush()

    for item in new_items:
        record_creation(session, item, actor)
    for spec in specs:
        item = (activities if spec.type == ACTIVITY else milestones).get(spec.key)
        if item is None or item in new_items:
            continue
        if (spec.status and spec.status != item.status) or (
            spec.note and spec.note != item.progress_note
        ):
            update_progress(session, item, actor, status=spec.status, note=spec.note, today=today)
    session.flush()


def _write_activity(activity: Activity, spec: ItemSpec) -> None:
    fields = _activity_fields(spec, None)
    fields.pop("parent_id")
    for name, value in fields.items():
        setattr(activity, name, value)
    activity.sort_key = code_sort_key(spec.code)
    apply_timeline(activity, spec.timeline)
    activity.recurrence = spec.recurrence
    set_entities(activity, spec.entities, spec.entities_text)
