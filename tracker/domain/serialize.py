"""An item as JSON: the one serializer of the API, `tracker items --json` and the bot's answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.domain.item import Item
from tracker.links import item_url

#: The short form the bot's answers and `tracker items --json` give (README, "The chat bot").
BRIEF = ("kind", "code", "title", "working_group", "due", "status", "leads", "url")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def item_json(
    item: Item, *, base_url: str, today: date, fields: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Every field of an item (the API's), or only `fields` of them, in that order."""
    full: dict[str, Any] = {
        "kind": item.kind,
        "id": item.id,
        "uid": item.uid,
        "code": item.code,
        "title": item.title,
        "working_group": item.working_group,
        "status": item.status.value,
        "due": _iso(item.due),
        "due_text": item.due_text,
        "start": _iso(item.start),
        "end": _iso(item.end),
        "when": item.when,
        "timeline_text": item.timeline_text,
        "ongoing": item.ongoing,
        "recurrence": item.recurrence,
        "occurrence": item.occurrence,
        "leads": list(item.leads),
        "leads_inherited_from": item.leads_from,
        "entities": [{"entity": acronym, "role": role.value} for acronym, role in item.entities],
        "parent_code": item.parent_code,
        "milestone_kind": item.milestone_kind.value if item.milestone_kind else None,
        "location": item.location or None,
        "version": item.version,
        "updated_at": item.updated_at.isoformat(),
        "overdue": item.is_overdue(today),
        "url": item_url(item, base_url),
    }
    return full if fields is None else {name: full[name] for name in fields}
