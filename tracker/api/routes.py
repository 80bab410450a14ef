"""Lists and items as JSON with the pages' filters, and progress updates with a bearer token.

Only bearer tokens are accepted, never the session cookie: requests from a browser page on
another site can then do nothing, and the API needs no CSRF token.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask import abort, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from tracker.api import bp
from tracker.api.openapi import spec
from tracker.auth import current_person
from tracker.auth.secrets import person_for_token
from tracker.clock import today
from tracker.domain.entities import UnknownName
from tracker.domain.item import Item
from tracker.domain.items import ItemFilter, find_items
from tracker.domain.permissions import PermissionDenied, can_read, can_update_progress, require
from tracker.domain.query import PAGING, ItemKind, Paging, QueryError, parse_query
from tracker.domain.serialize import item_json
from tracker.domain.status import Actor, EditConflict, InvalidUpdate, update_progress
from tracker.extensions import commit_in_passing, db
from tracker.models import Activity, Milestone, Status, StatusChange
from tracker.web import error_response

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 100


class BadRequest(Exception):
    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


@bp.errorhandler(BadRequest)
def bad_request(exc: BadRequest) -> ResponseReturnValue:
    body: dict[str, Any] = {"status": 400, "message": str(exc)}
    if exc.fields:
        body["fields"] = exc.fields
    return jsonify({"error": body}), 400


@bp.errorhandler(EditConflict)
def conflict(exc: EditConflict) -> ResponseReturnValue:
    return error_response(409, str(exc))


@bp.before_request
def authenticate() -> ResponseReturnValue | None:
    if request.endpoint == "api.openapi":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    person = person_for_token(db.session, token.strip()) if scheme.lower() == "bearer" else None
    if person is None:
        abort(401)
    commit_in_passing(db.session, "the API token's last use")
    g.person = person
    return None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _item_json(item: Item) -> dict[str, Any]:
    return item_json(item, base_url=current_app.config["BASE_URL"], today=today())


def _history_json(entries: list[StatusChange]) -> list[dict[str, Any]]:
    return [
        {
            "changed_at": e.changed_at.isoformat(),
            "actor": e.actor,
            "source": e.source,
            "from_status": e.from_status.value if e.from_status else None,
            "to_status": e.to_status.value,
            "note": e.note,
            "details": e.details,
        }
        for e in entries
    ]


def _list(kind: ItemKind | None) -> ResponseReturnValue:
    require(can_read(current_person()), "sign in first")
    try:
        query = parse_query(request.args, extra=PAGING)
        paging = Paging.parse(request.args, default=DEFAULT_PER_PAGE, most=MAX_PER_PAGE)
    except QueryError as exc:
        raise BadRequest("some parameters could not be read", exc.fields) from None
    if kind:
        query = replace(query, kinds=frozenset({kind}))
    try:
        found = find_items(db.session, query, today(), limit=paging.per_page, offset=paging.offset)
    except UnknownName as exc:
        raise BadRequest(str(exc)) from None
    return jsonify(
        {
            "total": found.total,
            "page": paging.page,
            "per_page": paging.per_page,
            "items": [_item_json(i) for i in found.items],
        }
    )


@bp.route("/items")
def items() -> ResponseReturnValue:
    return _list(None)


@bp.route("/activities")
def activities() -> ResponseReturnValue:
    return _list("activity")


@bp.route("/milestones")
def milestones() -> ResponseReturnValue:
    return _list("milestone")


def _one(model: type[Activity] | type[Milestone], item_id: int) -> dict[str, Any]:
    require(can_read(current_person()), "sign in first")
    row = db.session.get(model, item_id)
    if row is None:
        abort(404)
    ids = frozenset({item_id})
    flt = (
        ItemFilter(kinds=frozenset({"activity"}), activity_ids=ids)
        if model is Activity
        else ItemFilter(kinds=frozenset({"milestone"}), milestone_ids=ids)
    )
    page = find_items(db.session, flt, today())
    body = _item_json(page.items[0]) if page.items else {}
    body.update(
        {
            "description": row.description,
            "progress_note": row.progress_note,
            "history": _history_json(row.history),
            "may_update": can_update_progress(current_person(), row),
        }
    )
    if isinstance(row, Activity):
        body["actual_start"] = _iso(row.actual_start)
        body["actual_end"] = _iso(row.actual_end)
        body["children"] = [{"id": c.id, "code": c.code, "title": c.title} for c in row.children]
        body["milestones"] = [
            {"id": m.id, "code": m.code, "title": m.title} for m in row.milestones
        ]
    else:
        body["completed_on"] = _iso(row.completed_on)
        body["activity_id"] = row.activity_id
    return body


@bp.route("/activities/<int:activity_id>")
def activity(activity_id: int) -> ResponseReturnValue:
    return jsonify(_one(Activity, activity_id))


@bp.route("/milestones/<int:milestone_id>")
def milestone(milestone_id: int) -> ResponseReturnValue:
    return jsonify(_one(Milestone, milestone_id))


def _date(body: dict[str, Any], name: str, errors: dict[str, str]) -> Any:
    if name not in body:
        return ...
    value = body[name]
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = f"{value!r} is not a date such as 2020-01-31"
        return ...


def _update(model: type[Activity] | type[Milestone], item_id: int) -> ResponseReturnValue:
    person = current_person()
    row = db.session.get(model, item_id)
    if row is None:
        abort(404)
    if not can_update_progress(person, row):
        raise PermissionDenied(
            f"only the leads of {row.code} and the coordinators of "
            f"{row.working_group.short_name} update its progress"
        )
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("send a JSON object, with Content-Type: application/json")
    errors: dict[str, str] = {}
    allowed = {"status", "note", "version"} | (
        {"actual_start", "actual_end"} if model is Activity else {"completed_on"}
    )
    for name in body.keys() - allowed:
        errors[name] = f"unknown field; use {', '.join(sorted(allowed))}"
    status = None
    if body.get("status") is not None:
        try:
            status = Status.parse(str(body["status"]))
        except ValueError as exc:
            errors["status"] = str(exc)
    note = body.get("note") or ""
    if not isinstance(note, str):
        errors["note"] = "must be text"
        note = ""
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        errors["version"] = "required: the item's version as you read it (an integer)"
    dates = {
        name: value
        for name in allowed & {"actual_start", "actual_end", "completed_on"}
        if (value := _date(body, name, errors)) is not ...
    }
    if errors:
        raise BadRequest("the update could not be read; nothing was saved", errors)
    assert person is not None
    try:
        entry = update_progress(
            db.session,
            row,
            Actor.of(person, "api"),
            status=status,
            note=note,
            expected_version=version,
            today=today(),
            **dates,
        )
    except InvalidUpdate as exc:
        raise BadRequest("the update could not be saved; nothing was saved", exc.fields) from None
    db.session.commit()
    result = _one(model, item_id)
    result["changed"] = entry is not None
    return jsonify(result)


@bp.route("/activities/<int:activity_id>/progress", methods=["POST"])
def update_activity(activity_id: int) -> ResponseReturnValue:
    return _update(Activity, activity_id)


@bp.route("/milestones/<int:milestone_id>/progress", methods=["POST"])
def update_milestone(milestone_id: int) -> ResponseReturnValue:
    return _update(Milestone, milestone_id)


@bp.route("/me")
def me() -> ResponseReturnValue:
    person = current_person()
    assert person is not None
    return jsonify(
        {
            "name": person.name,
            "email": person.email,
            "role": person.role.value,
            "entity": person.entity.acronym if person.entity else None,
            "working_groups": [wg.short_name for wg in person.working_groups],
        }
    )


@bp.route("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(spec(request.host_url.rstrip("/") + bp.url_prefix))
