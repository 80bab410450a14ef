"""Configuration read from the environment, with defaults that are safe for a laptop demo."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, time
from typing import Any


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


def config_from_env(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Settings for `create_app`; every name an operator can set is listed in the README."""
    default_db = "sqlite:///" + os.path.join(instance_path, "tracker.db")
    base_url = environ.get("TRACKER_BASE_URL", "http://127.0.0.1:5000")
    # cookies only over HTTPS whenever the tracker is served over HTTPS
    secure_default = "1" if base_url.startswith("https://") else "0"
    return {
        "SECRET_KEY": environ.get("SECRET_KEY", "dev-only-not-secret"),
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
        "SLACK_API_URL": environ.get("SLACK_API_URL", "https://slack.com/api/"),
        "SESSION_COOKIE_SECURE": environ.get("TRACKER_SECURE_COOKIES", secure_default) == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
    }
