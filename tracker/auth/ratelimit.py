"""Rate limits counted in the database, so that they hold across gunicorn's worker processes.

Each allowed request is a row; a key may have at most `limit` rows younger than `window`.
Two requests racing in separate processes may both pass at the very edge of the limit: the
limit is a brake on abuse, not an exact quota.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.auth.models import RateLimitHit

#: Rows older than this are deleted whatever their key; no window may be longer.
_KEEP = timedelta(days=1)


def hashed_key(kind: str, value: str) -> str:
    """A key that does not store the address itself."""
    return f"{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]}"


def allow(session: so.Session, key: str, limit: int, window: timedelta, now: datetime) -> bool:
    """Count a request under `key` and say whether it is within the limit.

    A refused request is not counted, so a client that keeps trying gets in again once its
    oldest counted request leaves the window.
    """
    since = now - window
    session.execute(sa.delete(RateLimitHit).where(RateLimitHit.at < now - _KEEP))
    used = session.scalar(
        sa.select(sa.func.count())
        .select_from(RateLimitHit)
        .where(RateLimitHit.key == key, RateLimitHit.at >= since)
    )
    if (used or 0) >= limit:
        return False
    session.add(RateLimitHit(key=key, at=now))
    return True
