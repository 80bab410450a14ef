"""Feed addresses, the page that hands them out, and single-item downloads."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.http import http_date

from tracker.auth import current_person, login_required
from tracker.clock import today
from tracker.domain.entities import EntityDirectory, UnknownName, resolve_working_group
from tracker.domain.items import ItemFilter, find_items
from tracker.domain.permissions import can_edit_workplan, can_read
from tracker.extensions import commit_in_passing, db
from tracker.feeds import bp
from tracker.feeds.bodies import FeedVersion, StillBuilding, StoredBody, feed_body, stored_body
from tracker.feeds.models import FeedToken
from tracker.feeds.polls import poll_state
from tracker.feeds.services import (
    Feed,
    FeedOptionError,
    FeedOptions,
    TokenError,
    Validators,
    address_of,
    create_token,
    entity_feed,
    feed_key,
    feed_path,
    feed_url,
    find_token,
    group_feed,
    note_use,
    person_feed,
    programme_feed,
    render,
    revoke_token,
    rotate_token,
    tokens_of,
    validators,
    webcal,
)
from tracker.ical.calendar import build_calendar
from tracker.links import grants_access
from tracker.models import Entity, Person, WorkingGroup, read_content_state, utcnow

CALENDAR_TYPE = "text/calendar; charset=utf-8"
#: Where the page finds a token it may show once, after it was made or rotated.
FRESH_TOKEN = "feeds.fresh_token"
NO_OPTIONS = FeedOptions()


def _plain(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _not_modified(found: Validators) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; otherwise If-Modified-Since,
    unless it cannot be read or lies in the future."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(found.etag)
    since = request.if_modified_since
    if since is None or since > utcnow():
        return False
    return found.last_modified.replace(microsecond=0) <= since


def _validators(options: FeedOptions, state: tuple[int, datetime]) -> Validators:
    config = current_app.config
    return validators(
        address_of(request.path, options),
        state,
        base_url=config["BASE_URL"],
        today=options.dated_by(today()),
        zone=config["TIMEZONE"],
    )


@functools.lru_cache(maxsize=1024)
def _headers(etag: str, last_modified: datetime, public: bool) -> tuple[tuple[str, str], ...]:
    """Kept per process: every poll of an unchanged feed sends the same."""
    return (
        ("ETag", f'"{etag}"'),
        ("Last-Modified", http_date(last_modified)),
        # a private address is a secret: no shared cache may keep it
        ("Cache-Control", "public, no-cache" if public else "private, no-cache"),
        # the body is sent gzip-compressed to clients that accept it
        ("Vary", "Accept-Encoding"),
    )


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _body_response(stored: StoredBody, public: bool) -> Response:
    """The stored body, as it is kept (gzip) to clients that accept it, plain to the rest;
    304 if it is the previous version the client already has (a build is under way)."""
    headers = _headers(stored.etag, stored.last_modified, public)
    if request.if_none_match.contains_weak(stored.etag):
        return Response(status=304, headers=headers)
    if _accepts_gzip():
        response = Response(stored.gzipped, headers=headers, content_type=CALENDAR_TYPE)
        response.headers["Content-Encoding"] = "gzip"
        return response
    return Response(stored.plain(), headers=headers, content_type=CALENDAR_TYPE)


def _serve(
    token: str | None, make: Callable[[Person | None, FeedOptions], Feed], *, public: bool = False
) -> Response:
    """The feed as text/calendar whatever the client accepts (gzip-compressed if it accepts
    that), or 304 if it has it already. The body is built once per version (`feed_body`).

    The 304 of a poll comes from `poll_state` before `make` checks the address's names: an
    ETag is only handed out with a feed, and any change to names moves the content state on.
    """
    try:
        options = (
            FeedOptions.from_query(request.args.to_dict(flat=False))
            if request.query_string
            else NO_OPTIONS  # nearly every address: spare a poll the parsing
        )
    except FeedOptionError as exc:
        return _plain(str(exc), 400)
    if request.if_none_match or request.if_modified_since:
        polled = poll_state(token)
        if polled is not None and _not_modified(found := _validators(options, polled)):
            return Response(status=304, headers=_headers(found.etag, found.last_modified, public))
    state = read_content_state(db.session)  # before what it vouches for is read
    row = find_token(db.session, token) if token is not None else None
    if token is not None:
        if row is None or not can_read(row.person):
            return _plain("No such calendar feed.", 404)
        if note_use(row, utcnow()):
            commit_in_passing(db.session, f"use of feed token {row.id}")
    found = _validators(options, state)
    if _not_modified(found):
        return Response(status=304, headers=_headers(found.etag, found.last_modified, public))
    bind = db.session.get_bind()
    # a body is stored only for an address whose names were good at its version (a change of
    # names moves the version on), so it is served before the names are checked again
    if (stored := stored_body(bind, found.etag)) is not None:
        return _body_response(stored, public)
    try:
        feed = make(row.person if row else None, options)
        feed.options.check_names(db.session)
    except (FeedOptionError, UnknownName) as exc:
        return _plain(str(exc), 400)
    base_url, day = current_app.config["BASE_URL"], today()
    wanted = FeedVersion(
        etag=found.etag,
        feed_key=feed_key(address_of(request.path, options), base_url),
        version=state[0],
        last_modified=found.last_modified,
    )
    try:
        stored = feed_body(
            bind,
            wanted,
            lambda: render(db.session, feed, base_url=base_url, today=day),
            wait=current_app.config["FEED_BUILD_WAIT"],
            # a session bound to one connection (the tests') builds in the request
            app=current_app._get_current_object() if isinstance(bind, sa.Engine) else None,  # type: ignore[attr-defined]
        )
    except StillBuilding:
        response = _plain("The calendar is being built; try again in a moment.", 503)
        response.headers["Retry-After"] = "30"
        return response
    return _body_response(stored, public)


def _group(name: str) -> WorkingGroup:
    try:
        return resolve_working_group(db.session, name)
    except UnknownName as exc:
        abort(_plain(str(exc), 404))


def _entity(name: str) -> Entity:
    entity = EntityDirectory.load(db.session).find(name)
    if entity is None:
        abort(_plain(f"No entity {name!r}.", 404))
    return entity


def _public_group(name: str) -> WorkingGroup:
    """The same 404 for a private group as for none, naming no other."""
    try:
        group = resolve_working_group(db.session, name)
    except UnknownName:
        group = None
    if group is None or not group.feed_public:
        abort(_plain("No such calendar feed.", 404))
    return group


# --- feeds ----------------------------------------------------------------------------------


@bp.get("/calendar/<token>.ics")
@grants_access
def person_calendar(token: str) -> Response:
    """Everything of the person's working groups and everything their entity takes part in."""
    return _serve(token, lambda person, options: person_feed(_person(person), options))


@bp.get("/calendar/<token>/all.ics")
@grants_access
def programme_calendar(token: str) -> Response:
    return _serve(token, lambda _person, options: programme_feed(options))


@bp.get("/calendar/<token>/working-groups/<path:name>.ics")
@grants_access
def group_calendar(token: str, name: str) -> Response:
    return _serve(token, lambda _person, options: group_feed(_group(name), options))


@bp.get("/calendar/<token>/entities/<path:name>.ics")
@grants_access
def entity_calendar(token: str, name: str) -> Response:
    return _serve(token, lambda _person, options: entity_feed(_entity(name), options))


@bp.get("/calendar/public/working-groups/<path:name>.ics")
def public_group_calendar(name: str) -> Response:
    return _serve(
        None, lambda _person, options: group_feed(_public_group(name), options), public=True
    )


def _person(person: Person | None) -> Person:
    assert person is not None  # a token's feed: `_serve` found its owner
    return person


# --- single items ---------------------------------------------------------------------------


def _download(flt: ItemFilter) -> Response:
    found = find_items(db.session, flt, today()).items
    if not found:
        abort(404)
    item = found[0]
    body = build_calendar(
        found, name=f"{item.working_group} {item.code}", base_url=current_app.config["BASE_URL"]
    )
    if b"BEGIN:VEVENT" not in body:
        return _plain(f"{item.working_group} {item.code} has no date to put in a calendar.", 404)
    filename = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{item.working_group}-{item.code}").strip("-")
    return Response(
        body,
        content_type=CALENDAR_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.ics"'},
    )


@bp.get("/activities/<int:item_id>.ics")
@login_required
def activity_download(item_id: int) -> Response:
    return _download(
        ItemFilter(kinds=frozenset({"activity"}), activity_ids=frozenset({item_id}), series=True)
    )


@bp.get("/milestones/<int:item_id>.ics")
@login_required
def milestone_download(item_id: int) -> Response:
    return _download(
        ItemFilter(kinds=frozenset({"milestone"}), milestone_ids=frozenset({item_id}), series=True)
    )


# --- the page -------------------------------------------------------------------------------


def _addresses(person: Person, token: str, options: FeedOptions) -> list[dict[str, str]]:
    """Every feed address a fresh token opens for its owner, as the page lists them."""
    base = current_app.config["BASE_URL"]
    found: list[tuple[str, str, FeedOptions | None]] = [
        ("Everything of your working groups and your entity", feed_path(token), None)
    ]
    found += [
        (f"{g.short_name}: {g.name}", feed_path(token, "working-groups", g.short_name), None)
        for g in person.working_groups
    ]
    if person.entity is not None:
        found.append(
            (
                f"Everything {person.entity.acronym} takes part in",
                feed_path(token, "entities", person.entity.acronym),
                None,
            )
        )
    if options.query():
        found.append((f"This list: {options.label()}", feed_path(token, "all"), options))
    return [
        {"label": label, "url": (url := feed_url(base, path, opts)), "webcal": webcal(url)}
        for label, path, opts in found
    ]


def _back(query: str = "") -> Any:
    return redirect(url_for("feeds.index") + (f"?{query}" if query else ""))


@bp.get("/calendar/")
@login_required
def index() -> str:
    person = current_person()
    assert person is not None
    try:
        options = FeedOptions.from_query(request.args.to_dict(flat=False))
    except FeedOptionError as exc:
        flash(f"The list's filters could not be carried over: {exc}", "error")
        options = FeedOptions()
    fresh = session.pop(FRESH_TOKEN, None)
    tokens = tokens_of(db.session, person)
    fresh_row = next((t for t in tokens if fresh and t.id == fresh["id"]), None)
    groups = db.session.scalars(sa.select(WorkingGroup).order_by(WorkingGroup.short_name)).all()
    base = current_app.config["BASE_URL"]
    public = [
        {
            "group": group,
            "url": (url := feed_url(base, feed_path(None, name=group.short_name))),
            "webcal": webcal(url),
        }
        for group in groups
        if group.feed_public
    ]
    return render_template(
        "feeds/index.html",
        person=person,
        tokens=tokens,
        fresh=fresh_row,
        addresses=_addresses(person, fresh["token"], options) if fresh_row and fresh else [],
        options=options,
        query=request.query_string.decode(),
        public=public,
        coordinated=[g for g in groups if can_edit_workplan(person, g)],
        scheme=base.split("://", 1)[0],
    )


def _own_token(token_id: int) -> FeedToken:
    row = db.session.get(FeedToken, token_id)
    if row is None:
        abort(404)
    person = current_person()
    if person is None or row.person_id != person.id:
        abort(403)  # only its owner manages a device's address, as with API tokens
    return row


@bp.post("/calendar/tokens")
@login_required
def create() -> Any:
    person = current_person()
    assert person is not None
    query = request.form.get("query", "")
    try:
        row, token = create_token(db.session, person, request.form.get("name", ""))
    except TokenError as exc:
        flash(str(exc), "error")
        return _back(query)
    db.session.commit()
    session[FRESH_TOKEN] = {"id": row.id, "token": token}
    flash(f"New address for {row.name!r}: copy it now, it is shown only this once.", "success")
    return _back(query)


@bp.post("/calendar/tokens/<int:token_id>/rotate")
@login_required
def rotate(token_id: int) -> Any:
    row = _own_token(token_id)
    token = rotate_token(row)
    db.session.commit()
    session[FRESH_TOKEN] = {"id": row.id, "token": token}
    flash(f"{row.name!r} has a new address; the old one no longer works.", "success")
    return _back(request.form.get("query", ""))


@bp.post("/calendar/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Any:
    row = _own_token(token_id)
    name = row.name
    revoke_token(db.session, row)
    db.session.commit()
    flash(f"The address {name!r} no longer works.", "success")
    return _back(request.form.get("query", ""))


@bp.post("/calendar/working-groups/<path:name>/public")
@login_required
def publish(name: str) -> Any:
    group = _group(name)
    if not can_edit_workplan(current_person(), group):
        abort(403)
    group.feed_public = request.form.get("public") == "1"
    db.session.commit()
    state = "public: anyone with its address can read it" if group.feed_public else "private"
    flash(f"The {group.short_name} feed is {state}.", "success")
    return _back()
