"""The registry file: entities, working groups and people, as a small TOML file.

Keyed on acronym, short name and e-mail, so importing it twice changes nothing. Changes are
written into the session and described; the caller commits, or rolls back for a dry run.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
import tomli_w

from tracker.exchange.files import ImportFailed, RowError
from tracker.models import (
    Entity,
    EntityAlias,
    GroupRole,
    Person,
    PersonRole,
    WorkingGroup,
    WorkingGroupEntity,
    name_key,
    parse_lead_days,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SECTIONS = ("entities", "working_groups", "people")


class _Reader:
    """Typed access to one table of the file, collecting errors that name table and field."""

    def __init__(self, file: str, section: str, index: int, table: Any, errors: list[RowError]):
        self.file, self.where, self.table, self.errors = file, f"{section}[{index}]", table, errors
        if not isinstance(table, dict):
            self.fail(None, "must be a table")
            self.table = {}

    def fail(self, field: str | None, message: str) -> None:
        self.errors.append(RowError(self.file, self.where, field, message))

    def text(self, field: str, required: bool = False) -> str:
        value = self.table.get(field, "")
        if not isinstance(value, str):
            self.fail(field, "must be text")
            return ""
        if required and not value.strip():
            self.fail(field, "is required")
        return value.strip()

    def texts(self, field: str) -> list[str]:
        value = self.table.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(field, "must be a list of text")
            return []
        return [v.strip() for v in value if v.strip()]

    def email(self, field: str, required: bool = False) -> str | None:
        value = self.text(field, required)
        if value and not _EMAIL.match(value):
            self.fail(field, f"{value!r} is not an e-mail address")
        return value or None

    def check_fields(self, allowed: tuple[str, ...]) -> None:
        for key in self.table:
            if key not in allowed:
                self.fail(key, f"unknown field; expected some of: {', '.join(allowed)}")


def load_registry(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportFailed([RowError(path.name, "file", None, f"not valid TOML ({exc})")]) from None
    unknown = [k for k in data if k not in SECTIONS]
    if unknown:
        raise ImportFailed(
            [
                RowError(path.name, "file", k, "unknown section; expected " + ", ".join(SECTIONS))
                for k in unknown
            ]
        )
    return data


def apply_registry(session: so.Session, path: Path) -> list[str]:
    """Bring entities, groups and people in line with the file; returns what changed, in words."""
    data = load_registry(path)
    file = path.name
    errors: list[RowError] = []
    changes: list[str] = []

    entities = {
        name_key(e.acronym): e
        for e in session.scalars(sa.select(Entity).options(so.selectinload(Entity.aliases)))
    }
    for i, table in enumerate(data.get("entities", []), start=1):
        r = _Reader(file, "entities", i, table, errors)
        r.check_fields(("acronym", "name", "aliases", "contact_email"))
        acronym, name = r.text("acronym", True), r.text("name", True)
        contact, aliases = r.email("contact_email"), r.texts("aliases")
        if not acronym or not name:
            continue
        entity = entities.get(name_key(acronym))
        if entity is None:
            entity = Entity(acronym=acronym, name=name, contact_email=contact)
            session.add(entity)
            entities[name_key(acronym)] = entity
            changes.append(f"create entity {acronym}")
        elif (entity.name, entity.contact_email, sorted(a.alias for a in entity.aliases)) != (
            name,
            contact,
            sorted(aliases),
        ):
            entity.name, entity.contact_email = name, contact
            changes.append(f"update entity {acronym}")
        _set_aliases(entity, aliases)
    _check_names_unique(file, entities, errors)

    groups = {
        g.short_name.lower(): g
        for g in session.scalars(
            sa.select(WorkingGroup).options(so.selectinload(WorkingGroup.entity_links))
        )
    }
    for i, table in enumerate(data.get("working_groups", []), start=1):
        r = _Reader(file, "working_groups", i, table, errors)
        r.check_fields(
            (
                "short_name",
                "name",
                "description",
                "objectives",
                "leads",
                "members",
                "contact_email",
                "reminder_lead_days",
                "overdue_horizon_days",
                "feed_public",
                "slack_channel",
            )
        )
        short, name = r.text("short_name", True), r.text("name", True)
        fields: dict[str, Any] = {
            "name": name,
            "description": r.text("description"),
            "objectives": "\n".join(r.texts("objectives")),
            "contact_email": r.email("contact_email"),
            "slack_channel": r.text("slack_channel") or None,
            "feed_public": bool(table.get("feed_public", False))
            if isinstance(table, dict)
            else False,
        }
        lead_days = (
            table.get("reminder_lead_days", [30, 7, 1, 0]) if isinstance(table, dict) else []
        )
        try:
            fields["reminder_lead_days"] = ",".join(
                str(d) for d in parse_lead_days(",".join(str(d) for d in lead_days))
            )
        except ValueError as exc:
            r.fail("reminder_lead_days", str(exc))
        horizon = table.get("overdue_horizon_days", 60) if isinstance(table, dict) else 60
        if isinstance(horizon, int) and not isinstance(horizon, bool) and 0 <= horizon <= 3660:
            fields["overdue_horizon_days"] = horizon
        else:
            r.fail(
                "overdue_horizon_days", f"must be a number of days from 0 to 3660, not {horizon!r}"
            )
        links: dict[int, tuple[Entity, GroupRole]] = {}
        for role, field in ((GroupRole.LEAD, "leads"), (GroupRole.MEMBER, "members")):
            for acronym in r.texts(field):
                entity = entities.get(name_key(acronym))
                if entity is None:
                    r.fail(field, f"unknown entity {acronym!r}; list it under [[entities]]")
                else:
                    links.setdefault(id(entity), (entity, role))
        if not short or not name:
            continue
        group = groups.get(short.lower())
        if group is None:
            group = WorkingGroup(short_name=short)
            session.add(group)
            groups[short.lower()] = group
            changes.append(f"create working group {short}")
        elif any(getattr(group, k) != v for k, v in fields.items()):
            changes.append(f"update working group {short}")
        for key, value in fields.items():
            setattr(group, key, value)
        if _set_group_entities(group, list(links.values())):
            changes.append(f"update working group {short} (entities)")

    people = {
        p.email.lower(): p
        for p in session.scalars(sa.select(Person).options(so.selectinload(Person.working_groups)))
    }
    for i, table in enumerate(data.get("people", []), start=1):
        r = _Reader(file, "people", i, table, errors)
        r.check_fields(("name", "email", "entity", "role", "working_groups"))
        name, email = r.text("name", True), r.email("email", True)
        entity_name = r.text("entity")
        entity = entities.get(name_key(entity_name)) if entity_name else None
        if entity_name and entity is None:
            r.fail("entity", f"unknown entity {entity_name!r}")
        role_text = r.text("role") or "member"
        try:
            role = PersonRole(role_text)
        except ValueError:
            r.fail(
                "role",
                f"unknown role {role_text!r}; use administrator, coordinator, lead or member",
            )
            continue
        member_of = []
        for short in r.texts("working_groups"):
            if short.lower() in groups:
                member_of.append(groups[short.lower()])
            else:
                r.fail("working_groups", f"unknown working group {short!r}")
        if not name or not email:
            continue
        person = people.get(email.lower())
        if person is None:
            person = Person(email=email)
            session.add(person)
            people[email.lower()] = person
            changes.append(f"create person {email}")
        elif (
            person.name,
            person.entity,
            person.role,
            [g.short_name for g in person.working_groups],
        ) != (name, entity, role, sorted(g.short_name for g in member_of)):
            changes.append(f"update person {email}")
        person.name, person.entity, person.role = name, entity, role
        if {g.short_name for g in person.working_groups} != {g.short_name for g in member_of}:
            person.working_groups = member_of

    if errors:
        raise ImportFailed(errors)
    session.flush()
    return changes


def _set_aliases(entity: Entity, aliases: list[str]) -> None:
    """Keep alias rows that stay: replacing them all would collide on the unique key."""
    wanted = {name_key(a): a for a in aliases}
    for alias in list(entity.aliases):
        if wanted.pop(alias.alias_key, None) is None:
            entity.aliases.remove(alias)
    entity.aliases.extend(EntityAlias(alias=a, alias_key=k) for k, a in wanted.items())


def _set_group_entities(group: WorkingGroup, links: list[tuple[Entity, GroupRole]]) -> bool:
    """Make the group's entities exactly `links`; returns whether anything changed."""
    wanted = {id(entity): (entity, role) for entity, role in links}
    changed = False
    for link in list(group.entity_links):
        match = wanted.pop(id(link.entity), None)
        if match is None:
            group.entity_links.remove(link)
            changed = True
        elif link.role != match[1]:
            link.role = match[1]
            changed = True
    for entity, role in wanted.values():
        group.entity_links.append(WorkingGroupEntity(entity=entity, role=role))
        changed = True
    return changed


def _check_names_unique(file: str, entities: dict[str, Entity], errors: list[RowError]) -> None:
    """An acronym, name or alias must name one entity only, or lookups would be a coin toss."""
    owner: dict[str, str] = {}
    for entity in entities.values():
        keys = {name_key(entity.acronym), name_key(entity.name)} | {
            name_key(a.alias) for a in entity.aliases
        }
        for key in keys:
            if owner.setdefault(key, entity.acronym) != entity.acronym:
                errors.append(
                    RowError(
                        file,
                        "entities",
                        "aliases",
                        f"{key!r} names both {owner[key]} and {entity.acronym}",
                    )
                )


def export_registry(session: so.Session, path: Path) -> None:
    """Write the registry back in the format `apply_registry` reads."""
    entities = session.scalars(
        sa.select(Entity).options(so.selectinload(Entity.aliases)).order_by(Entity.acronym)
    ).all()
    groups = session.scalars(
        sa.select(WorkingGroup)
        .options(so.selectinload(WorkingGroup.entity_links).joinedload(WorkingGroupEntity.entity))
        .order_by(WorkingGroup.short_name)
    ).all()
    people = session.scalars(
        sa.select(Person)
        .options(so.selectinload(Person.working_groups), so.joinedload(Person.entity))
        .order_by(Person.email)
    ).all()

    def entity_table(e: Entity) -> dict[str, Any]:
        table: dict[str, Any] = {"acronym": e.acronym, "name": e.name}
        if e.aliases:
            table["aliases"] = [a.alias for a in e.aliases]
        if e.contact_email:
            table["contact_email"] = e.contact_email
        return table

    def group_table(g: WorkingGroup) -> dict[str, Any]:
        table: dict[str, Any] = {"short_name": g.short_name, "name": g.name}
        if g.description:
            table["description"] = g.description
        if g.objectives:
            table["objectives"] = g.objective_list
        table["leads"] = [e.acronym for e in g.lead_entities]
        table["members"] = [e.acronym for e in g.member_entities]
        if g.contact_email:
            table["contact_email"] = g.contact_email
        table["reminder_lead_days"] = g.lead_days
        table["overdue_horizon_days"] = g.overdue_horizon_days
        if g.feed_public:
            table["feed_public"] = True
        if g.slack_channel:
            table["slack_channel"] = g.slack_channel
        return table

    def person_table(p: Person) -> dict[str, Any]:
        table: dict[str, Any] = {"name": p.name, "email": p.email, "role": p.role.value}
        if p.entity:
            table["entity"] = p.entity.acronym
        if p.working_groups:
            table["working_groups"] = [g.short_name for g in p.working_groups]
        return table

    document = {
        "entities": [entity_table(e) for e in entities],
        "working_groups": [group_table(g) for g in groups],
        "people": [person_table(p) for p in people],
    }
    path.write_text(tomli_w.dumps(document, multiline_strings=True), encoding="utf-8")
