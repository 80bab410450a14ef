"""Finding entities by acronym, name or alias, and reading a workplan's entities column."""

from __future__ import annotations

import contextlib
import difflib
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.models import (
    Activity,
    ActivityEntity,
    Entity,
    EntityRole,
    Milestone,
    MilestoneEntity,
    WorkingGroup,
    name_key,
)


class UnknownName(ValueError):
    """A name that matches no entity or working group; the message offers close matches."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.name = name
        self.suggestions = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


@dataclass
class EntityDirectory:
    """Every entity under each of its names, loaded in two queries."""

    by_key: dict[str, Entity]
    acronyms: list[str]

    @classmethod
    def load(cls, session: so.Session) -> EntityDirectory:
        entities = session.scalars(sa.select(Entity).options(so.selectinload(Entity.aliases))).all()
        by_key: dict[str, Entity] = {}
        for entity in entities:
            by_key[name_key(entity.acronym)] = entity
            by_key.setdefault(name_key(entity.name), entity)
            for alias in entity.aliases:
                by_key.setdefault(alias.alias_key, entity)
        return cls(by_key, sorted(e.acronym for e in entities))

    def find(self, name: str) -> Entity | None:
        key = name_key(name)
        return self.by_key.get(key) or self.by_key.get(key.removeprefix("the "))

    def resolve(self, name: str) -> Entity:
        entity = self.find(name)
        if entity is None:
            raise UnknownName("entity", name.strip(), self.acronyms)
        return entity


def resolve_working_group(session: so.Session, name: str) -> WorkingGroup:
    """A working group by its short name or its full name, in any case."""
    key = name_key(name)
    found = session.scalars(
        sa.select(WorkingGroup).where(
            sa.or_(
                sa.func.lower(WorkingGroup.short_name) == key,
                sa.func.lower(WorkingGroup.name) == key,
            )
        )
    ).first()
    if found is None:
        known = session.scalars(sa.select(WorkingGroup.short_name)).all()
        raise UnknownName("working group", name.strip(), list(known))
    return found


_ROLE_SUFFIX = re.compile(r"\(\s*as\s+(?P<role>[a-z\- ]+?)s?\s*\)\s*$", re.IGNORECASE)
_ROLE_WORDS = {
    "lead": EntityRole.LEAD,
    "leader": EntityRole.LEAD,
    "co-lead": EntityRole.CO_LEAD,
    "colead": EntityRole.CO_LEAD,
    "co-organizer": EntityRole.CO_ORGANIZER,
    "co-organiser": EntityRole.CO_ORGANIZER,
    "coorganizer": EntityRole.CO_ORGANIZER,
    "organizer": EntityRole.CO_ORGANIZER,
    "partner": EntityRole.PARTNER,
    "member": EntityRole.MEMBER,
}


def parse_entities_text(text: str, directory: EntityDirectory) -> list[tuple[Entity, EntityRole]]:
    """Read an entities column as workplans write it.

    "ILO (World Bank)": ILO leads, the World Bank partners. "IOM, UN DESA (OECD) (as
    co-organizers); IFAD, ILO (as partners)": each group takes the role its suffix names.
    Parentheses naming no entity, such as "(UN Expert Group on Migration Statistics)", are
    commentary. An unknown name raises `UnknownName`.
    """
    found: dict[int, tuple[Entity, EntityRole]] = {}
    for group in text.split(";"):
        role: EntityRole | None = None
        suffix = _ROLE_SUFFIX.search(group)
        if suffix:
            word = suffix.group("role").strip().lower()
            role = _ROLE_WORDS.get(word)
            if role is None:
                raise ValueError(f"unknown role {word!r} in {group.strip()!r}")
            group = group[: suffix.start()]
        for inner in re.findall(r"\(([^()]*)\)", group):
            names = [n.strip() for n in inner.split(",") if n.strip()]
            entities = [directory.find(n) for n in names]
            if not any(entities):
                continue  # commentary
            for name, entity in zip(names, entities, strict=True):
                if entity is None:
                    directory.resolve(name)  # raises with suggestions
                else:
                    found.setdefault(entity.id, (entity, role or EntityRole.PARTNER))
        outside = re.sub(r"\([^()]*\)", ",", group)
        if "(" in outside or ")" in outside:
            raise ValueError(f"unbalanced parenthesis in {group.strip()!r}")
        for name in outside.split(","):
            if name.strip():
                entity = directory.resolve(name)
                found.setdefault(entity.id, (entity, role or EntityRole.LEAD))
    return list(found.values())


_ROLE_PLURALS = {
    EntityRole.CO_LEAD: "co-leads",
    EntityRole.CO_ORGANIZER: "co-organizers",
    EntityRole.PARTNER: "partners",
    EntityRole.MEMBER: "members",
}


def format_entities(pairs: list[tuple[Entity, EntityRole]]) -> str:
    """Entities in the column's own syntax, for activities created outside a workplan file."""
    by_role: dict[EntityRole, list[str]] = {}
    for entity, role in pairs:
        by_role.setdefault(role, []).append(entity.acronym)
    groups = []
    if EntityRole.LEAD in by_role:
        groups.append(", ".join(sorted(by_role[EntityRole.LEAD])))
    for role, word in _ROLE_PLURALS.items():
        if role in by_role:
            groups.append(f"{', '.join(sorted(by_role[role]))} (as {word})")
    return "; ".join(groups)


def set_entities(
    item: Activity | Milestone, pairs: list[tuple[Entity, EntityRole]], text: str | None = None
) -> None:
    """Make the item's entities exactly `pairs`, keeping link rows that stay (a milestone's
    own: with none it takes its activity's or its group's).

    `text` is the entities column as written; without it, the column is written from the pairs
    so that an export reads back to the same entities.
    """
    item.entities_text = format_entities(pairs) if text is None else text
    link_type = ActivityEntity if isinstance(item, Activity) else MilestoneEntity
    session = so.object_session(item)
    # loading the links must not flush the edit half-made: one edit, one new version
    with session.no_autoflush if session is not None else contextlib.nullcontext():
        wanted = {entity.id: (entity, role) for entity, role in pairs}
        links: list[Any] = item.entity_links
        for link in list(links):
            entity_id = link.entity_id if link.entity_id is not None else link.entity.id
            if entity_id not in wanted:
                links.remove(link)
            else:
                link.role = wanted.pop(entity_id)[1]
        for entity, role in wanted.values():
            links.append(link_type(entity=entity, role=role))
