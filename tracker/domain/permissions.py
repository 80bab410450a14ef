"""Who may do what. Every route, the API, the bot and the CLI ask these functions.

The scope of a coordinator is the working groups they belong to, and it is a boundary: what
reaches beyond those groups (entities, people's names, addresses, entities and roles, new
people, an import that changes the registry) is for administrators, who coordinate every
group. A coordinator adds people to, or removes them from, only the groups they coordinate,
so they cannot widen their own scope or anyone else's.
"""

from __future__ import annotations

from collections.abc import Iterable

from tracker.models import Activity, Milestone, Person, PersonRole, WorkingGroup

#: Roles that coordinate: a coordinator their own working groups, an administrator all.
COORDINATING_ROLES = (PersonRole.COORDINATOR, PersonRole.ADMINISTRATOR)


class PermissionDenied(Exception):
    """The person may not do this; the message says why, in words fit to show them."""


def is_administrator(person: Person | None) -> bool:
    return person is not None and person.active and person.role == PersonRole.ADMINISTRATOR


def is_coordinator(person: Person | None) -> bool:
    """A coordinator of some working group, or an administrator."""
    return person is not None and person.active and person.role in COORDINATING_ROLES


def coordinates(person: Person | None, group: WorkingGroup) -> bool:
    if is_administrator(person):
        return True
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
    if person.role not in (PersonRole.LEAD, *COORDINATING_ROLES):
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


def can_open_manage(person: Person | None) -> bool:
    """The coordinators' pages: the groups one coordinates, the people list, import, export."""
    return is_coordinator(person)


def can_manage_directory(person: Person | None) -> bool:
    """Entities, and people's details (name, address, entity, role, active), and new people:
    they reach into every working group, so administrators only."""
    return is_administrator(person)


def can_change_person(
    person: Person | None,
    *,
    details_changed: bool,
    groups_changed: Iterable[WorkingGroup],
) -> bool:
    """Saving a person: administrators anything; a coordinator only memberships of working
    groups they coordinate (adding someone to, or taking someone off, such a group)."""
    if details_changed:
        return can_manage_directory(person)
    return is_coordinator(person) and all(coordinates(person, g) for g in groups_changed)


def can_create_working_group(person: Person | None) -> bool:
    """Any coordinator; the creator becomes a coordinator of the new group, and of it only."""
    return is_coordinator(person)


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
    """An imported file may change only working groups the person coordinates; changing
    entities and people takes an administrator, as on the pages."""
    if changes_directory and not can_manage_directory(person):
        return False
    if creates_groups and not can_create_working_group(person):
        return False
    return is_coordinator(person) and all(coordinates(person, g) for g in changed_groups)


def is_owner(person: Person | None, owner_id: int) -> bool:
    """Personal things (API tokens, an upload waiting to be applied): only their owner."""
    return person is not None and person.active and person.id == owner_id


def can_manage_outbox(person: Person | None) -> bool:
    """Reading queued e-mail (sign-in and unsubscribe links hidden) and resending failed
    ones: coordinators and administrators."""
    return is_coordinator(person)


def require(allowed: bool, why: str) -> None:
    if not allowed:
        raise PermissionDenied(why)
