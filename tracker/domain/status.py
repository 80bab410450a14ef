"""Progress updates: status, note and actual dates, each one recorded in the item's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.domain.permissions import PermissionDenied, can_update_progress
from tracker.models import Activity, Milestone, Person, Status, StatusChange, WorkingGroup

_UNSET: Any = object()

#: Where a change came from, as recorded in the history.
SOURCES = ("web", "api", "slack", "cli", "import")
#: The longest progress note an update keeps.
MAX_NOTE = 5000


class EditConflict(Exception):
    """Someone else changed the item since it was read; nothing was saved."""


class InvalidUpdate(ValueError):
    """An update that cannot be saved; `fields` names each problem. Nothing was saved.

    Every front end shows these as they are (a form beside its fields, the API as `fields`),
    so what an update may be is decided here, once."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in fields.items()))
        self.fields = fields


def check_update(
    item: Activity | Milestone,
    *,
    note: str = "",
    actual_start: date | None = _UNSET,
    actual_end: date | None = _UNSET,
) -> dict[str, str]:
    """What is wrong with an update of `item`, by field (the dates it would have once saved)."""
    problems: dict[str, str] = {}
    if len(note.strip()) > MAX_NOTE:
        problems["note"] = f"at most {MAX_NOTE} characters, not {len(note.strip())}"
    elif "\x00" in note:  # no column takes one (`TextRefused`); said here, beside its field
        problems["note"] = "holds a NUL character"
    if isinstance(item, Activity):
        start = item.actual_start if actual_start is _UNSET else actual_start
        end = item.actual_end if actual_end is _UNSET else actual_end
        if start and end and end < start:
            problems["actual_end"] = f"the end is before the start ({start.isoformat()})"
    return problems


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in person, or a trusted process such as an import."""

    person: Person | None
    label: str
    source: str

    @classmethod
    def of(cls, person: Person, source: str) -> Actor:
        return cls(person, person.name, source)

    @classmethod
    def system(cls, label: str, source: str) -> Actor:
        return cls(None, label, source)


def update_progress(
    session: so.Session,
    item: Activity | Milestone,
    actor: Actor,
    *,
    status: Status | None = None,
    note: str = "",
    actual_start: date | None = _UNSET,
    actual_end: date | None = _UNSET,
    completed_on: date | None = _UNSET,
    expected_version: int | None = None,
    today: date | None = None,
    context: dict[str, Any] | None = None,
) -> StatusChange | None:
    """Apply a progress update and record it; returns the history entry, or None if nothing changed.

    A person must be allowed to update the item (`can_update_progress`); a system actor (an
    import, an operator at the CLI) is trusted. `expected_version` is the version the editor
    saw: if the item changed since, `EditConflict` is raised and nothing is saved. An update
    `check_update` finds wrong raises `InvalidUpdate`, and nothing is saved either.
    `context` is kept in the entry's details beside the changed fields, e.g. the reporting
    round an update answers.
    """
    if actor.source not in SOURCES:
        raise ValueError(f"unknown source {actor.source!r}")
    if actor.person is not None and not can_update_progress(actor.person, item):
        raise PermissionDenied(
            f"{actor.person.name} does not lead {item.code} and does not coordinate "
            f"{item.working_group.short_name}"
        )
    if expected_version is not None and expected_version != item.version:
        raise EditConflict(
            f"{item.working_group.short_name} {item.code} was changed by someone else "
            "since you opened it"
        )
    problems = check_update(item, note=note, actual_start=actual_start, actual_end=actual_end)
    if problems:
        raise InvalidUpdate(problems)
    details: dict[str, list[str | None]] = {}

    def track(field: str, new: date | None) -> None:
        if new is _UNSET:
            return
        old = getattr(item, field)
        if old != new:
            details[field] = [old.isoformat() if old else None, new.isoformat() if new else None]
            setattr(item, field, new)

    if isinstance(item, Activity):
        track("actual_start", actual_start)
        track("actual_end", actual_end)
    else:
        if status == Status.COMPLETED and completed_on is _UNSET and item.completed_on is None:
            completed_on = today or date.today()
        track("completed_on", completed_on)

    new_status = status or item.status
    if new_status == item.status and not details and not note.strip():
        return None
    entry = _entry(
        item, actor, item.status, new_status, note.strip(), {**details, **(context or {})}
    )
    item.status = new_status
    if note.strip():
        item.progress_note = note.strip()
    session.add(entry)
    label = f"{item.working_group.short_name} {item.code}"
    try:
        session.flush()
    except so.exc.StaleDataError:
        session.rollback()
        raise EditConflict(f"{label} was changed by someone else at the same moment") from None
    return entry


def record_creation(session: so.Session, item: Activity | Milestone, actor: Actor) -> None:
    """The first history entry of a new item: the status it was created with."""
    session.add(_entry(item, actor, None, item.status, "created", {}))


def _entry(
    item: Activity | Milestone,
    actor: Actor,
    from_status: Status | None,
    to_status: Status,
    note: str,
    details: dict[str, Any],
) -> StatusChange:
    """A history entry, attached from its own side: no need to load the item's whole history."""
    return StatusChange(
        activity=item if isinstance(item, Activity) else None,
        milestone=item if isinstance(item, Milestone) else None,
        person=actor.person,
        actor=actor.label,
        source=actor.source,
        from_status=from_status,
        to_status=to_status,
        note=note,
        details=details,
    )


def recent_changes(
    session: so.Session, *, limit: int = 10, working_group: WorkingGroup | None = None
) -> list[StatusChange]:
    """The latest progress updates, newest first; the entries that created items are left out."""
    query = (
        sa.select(StatusChange)
        .where(StatusChange.from_status.is_not(None))
        .options(
            so.joinedload(StatusChange.activity).joinedload(Activity.working_group),
            so.joinedload(StatusChange.milestone).joinedload(Milestone.working_group),
        )
        .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())
        .limit(limit)
    )
    if working_group is not None:
        query = query.where(
            sa.or_(
                StatusChange.activity.has(Activity.working_group_id == working_group.id),
                StatusChange.milestone.has(Milestone.working_group_id == working_group.id),
            )
        )
    return list(session.scalars(query))
