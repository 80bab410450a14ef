"""The one item query: what every list, page, feed, API call, command, reminder scan and bot
answer asks `find_items` for, and its one spelling as query-string parameters.

The parameters (`PARAMETERS`) are the same in the item list, the timeline, the feeds, the
API, `tracker items` (as `--working-group`, `--due` ...) and the links the bot and the
dashboard make. Older feed addresses keep working: `text=` is read as `q=`, `overdue=1` as
`due=overdue` and `upcoming=N` as `due=N` (`ALIASES`). A parameter nobody knows is an error
that names it, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from tracker.domain.rules import upcoming_window
from tracker.domain.themes import theme_key
from tracker.models import Status

ItemKind = Literal["activity", "milestone"]
KINDS: tuple[ItemKind, ...] = ("activity", "milestone")

#: The longest "due in the next N days" anyone asks for (ten years).
MAX_UPCOMING_DAYS = 3660

#: Every filter parameter, canonical name -> what it takes.
PARAMETERS: dict[str, str] = {
    "working_group": "a working group's short name (or name)",
    "entity": "an entity's acronym, name or alias",
    "leading": "1: with entity, only what it leads (lead, co-lead or co-organizer)",
    "status": "statuses, repeated or separated by commas: " + ", ".join(s.value for s in Status),
    "q": "words that must all appear in the code, title or description",
    "kind": "activity or milestone",
    "due": f"overdue, or N: open items due in the next N days (1 to {MAX_UPCOMING_DAYS})",
    "due_from": "due on or after this day (ISO date)",
    "due_to": "due on or before this day (ISO date)",
    "open": "1: only items neither completed nor cancelled",
    "theme": "cross-cutting themes, repeated or separated by commas (gender, capacity-building)",
}
#: Names older addresses use -> the parameter they mean.
ALIASES: dict[str, str] = {"text": "q", "overdue": "due", "upcoming": "due"}
#: The paging parameters of lists (`Paging`).
PAGING: dict[str, str] = {"page": "the page, from 1", "per_page": "items per page"}

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


class QueryError(ValueError):
    """Parameters that could not be read; `fields` names each with its problem."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class ItemFilter:
    """The item query: the filters every list, feed, reminder scan and bot answer is built from.

    Relative windows (`overdue`, `upcoming`) are kept relative, so one query serves any day;
    `find_items` reads them with the `today` it is given.
    """

    working_group: str | None = None
    #: Acronym, name or alias.
    entity: str | None = None
    #: With `entity`: only items the entity leads (lead, co-lead or co-organizer).
    leading_only: bool = False
    statuses: frozenset[Status] = frozenset()
    #: Every word must appear in the code, title or description.
    text: str | None = None
    #: Exactly this code (as the workplan numbers it).
    code: str | None = None
    kinds: frozenset[ItemKind] = frozenset(KINDS)
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    #: Open items due from today to so many days ahead (`tracker.domain.rules.upcoming_window`).
    upcoming: int | None = None
    open_only: bool = False
    #: Limit to these item ids (the feed of one item, the items of one person's entities).
    activity_ids: frozenset[int] | None = None
    milestone_ids: frozenset[int] | None = None
    #: Only what concerns this person: everything of their working groups, and everything their
    #: entity takes part in (a person's calendar feed).
    person_id: int | None = None
    #: Cross-cutting theme keys ("gender"): activities tagged with any, their sub-activities,
    #: and their milestones.
    themes: frozenset[str] = frozenset()
    #: Recurring items once each, as their series (calendar feeds carry an RRULE), instead of
    #: their occurrences; with a due window, a series is kept if an occurrence is due in it.
    series: bool = False
    #: Only the milestones and meetings that belong to no activity: the group's own events.
    groups_own: bool = False

    @property
    def windowed(self) -> bool:
        return (
            self.due_from is not None
            or self.due_to is not None
            or self.overdue
            or self.upcoming is not None
        )

    @property
    def depends_on_today(self) -> bool:
        """Whether what it finds can change at midnight with no change to the data."""
        return self.windowed

    def on(self, today: date) -> ItemFilter:
        """The same query with `upcoming` read as dates from `today` (within any dates given)."""
        if self.upcoming is None:
            return self
        start, end = upcoming_window(today, self.upcoming)
        return replace(
            self,
            upcoming=None,
            open_only=True,
            due_from=max(start, self.due_from) if self.due_from else start,
            due_to=min(end, self.due_to) if self.due_to else end,
        )


# --- reading a query string -----------------------------------------------------------------


def _values(args: Mapping[str, Any], name: str) -> list[str]:
    """All values of `name`, from a `MultiDict` or a `dict` of lists (or of strings)."""
    if hasattr(args, "getlist"):
        return [v for v in args.getlist(name)]
    found = args.get(name)
    if found is None:
        return []
    return [found] if isinstance(found, str) else list(found)


def read_flag(args: Mapping[str, Any], name: str) -> bool:
    """A front end's own on/off parameter (`1`, `0`, `yes`, ...); raises `QueryError`."""
    values = _values(args, name)
    value = values[-1].strip().lower() if values else ""
    if value not in _TRUE | _FALSE:
        raise QueryError({name: f"{value!r}: use 1 or 0"})
    return value in _TRUE


def parse_query(args: Mapping[str, Any], *, extra: Iterable[str] = ()) -> ItemFilter:
    """The item query a query string asks for (`request.args`, or a dict of lists).

    `extra` names the front end's own parameters (a list's `page`, a feed's `spans`), which
    are left to it. Raises `QueryError` naming every parameter it could not read, unknown
    ones included.
    """
    errors: dict[str, str] = {}
    known = {*PARAMETERS, *ALIASES, *extra}
    unknown = sorted(name for name in args if name not in known)
    for name in unknown:
        errors[name] = "unknown parameter; the filters are " + ", ".join(PARAMETERS)

    def one(name: str) -> str:
        values = [v.strip() for v in _values(args, name) if v.strip()]
        if len(set(values)) > 1:
            errors[name] = f"give one value, not {len(values)}"
        return values[-1] if values else ""

    def flag(name: str) -> bool:
        value = one(name).lower()
        if value not in _TRUE | _FALSE:
            errors[name] = f"{value!r}: use 1 or 0"
        return value in _TRUE

    def day(name: str) -> date | None:
        value = one(name)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            errors[name] = f"{value!r} is not a date such as 2020-01-31"
            return None

    def words(name: str) -> list[str]:
        return [p.strip() for v in _values(args, name) for p in v.split(",") if p.strip()]

    statuses: set[Status] = set()
    for word in words("status"):
        try:
            statuses.add(Status.parse(word))
        except ValueError as exc:
            errors["status"] = str(exc)
    kinds = set(words("kind"))
    if not kinds <= set(KINDS):
        errors["kind"] = (
            f"unknown kind {', '.join(sorted(kinds - set(KINDS)))}; use activity or milestone"
        )
    text = " ".join(" ".join(_values(args, "q") + _values(args, "text")).split()) or None

    # due=overdue | due=N, or as older addresses say it: overdue=1, upcoming=N
    windows = [w for w in [one("due")] if w]
    if flag("overdue"):
        windows.append("overdue")
    if upcoming_text := one("upcoming"):
        windows.append(upcoming_text)
    overdue, upcoming = False, None
    if len(windows) > 1:
        errors["due"] = f"one window at a time, not {' and '.join(windows)}"
    elif windows == ["overdue"]:
        overdue = True
    elif windows:
        number = windows[0]
        if number.isdigit() and 0 < int(number) <= MAX_UPCOMING_DAYS:
            upcoming = int(number)
        else:
            name = "upcoming" if "upcoming" in args else "due"
            errors[name] = (
                f"{number!r}: use overdue or a number of days from 1 to {MAX_UPCOMING_DAYS}"
            )
    due_from, due_to = day("due_from"), day("due_to")
    if due_from and due_to and due_to < due_from:
        errors["due_to"] = "ends before the start of the window (due_from)"
    flt = ItemFilter(
        working_group=one("working_group") or None,
        entity=one("entity") or None,
        leading_only=flag("leading"),
        statuses=frozenset(statuses),
        text=text,
        kinds=frozenset(kinds) if kinds else frozenset(KINDS),  # type: ignore[arg-type]
        due_from=due_from,
        due_to=due_to,
        overdue=overdue,
        upcoming=upcoming,
        open_only=flag("open"),
        themes=frozenset(theme_key(t) for t in words("theme")),
    )
    if errors:
        raise QueryError(errors)
    return flt


def query_args(flt: ItemFilter, **changes: str | list[str] | None) -> dict[str, str | list[str]]:
    """The query-string parameters of `flt` (with `changes`), in one canonical spelling: for
    links to a list, a feed's address, and telling feeds apart. `parse_query` reads it back."""
    values: dict[str, str | list[str] | None] = {
        "working_group": flt.working_group,
        "entity": flt.entity,
        "leading": "1" if flt.leading_only else None,
        "status": [s.value for s in sorted(flt.statuses)],
        "q": flt.text,
        "kind": sorted(flt.kinds)[0] if len(flt.kinds) == 1 else None,
        "due": "overdue" if flt.overdue else (str(flt.upcoming) if flt.upcoming else None),
        "due_from": flt.due_from.isoformat() if flt.due_from else None,
        "due_to": flt.due_to.isoformat() if flt.due_to else None,
        "open": "1" if flt.open_only else None,
        "theme": sorted(flt.themes),
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v not in (None, "", [])}  # type: ignore[misc]


def query_pairs(flt: ItemFilter) -> list[tuple[str, str]]:
    """`query_args` as (name, value) pairs, for `urlencode`."""
    return [
        (name, v)
        for name, value in query_args(flt).items()
        for v in ([value] if isinstance(value, str) else value)
    ]


@dataclass(frozen=True)
class Paging:
    """Which page of a list: `page` from 1, `per_page` items each."""

    page: int = 1
    per_page: int = 100

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @classmethod
    def parse(cls, args: Mapping[str, Any], *, default: int, most: int) -> Paging:
        """`page` and `per_page` from a query string; raises `QueryError` naming a bad one."""
        errors: dict[str, str] = {}

        def number(name: str, fallback: int, highest: int) -> int:
            values = _values(args, name)
            text = values[-1].strip() if values else ""
            if not text:
                return fallback
            if not text.isdigit() or not 1 <= int(text) <= highest:
                errors[name] = f"{text!r}: a whole number from 1 to {highest}"
                return fallback
            return int(text)

        paging = cls(number("page", 1, 100_000), number("per_page", default, most))
        if errors:
            raise QueryError(errors)
        return paging
