"""What every page shares: security headers, error pages (JSON under /api/), template helpers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from tracker.auth import current_person
from tracker.domain import permissions
from tracker.domain.permissions import PermissionDenied
from tracker.extensions import SAFE_METHODS, begin_write, db
from tracker.models import MilestoneKind, PersonRole, Status, TextRefused
from tracker.timeline import format_date

#: No inline scripts or styles anywhere, so the policy can forbid them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str) -> ResponseReturnValue:
    if wants_json():
        return jsonify({"error": {"status": status, "message": message}}), status
    return render_template("error.html", status=status, message=message), status


def _holds_nul(data: Any) -> bool:
    """A NUL anywhere in form fields, query arguments or a decoded JSON body."""
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, MultiDict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in data.items(multi=True))
    if isinstance(data, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_holds_nul(v) for v in data)
    return False


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_over_size_bodies() -> None:
        """Every route, read or not, refuses a declared body over MAX_CONTENT_LENGTH before
        anything else runs; a body without a length is cut off there as it is read."""
        limit = app.config["MAX_CONTENT_LENGTH"]
        if limit is not None and (request.content_length or 0) > limit:
            abort(413)

    @app.before_request
    def refuse_nul_characters() -> None:
        """PostgreSQL refuses a NUL in any text it is sent (a 500 halfway through a view) and
        SQLite stores it: no address, query or form field may hold one, on either backend.
        Slack's bodies are left for Bolt, which checks their signature on the raw bytes."""
        if "\x00" in request.path or _holds_nul(request.args):
            abort(400, "A NUL character is not allowed in an address.")
        if request.blueprint == "slack" or request.method in SAFE_METHODS:
            return
        if _holds_nul(request.form) or _holds_nul(request.get_json(silent=True)):
            abort(400, "A NUL character is not allowed in a form field or request.")

    @app.before_request
    def forget_the_last_request() -> None:
        """`g` outlives a request when an app context was pushed before it (tests, scripts);
        the signed-in person and the CSRF token must be read anew for each request."""
        g.pop("person", None)
        g.pop("csrf_token", None)

    @app.before_request
    def writers_begin_as_writers() -> None:
        """A request that may write takes SQLite's write lock before its first read, so that
        concurrent writers queue (busy timeout) instead of failing halfway; see `begin_write`."""
        if request.method not in SAFE_METHODS:
            begin_write(db.session)

    @app.after_request
    def security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # sign-in links carry their secret in the path: never send it on as a referrer
        headers.setdefault("Referrer-Policy", "no-referrer")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(PermissionDenied)
    def permission_denied(exc: PermissionDenied) -> ResponseReturnValue:
        return error_response(403, f"You may not do this: {exc}.")

    @app.errorhandler(TextRefused)
    def text_refused(exc: TextRefused) -> ResponseReturnValue:
        db.session.rollback()
        return error_response(400, f"Nothing was saved: {exc}.")

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> ResponseReturnValue:
        return error_response(
            400, "This form has expired or did not come from this site; reload and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        messages = {
            401: "Sign in first.",
            403: "You may not do this.",
            404: "There is nothing at this address.",
            405: "This address does not take that method.",
            413: "The upload is too large.",
        }
        message = exc.description if exc.description and status in (400, 409) else None
        response = error_response(status, message or messages.get(status, exc.name))
        if status == 401 and wants_json():
            body, code = response  # type: ignore[misc]
            return body, code, {"WWW-Authenticate": 'Bearer realm="api"'}
        return response

    icon = (Path(app.static_folder or "") / "favicon.ico").read_bytes()

    @app.get("/favicon.ico")
    def favicon() -> ResponseReturnValue:
        """Browsers ask for /favicon.ico whatever the page's `<link rel="icon">` says."""
        response = Response(icon, mimetype="image/vnd.microsoft.icon")
        response.cache_control.max_age = 86400
        return response

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {
            "current_person": current_person,
            "can": permissions,
            "Status": Status,
            "MilestoneKind": MilestoneKind,
            "PersonRole": PersonRole,
        }

    @app.template_filter("day")
    def day(value: date | None) -> str:
        return format_date(value, None) if value else ""

    @app.template_filter("moment")
    def moment(value: Any) -> str:
        return value.strftime("%-d %b %Y %H:%M UTC") if value else ""
