"""A digest as an e-mail: plain text and HTML from templates, and the items as an .ics file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any

from flask import current_app, render_template

from tracker.domain.items import Item
from tracker.feeds.calendar import build_calendar
from tracker.links import item_url
from tracker.reminders.preferences import external_url, unsubscribe_token
from tracker.reminders.scan import Digest, Reminder

#: The digest's sections, in order: (key, heading).
SECTIONS = [
    ("overdue", "Overdue"),
    ("today", "Due today"),
    ("week", "Due this week"),
    ("later", "Coming up"),
]


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

    @property
    def count(self) -> int:
        return sum(len(g.entries) for g in self.groups)


def sections(digest: Digest, base_url: str) -> list[Section]:
    """Overdue first, then due today, this week and later; in each, by working group."""
    by_section: dict[str, list[Reminder]] = {key: [] for key, _ in SECTIONS}
    for reminder in digest.reminders:
        by_section[section_of(reminder, digest.today)].append(reminder)
    found = []
    for key, heading in SECTIONS:
        ordered = sorted(
            by_section[key],
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
        if groups:
            found.append(Section(key, heading, groups))
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
    counts = {s.key: s.count for s in found}
    parts = [
        f"{counts['overdue']} overdue" if counts.get("overdue") else "",
        f"{counts['today']} due today" if counts.get("today") else "",
        f"{counts['week']} due this week" if counts.get("week") else "",
        f"{counts['later']} coming up" if counts.get("later") else "",
    ]
    return f"Workplan reminders, {today:%-d %B %Y}: " + ", ".join(p for p in parts if p)


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
    items = [r.item for r in digest.reminders]
    calendar = build_calendar(
        items, name=f"Workplan reminders {digest.today:%Y-%m-%d}", base_url=base_url
    )
    return {
        "recipient": digest.recipient.email,
        "subject": subject(found, digest.today),
        "text_body": render_template("reminders/digest.txt", **context),
        "html_body": render_template("reminders/digest.html", **context),
        "attachments": [
            {
                "filename": f"reminders-{digest.today:%Y-%m-%d}.ics",
                "content_type": "text/calendar",
                "content": calendar.decode("utf-8"),
            }
        ],
        "headers": {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    }
