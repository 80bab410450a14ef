"""What every page shares: security headers, error pages (JSON under /api/), template helpers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tracker.auth import current_person
from tracker.domain import permissions
from tracker.domain.permissions import PermissionDenied
from tracker.extensions import SAFE_METHODS, begin_write, db
from tracker.models import MilestoneKind, PersonRole, Status
from tracker.timeline import format_date

DEFAULTS: dict[str, Any] = {
    "SIGN_IN_LINK_MINUTES": 30,
    #: Sign-in link requests allowed per e-mail address and per client address in the window.
    "SIGN_IN_WINDOW_MINUTES": 15,
    "SIGN_IN_LINKS_PER_ADDRESS": 3,
    "SIGN_IN_LINKS_PER_CLIENT": 10,
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
    # the token lives as long as the session: a lead may take an hour over a progress note
    "WTF_CSRF_TIME_LIMIT": None,
}

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


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)

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
