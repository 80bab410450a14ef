"""A digest as an e-mail: plain text and HTML from templates, and the items as an .ics file.

A section lists at most `LISTED_PER_SECTION` items: a programme with years of overdue items
gives a lead thousands, which nobody reads and which made the digest megabytes (mostly its
calendar). The rest are counted and linked (the tracker's list of all of them); they are
claimed like the listed ones, as their reminder is that count and link.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from typing import Any

from flask import current_app, render_template

from tracker.domain.item import Item
from tracker.ical.calendar import build_calendar
from tracker.links import item_url
from tracker.models import CLOSED_STATUSES, Status
from tracker.reminders.preferences import external_url, unsubscribe_token
from tracker.reminders.scan import Digest, Reminder

#: The digest's sections, in order: (key, heading).
SECTIONS = [
    ("overdue", "Overdue"),
    ("today", "Due today"),
    ("week", "Due this week"),
    ("later", "Coming up"),
]
#: The items a section lists; the overdue ones most recently due, the others soonest due.
LISTED_PER_SECTION = 50
#: The `status` filter of a list of what is still open.
OPEN_STATUSES = ",".join(s.value for s in Status if s not in CLOSED_STATUSES)


def section_of(reminder: Reminder, today: date) -> str:
    days_left = (reminder.due - today).days
    if days_left < 0:
        return "overdue"
    if days_left == 0:
        return "today"
    return "week" if days_left <= 7 else "later"


def how_soon(due: date, today: date) -> str:
    days = (due - today).days
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    if days > 1:
        return f"due in {days} days"
    return "1 day overdue" if days == -1 else f"{-days} days overdue"


@dataclass(frozen=True)
class Entry:
    item: Item
    kind: str
    due_text: str
    how_soon: str
    url: str


@dataclass(frozen=True)
class Group:
    short_name: str
    name: str
    entries: list[Entry]


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    groups: list[Group]
    #: How many reminders the section holds, listed or not.
    total: int
    #: When some are not listed: (entity acronym, its list of them all in the tracker).
    lists: list[tuple[str, str]]

    @property
    def listed(self) -> int:
        return sum(len(g.entries) for g in self.groups)

    @property
    def excerpt(self) -> str:
        """What the list is, when it is not all of the section."""
        if self.listed == self.total:
            return ""
        which = "most recently overdue" if self.key == "overdue" else "soonest due"
        return f"The {self.listed} {which} of {self.total:,}:"


def _first_listed(key: str, reminders: list[Reminder]) -> list[Reminder]:
    """What a section lists: the freshly overdue are news, the long overdue were noticed before."""
    overdue = key == "overdue"
    return sorted(reminders, key=lambda r: r.due, reverse=overdue)[:LISTED_PER_SECTION]


def _list_args(key: str, reminders: list[Reminder], today: date) -> dict[str, str]:
    """The list page's filter showing all of a section's items (and the open ones due with them)."""
    if key == "overdue":
        return {"due": "overdue"}
    first = {"today": 0, "week": 1, "later": 8}[key]
    last = max(r.due for r in reminders)
    return {
        "due_from": (today + timedelta(days=first)).isoformat(),
        "due_to": last.isoformat(),
        "status": OPEN_STATUSES,
    }


def sections(digest: Digest, base_url: str) -> list[Section]:
    """Overdue first, then due today, this week and later; in each, by working group."""
    by_section: dict[str, list[Reminder]] = {key: [] for key, _ in SECTIONS}
    for reminder in digest.reminders:
        by_section[section_of(reminder, digest.today)].append(reminder)
    found = []
    for key, heading in SECTIONS:
        listed = _first_listed(key, by_section[key])
        ordered = sorted(
            listed,
            key=lambda r: (r.item.working_group, r.due, r.item.code, r.item.kind),
        )
        groups = [
            Group(
                short_name,
                members[0].item.working_group_name,
                [_entry(r, digest.today, base_url) for r in members],
            )
            for short_name, members in (
                (name, list(rs))
                for name, rs in groupby(ordered, key=lambda r: r.item.working_group)
            )
        ]
        if not groups:
            continue
        lists = []
        if len(listed) < len(by_section[key]):
            args = _list_args(key, by_section[key], digest.today)
            lists = [
                (entity, external_url("main.items", entity=entity, leading="1", **args))
                for entity in digest.entities
            ]
        found.append(Section(key, heading, groups, len(by_section[key]), lists))
    return found


def _entry(reminder: Reminder, today: date, base_url: str) -> Entry:
    item = reminder.item
    due_text = item.due_text
    exact = f"{item.due:%-d %B %Y}"
    if due_text != exact:
        due_text = f"{due_text} ({exact})"
    kind = item.milestone_kind.value if item.milestone_kind else item.kind
    return Entry(item, kind, due_text, how_soon(reminder.due, today), item_url(item, base_url))


def subject(found: list[Section], today: date) -> str:
    counts = {s.key: s.total for s in found}
    parts = [
        f"{counts['overdue']:,} overdue" if counts.get("overdue") else "",
        f"{counts['today']:,} due today" if counts.get("today") else "",
        f"{counts['week']:,} due this week" if counts.get("week") else "",
        f"{counts['later']:,} coming up" if counts.get("later") else "",
    ]
    return f"Workplan reminders, {today:%-d %B %Y}: " + ", ".join(p for p in parts if p)


@functools.lru_cache(maxsize=16)
def _calendar(items: tuple[Item, ...], name: str, base_url: str) -> str:
    """Built once for the digests that list the same items (an entity's contact address and
    its lead, often): the calendar is most of a digest's cost. Items are values, so an item
    changed since is another key."""
    return build_calendar(items, name=name, base_url=base_url).decode("utf-8")


def compose(digest: Digest) -> dict[str, Any]:
    """The `mail.queue` fields of a digest."""
    base_url = current_app.config["BASE_URL"]
    found = sections(digest, base_url)
    unsubscribe = external_url(
        "reminders.unsubscribe", token=unsubscribe_token(digest.recipient.key)
    )
    context = {
        "digest": digest,
        "sections": found,
        "today": digest.today,
        "unsubscribe_url": unsubscribe,
        "preferences_url": external_url("reminders.preferences"),
        "is_person": digest.recipient.person_id is not None,
    }
    listed = tuple(e.item for section in found for group in section.groups for e in group.entries)
    calendar = _calendar(listed, f"Workplan reminders {digest.today:%Y-%m-%d}", base_url)
    return {
        "recipient": digest.recipient.email,
        "subject": subject(found, digest.today),
        "text_body": render_template("reminders/digest.txt", **context),
        "html_body": render_template("reminders/digest.html", **context),
        "attachments": [
            {
                "filename": f"reminders-{digest.today:%Y-%m-%d}.ics",
                "content_type": "text/calendar",
                "content": calendar,
            }
        ],
        "headers": {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    }
