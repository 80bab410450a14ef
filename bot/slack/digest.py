"""The optional weekly digest: to each working group with a Slack channel, what is overdue and
what is due in the next 30 days.

The scheduler runs `weekly_digest_job(app)` (say on Mondays at 08:00); `tracker bot digest`
runs it by hand. A digest is posted at most once per working group and ISO week: the key is
claimed in the same transaction that is committed only once Slack has taken the message, so a
second run that week, or a run catching up after downtime, posts nothing twice, and a failed
post is tried again by the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.app import web_client
from bot.slack.blocks import digest_blocks, escape, item_list_blocks
from bot.slack.once import claim
from tracker.clock import today as current_day
from tracker.domain.entities import resolve_working_group
from tracker.domain.items import ItemFilter, find_items
from tracker.domain.rules import UPCOMING_DAYS
from tracker.extensions import db
from tracker.models import WorkingGroup

logger = logging.getLogger(__name__)

#: Items per list in a digest; the rest are a link away.
DIGEST_ITEMS = 5


@dataclass(frozen=True)
class Digest:
    working_group: str
    channel: str
    #: "posted", "already posted this week", "would post" (dry run) or the Slack error.
    outcome: str
    text: str = ""


def weekly_digest_job(flask_app: Flask) -> list[Digest]:
    """The scheduler's job: this week's digest for every working group with a channel."""
    with flask_app.app_context():
        return post_weekly_digests(current_day())


def digest_key(short_name: str, day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"digest:{short_name}:{year}-W{week:02d}"


def post_weekly_digests(
    today: date,
    *,
    working_group: str | None = None,
    dry_run: bool = False,
    client: WebClient | None = None,
) -> list[Digest]:
    query = sa.select(WorkingGroup).where(WorkingGroup.slack_channel.is_not(None))
    if working_group:
        query = query.where(WorkingGroup.id == resolve_working_group(db.session, working_group).id)
    groups = db.session.scalars(query.order_by(WorkingGroup.short_name)).all()
    if groups and not dry_run and client is None:
        # channels set but no token is a mistake worth failing for, every week
        client = web_client(current_app._get_current_object())  # type: ignore[attr-defined]
    return [_post(group, today, dry_run, client) for group in groups if group.slack_channel]


def compose(group: WorkingGroup, today: date, base_url: str) -> tuple[str, list[dict]]:
    """The digest's fallback text and its blocks."""
    scope = ItemFilter(working_group=group.short_name)
    late = find_items(db.session, replace(scope, overdue=True), today, limit=DIGEST_ITEMS)
    coming = find_items(
        db.session,
        replace(scope, upcoming=UPCOMING_DAYS),
        today,
        limit=DIGEST_ITEMS,
    )
    name = group.short_name
    sections = [
        *item_list_blocks("Overdue", late, f"overdue in {name}", base_url, today, menu=False),
        *item_list_blocks(
            f"Due in the next {UPCOMING_DAYS} days",
            coming,
            f"due in the next {UPCOMING_DAYS} days in {name}",
            base_url,
            today,
            menu=False,
        ),
    ]
    monday = today - timedelta(days=today.weekday())
    text = (
        f"Weekly digest for {name}: {late.total} overdue, "
        f"{coming.total} due in the next {UPCOMING_DAYS} days."
    )
    return text, digest_blocks(name, group.name, sections, monday, base_url)


def _post(group: WorkingGroup, today: date, dry_run: bool, client: WebClient | None) -> Digest:
    channel = group.slack_channel or ""
    text, blocks = compose(group, today, current_app.config["BASE_URL"])
    if dry_run:
        return Digest(group.short_name, channel, "would post", text)
    assert client is not None
    if not claim(db.session, digest_key(group.short_name, today)):
        db.session.rollback()
        return Digest(group.short_name, channel, "already posted this week", text)
    try:
        client.chat_postMessage(
            channel=channel, text=escape(text), blocks=blocks, unfurl_links=False
        )
    except SlackApiError as exc:
        db.session.rollback()  # the key goes too: the next run tries again
        error = str(exc.response.get("error") or exc)
        logger.warning("weekly digest for %s not posted: %s", group.short_name, error)
        return Digest(group.short_name, channel, f"not posted: {error}", text)
    db.session.commit()
    return Digest(group.short_name, channel, "posted", text)
