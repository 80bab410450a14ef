"""Today's date, which tests, demos and `--today` can pin so that "due" and "overdue" hold still."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def today() -> date:
    pinned: date | None = current_app.config.get("TODAY")
    if pinned is not None:
        return pinned
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
