"""An item as every front end shows it: an activity or milestone, or one occurrence of a
recurring one, with the rules it answers (`is_overdue`, `is_upcoming` ...) asked of
`tracker.domain.rules`, and the order of every list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from tracker.domain import rules
from tracker.domain.query import ItemFilter, ItemKind
from tracker.domain.rules import UPCOMING_DAYS
from tracker.models import (
    EntityRole,
    MilestoneKind,
    Status,
)
from tracker.timeline import Precision, format_date, format_span


@dataclass(frozen=True)
class Item:
    """An activity or milestone as every front end shows it; an occurrence of a recurring one
    carries that occurrence's dates."""

    kind: ItemKind
    id: int
    uid: str
    code: str
    title: str
    description: str
    working_group: str
    working_group_name: str
    status: Status
    due: date | None
    start: date | None
    end: date | None
    start_precision: Precision | None
    end_precision: Precision | None
    ongoing: bool
    #: As written: an activity's timeline or a milestone's date.
    timeline_text: str
    #: Acronyms of the entities that lead it.
    leads: tuple[str, ...]
    #: (acronym, role) of every entity named on it.
    entities: tuple[tuple[str, EntityRole], ...]
    parent_code: str | None
    recurrence: str | None
    version: int
    updated_at: datetime
    milestone_kind: MilestoneKind | None = None
    location: str = ""
    start_time: time | None = None
    end_time: time | None = None
    timezone: str | None = None
    #: True for one occurrence of a recurring item.
    occurrence: bool = False
    #: Where `leads` come from when the item names none itself (a milestone): "activity 37",
    #: "working group EGMS"; None when they are its own.
    leads_from: str | None = None
    working_group_id: int = 0
    #: The code as lists order it: an activity's `sort_key` ("3.2" before "3.10").
    sort_code: str = ""

    @property
    def due_precision(self) -> Precision | None:
        if self.kind == "milestone" and self.milestone_kind == MilestoneKind.MEETING:
            return self.start_precision
        return self.end_precision

    @property
    def due_text(self) -> str:
        """The due date as a person writes it: "June 2020", "20 January 2020"."""
        if self.due is None:
            return "no date"
        return format_date(self.due, self.due_precision)

    @property
    def when(self) -> str:
        """The whole span as a person writes it: "20-21 January 2020"."""
        return format_span(
            self.start, self.end, self.start_precision, self.end_precision, ongoing=self.ongoing
        )

    @property
    def is_open(self) -> bool:
        return rules.is_open(self.status)

    def is_overdue(self, today: date) -> bool:
        return rules.is_overdue(self.status, self.recurrence, self.due, today)

    def is_upcoming(self, today: date, days: int = UPCOMING_DAYS) -> bool:
        return rules.is_upcoming(self.status, self.due, today, days)

    def awaiting_report(self, today: date) -> bool:
        return rules.awaits_report(
            self.status,
            self.milestone_kind if self.kind == "milestone" else None,
            self.recurrence,
            self.end or self.start,
            today,
        )


@dataclass
class ItemPage:
    items: list[Item]
    #: How many items match in all, of which `items` holds the first `limit`.
    total: int
    filter: ItemFilter = field(default_factory=ItemFilter)


def list_order(item: Item) -> tuple[bool, date, int, str, str, int]:
    """The order of every list, soonest due first, undated last; `_order` in SQL."""
    return (
        item.due is None,
        item.due or date.max,
        item.working_group_id,
        item.sort_code,
        item.kind,
        item.id,
    )
