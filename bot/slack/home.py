"""The App Home tab: the items the person's entity leads that are overdue or due in 30 days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import current_app
from slack_sdk import WebClient

from bot.slack.blocks import home_view, item_list_blocks
from bot.slack.people import NOT_MATCHED, identify
from tracker.clock import today as current_day
from tracker.domain.items import ItemFilter, find_items
from tracker.domain.rules import UPCOMING_DAYS
from tracker.extensions import db
from tracker.models import Person
from tracker.timeline import format_date

#: Items per list on the tab; the rest are a link away.
HOME_ITEMS = 10


def home(person: Person | None, today: date, base_url: str) -> dict:
    """The tab's view for a person (or for a Slack user the tracker does not know)."""
    if person is None:
        return home_view([], NOT_MATCHED, base_url)
    if person.entity is None:
        intro = (
            f"{person.name} is not linked to an entity in the tracker, so no items are theirs to "
            "lead; a coordinator can link them."
        )
        return home_view([], intro, base_url)
    acronym = person.entity.acronym
    leading = ItemFilter(entity=acronym, leading_only=True)
    late = find_items(db.session, replace(leading, overdue=True), today, limit=HOME_ITEMS)
    coming = find_items(
        db.session,
        replace(leading, upcoming=UPCOMING_DAYS),
        today,
        limit=HOME_ITEMS,
    )
    sections = [
        *item_list_blocks(
            "Overdue",
            late,
            f"overdue items that {acronym} leads",
            base_url,
            today,
            menu=True,
        ),
        *item_list_blocks(
            f"Due in the next {UPCOMING_DAYS} days",
            coming,
            f"items {acronym} leads due in the next {UPCOMING_DAYS} days",
            base_url,
            today,
            menu=True,
        ),
    ]
    intro = f"{person.name} · items {acronym} leads · today is {format_date(today)}"
    return home_view(sections, intro, base_url)


def publish_home(client: WebClient, slack_user_id: str) -> None:
    person = identify(client, slack_user_id)
    view = home(person, current_day(), current_app.config["BASE_URL"])
    client.views_publish(user_id=slack_user_id, view=view)
