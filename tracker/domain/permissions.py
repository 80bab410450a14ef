"""Who may do what. Every route, the API, the bot and the CLI ask these functions."""

from __future__ import annotations

from collections.abc import Iterable

from tracker.models import Activity, Milestone, Person, PersonRole, WorkingGroup


class PermissionDenied(Exception):
    """The person may not do this; the message says why, in words fit to show them."""


def coordinates(person: Person | None, group: WorkingGroup) -> bool:
    return (
        person is not None
        and person.active
        and person.role == PersonRole.COORDINATOR
        and any(g.id == group.id for g in person.working_groups)
    )


def leads(person: Person | None, item: Activity | Milestone) -> bool:
    """The person's entity leads the item (lead, co-lead or co-organizer)."""
    if person is None or not person.active or person.entity_id is None:
        return False
    if person.role not in (PersonRole.LEAD, PersonRole.COORDINATOR):
        return False
    return any(entity.id == person.entity_id for entity in item.lead_entities)


def can_read(person: Person | None) -> bool:
    return person is not None and person.active


def can_update_progress(person: Person | None, item: Activity | Milestone) -> bool:
    """Coordinators of the item's working group, and leads of an entity that leads it."""
    return coordinates(person, item.working_group) or leads(person, item)


def can_edit_workplan(person: Person | None, group: WorkingGroup) -> bool:
    """Adding and editing activities, milestones and the group itself."""
    return coordinates(person, group)


def can_manage_directory(person: Person | None) -> bool:
    """People and entities: any active coordinator."""
    return person is not None and person.active and person.role == PersonRole.COORDINATOR


def can_create_working_group(person: Person | None) -> bool:
    """Any coordinator; the creator becomes a coordinator of the new group."""
    return can_manage_directory(person)


def can_export(person: Person | None, group: WorkingGroup) -> bool:
    """The workplan file of a group, in the import format: its coordinators."""
    return coordinates(person, group)


def can_import(
    person: Person | None,
    changed_groups: Iterable[WorkingGroup],
    *,
    creates_groups: bool,
    changes_directory: bool,
) -> bool:
    """An imported file may change only working groups the person coordinates; creating
    groups or changing entities and people takes a coordinator, as on the pages."""
    if (creates_groups or changes_directory) and not can_manage_directory(person):
        return False
    return can_manage_directory(person) and all(coordinates(person, g) for g in changed_groups)


def is_owner(person: Person | None, owner_id: int) -> bool:
    """Personal things (API tokens, an upload waiting to be applied): only their owner."""
    return person is not None and person.active and person.id == owner_id


def can_manage_outbox(person: Person | None) -> bool:
    """Reading every queued e-mail and resending failed ones: any active coordinator."""
    return person is not None and person.active and person.role == PersonRole.COORDINATOR


def require(allowed: bool, why: str) -> None:
    if not allowed:
        raise PermissionDenied(why)
