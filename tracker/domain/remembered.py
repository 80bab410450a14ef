"""What is worked out once per content state of the workplan and then remembered.

Dashboards' tallies and progress reports read hundreds of rows, and most requests for them
come while nothing changed. The content state (`tracker.models.ContentState`) moves on with
every commit that changes what they show, so a value worked out at one state holds until it
moves.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Generic, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.models import has_uncommitted_content, read_content_state

T = TypeVar("T")


class RememberedAtState(Generic[T]):
    """Values by key, each worked out once per content state of each database (version and
    when it moved, so that a restored database cannot match values of another past).

    Exact: a value is kept only if the content state read before working it out is still the
    one read after, so every statement between saw that one state, also where each statement
    has its own snapshot (PostgreSQL's READ COMMITTED). A session whose transaction changed
    the workplan without committing works its values out for itself alone. A web worker's
    threads share it: they look and keep under a lock, and work values out outside it.
    """

    def __init__(self, most: int) -> None:
        self._most = most
        self._lock = threading.Lock()
        self._kept: weakref.WeakKeyDictionary[
            sa.Engine, dict[tuple[tuple[int, datetime], Hashable], T]
        ] = weakref.WeakKeyDictionary()

    def get(self, session: so.Session, key: Hashable, work_out: Callable[[], T]) -> T:
        state = read_content_state(session)  # first: autoflush notes the session's own changes
        if has_uncommitted_content(session):
            return work_out()
        with self._lock:
            kept = self._kept.setdefault(session.get_bind().engine, {})
            found = kept.get((state, key))
        if found is None:
            found = work_out()
            if read_content_state(session) == state:
                with self._lock:
                    if len(kept) >= self._most or any(other[0] != state for other in kept):
                        kept.clear()
                    kept[(state, key)] = found
        return found
