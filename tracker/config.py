"""Configuration read from the environment, with defaults that are safe for a laptop demo."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

#: The app's own defaults. `create_app` applies them before the environment and the caller's
#: overrides, and before Flask-WTF's `init_app`, whose `setdefault` would otherwise win.
DEFAULTS: dict[str, Any] = {
    "SIGN_IN_LINK_MINUTES": 30,
    #: Sign-in link requests allowed per e-mail address and per client address in the window.
    "SIGN_IN_WINDOW_MINUTES": 15,
    "SIGN_IN_LINKS_PER_ADDRESS": 3,
    "SIGN_IN_LINKS_PER_CLIENT": 10,
    #: Larger request bodies get 413 before they are read (imports are the largest).
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
    # the token lives as long as the session: a lead may take an hour over a progress note
    "WTF_CSRF_TIME_LIMIT": None,
}

#: Where a key made on first start is kept, inside the instance folder.
SECRET_KEY_FILE = "secret_key"

#: The file in the instance folder where `tracker serve` records the address it listens on,
#: so that `tracker login-link` and the scheduler build links to that port too.
SERVED_AT = "served-at"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the way Heroku and libpq write them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def parse_today(value: str | None) -> date | None:
    """Read a fixed "today" (TRACKER_TODAY, --today) so demos and tests see a stable clock."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"TRACKER_TODAY must be an ISO date such as 2020-01-15, not {value!r}"
        ) from None


def parse_clock_time(value: str, name: str) -> time:
    """Read a time of day such as "06:00" (TRACKER_REMINDER_TIME)."""
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{name} must be a time of day such as 06:00, not {value!r}") from None


def parse_int(value: str, name: str, low: int, high: int) -> int:
    if not value.strip().isdigit() or not low <= int(value) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def recorded_base_url(instance_path: str) -> str | None:
    """The address the last `tracker serve` of this instance folder listened on, if any."""
    try:
        return Path(instance_path, SERVED_AT).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def config_from_env(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Settings for `create_app`; every name an operator can set is listed in the README."""
    default_db = "sqlite:///" + os.path.join(instance_path, "tracker.db")
    base_url = (
        environ.get("TRACKER_BASE_URL") or recorded_base_url(instance_path) or DEFAULT_BASE_URL
    )
    # cookies only over HTTPS whenever the tracker is served over HTTPS
    secure_default = "1" if base_url.startswith("https://") else "0"
    return {
        "SECRET_KEY": environ.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(environ.get("DATABASE_URL", default_db)),
        "TODAY": parse_today(environ.get("TRACKER_TODAY")),
        "TIMEZONE": environ.get("TRACKER_TIMEZONE", "UTC"),
        "BASE_URL": base_url,
        "SMTP_URL": environ.get("TRACKER_SMTP_URL"),
        "REMINDER_TIME": parse_clock_time(
            environ.get("TRACKER_REMINDER_TIME", "06:00"), "TRACKER_REMINDER_TIME"
        ),
        "DIGEST_HOUR": parse_int(
            environ.get("TRACKER_DIGEST_HOUR", "8"), "TRACKER_DIGEST_HOUR", 0, 23
        ),
        "SEND_INTERVAL": parse_int(
            environ.get("TRACKER_SEND_INTERVAL", "60"), "TRACKER_SEND_INTERVAL", 1, 86400
        ),
        "MAIL_FROM": environ.get("TRACKER_MAIL_FROM", "workplan-tracker@example.org"),
        "SLACK_SIGNING_SECRET": environ.get("SLACK_SIGNING_SECRET"),
        "SLACK_BOT_TOKEN": environ.get("SLACK_BOT_TOKEN"),
        "SLACK_APP_TOKEN": environ.get("SLACK_APP_TOKEN"),
        "LEADER_RETRY_SECONDS": float(environ.get("TRACKER_LEADER_RETRY_SECONDS", "5")),
        #: How long a feed request waits for another's build of the same body (under
        #: gunicorn's 30 s worker timeout); then 503 with Retry-After, the build going on.
        "FEED_BUILD_WAIT": float(environ.get("TRACKER_FEED_BUILD_WAIT", "20")),
        "SLACK_API_URL": environ.get("SLACK_API_URL", "https://slack.com/api/"),
        "SESSION_COOKIE_SECURE": environ.get("TRACKER_SECURE_COOKIES", secure_default) == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }


def instance_secret_key(instance_path: str) -> str:
    """The key of an installation that sets no SECRET_KEY: made once, kept owner-only.

    A fixed default would let anyone forge a session cookie, so the first start writes 256
    random bits to `instance/secret_key` (mode 0600) and every later start, web worker and CLI
    command reads the same file. It is written under a temporary name and linked into place,
    so workers starting at once agree on one key and never read half a file.
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / SECRET_KEY_FILE
    if not path.exists():
        draft = folder / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker was first: use its key
        finally:
            draft.unlink()
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise RuntimeError(
            f"{path} is readable by others (mode {stat.filemode(mode)}); "
            f"run `chmod 600 {path}` or set SECRET_KEY"
        )
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key; delete it to make a new one")
    return key
