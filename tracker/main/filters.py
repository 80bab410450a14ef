"""The filter form of the list and timeline pages: the domain's item query
(`tracker.domain.query`), shown as the form's fields and errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from tracker.domain.query import ItemFilter, QueryError, parse_query, query_args

#: The due windows the form offers beside explicit dates: value -> label.
DUE_WINDOWS = {
    "overdue": "Overdue",
    "7": "Due in the next 7 days",
    "30": "Due in the next 30 days",
    "90": "Due in the next 90 days",
}
KINDS: dict[str, str] = {"activity": "Activities", "milestone": "Milestones"}


@dataclass
class ListQuery:
    """A list's query as the form shows it: read by `parse_query`; `errors` names each
    parameter that could not be read, and the fields then show what was typed."""

    filter: ItemFilter = field(default_factory=ItemFilter)
    #: Parameter -> value as the form shows it.
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: MultiDict[str, str], *, extra: Iterable[str] = ()) -> ListQuery:
        try:
            flt = parse_query(args, extra=extra)
        except QueryError as exc:
            typed = {name: args.getlist(name) for name in args}
            values = {k: v if k == "status" else (v[-1] if v else "") for k, v in typed.items()}
            return cls(ItemFilter(), values, dict(exc.fields))
        return cls(flt, query_args(flt))

    def value(self, name: str) -> Any:
        return self.values.get(name, [] if name == "status" else "")

    @property
    def leading(self) -> bool:
        return self.value("leading") not in ("", "0")

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this list (with `changes`), for links that keep the filters."""
        return query_args(self.filter, **changes)

    @property
    def active(self) -> bool:
        return bool(self.args())
