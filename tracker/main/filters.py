"""The list filters as query-string parameters, shared by the pages and the JSON API, so a
filtered list is a URL one can share."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from tracker.domain.items import ItemFilter, ItemKind
from tracker.models import Status

#: The due windows offered beside explicit dates: name -> label.
DUE_WINDOWS = {
    "overdue": "Overdue",
    "7": "Due in the next 7 days",
    "30": "Due in the next 30 days",
    "90": "Due in the next 90 days",
}
KINDS: dict[str, str] = {"activity": "Activities", "milestone": "Milestones"}


@dataclass
class ListQuery:
    """Filters read from a query string; `errors` names each parameter that could not be read."""

    working_group: str = ""
    entity: str = ""
    leading: bool = False
    statuses: list[Status] = field(default_factory=list)
    text: str = ""
    kind: str = ""
    due: str = ""
    due_from: date | None = None
    due_to: date | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> ListQuery:
        query = cls(
            working_group=args.get("working_group", "").strip(),
            entity=args.get("entity", "").strip(),
            leading=args.get("leading", "") in ("1", "true", "on", "yes"),
            text=args.get("q", "").strip(),
        )
        for raw in args.getlist("status"):
            for part in raw.split(","):
                if not part.strip():
                    continue
                try:
                    query.statuses.append(Status.parse(part))
                except ValueError as exc:
                    query.errors["status"] = str(exc)
        kind = args.get("kind", "").strip()
        if kind and kind not in KINDS:
            query.errors["kind"] = f"unknown kind {kind!r}; use activity or milestone"
        else:
            query.kind = kind
        due = args.get("due", "").strip()
        if due and due not in DUE_WINDOWS:
            query.errors["due"] = f"unknown due window {due!r}; use one of {', '.join(DUE_WINDOWS)}"
        else:
            query.due = due
        for name in ("due_from", "due_to"):
            value = args.get(name, "").strip()
            if value:
                try:
                    setattr(query, name, date.fromisoformat(value))
                except ValueError:
                    query.errors[name] = f"{value!r} is not a date such as 2020-01-31"
        if query.due_from and query.due_to and query.due_to < query.due_from:
            query.errors["due_to"] = "ends before the start of the window"
        return query

    def item_filter(self, today: date) -> ItemFilter:
        kinds: frozenset[ItemKind] = (
            frozenset({self.kind}) if self.kind else frozenset({"activity", "milestone"})  # type: ignore[arg-type]
        )
        flt = ItemFilter(
            working_group=self.working_group or None,
            entity=self.entity or None,
            leading_only=self.leading and bool(self.entity),
            statuses=frozenset(self.statuses),
            text=self.text or None,
            kinds=kinds,
            due_from=self.due_from,
            due_to=self.due_to,
        )
        if self.due == "overdue":
            return replace(flt, overdue=True)
        if self.due:
            return replace(
                flt, due_from=today, due_to=today + timedelta(days=int(self.due)), open_only=True
            )
        return flt

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this list (with `changes`), for links that keep the filters."""
        values: dict[str, Any] = {
            "working_group": self.working_group,
            "entity": self.entity,
            "leading": "1" if self.leading else "",
            "status": [s.value for s in self.statuses],
            "q": self.text,
            "kind": self.kind,
            "due": self.due,
            "due_from": self.due_from.isoformat() if self.due_from else "",
            "due_to": self.due_to.isoformat() if self.due_to else "",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", [], None)}

    @property
    def active(self) -> bool:
        return bool(self.args())
