"""Addresses of the tracker's pages in links that leave the web app: mail, calendars, chat.

Built from `TRACKER_BASE_URL` as plain strings, as the routes in `tracker/main/routes.py` spell
them: a digest or a feed carries thousands of these, and outside a request there is no host
for `url_for` to build from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException

from tracker.domain.item import Item

F = TypeVar("F", bound=Callable[..., Any])


def item_url(item: Item, base_url: str) -> str:
    """The activity's or milestone's page."""
    path = "activities" if item.kind == "activity" else "milestones"
    return f"{base_url.rstrip('/')}/{path}/{item.id}"


def grants_access(view: F) -> F:
    """Marks a route whose address is itself the key (a sign-in link, an unsubscribe link, a
    personal feed): whoever holds the address may act, so the tracker shows it to no one but
    the person it was sent to (`is_key_address`; the outbox hides such links)."""
    view.grants_access = True  # type: ignore[attr-defined]
    return view


def is_key_address(app: Flask, url: str) -> bool:
    """Whether `url` opens a route marked with `grants_access`, whatever host it names."""
    path = urlsplit(url).path
    prefix = urlsplit(app.config["BASE_URL"]).path.rstrip("/")
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    try:
        endpoint, _ = app.url_map.bind("tracker.invalid").match(path, method="GET")
    except (HTTPException, RoutingException):  # not found, another method, a redirect
        return False
    return bool(getattr(app.view_functions.get(endpoint), "grants_access", False))
