"""Addresses of the tracker's pages in links that leave the web app: mail, calendars, chat.

Built from `TRACKER_BASE_URL` as plain strings, as the routes in `tracker/main/routes.py` spell
them: a digest or a feed carries thousands of these, and outside a request there is no host
for `url_for` to build from.
"""

from __future__ import annotations

from tracker.domain.items import Item


def item_url(item: Item, base_url: str) -> str:
    """The activity's or milestone's page."""
    path = "activities" if item.kind == "activity" else "milestones"
    return f"{base_url.rstrip('/')}/{path}/{item.id}"
