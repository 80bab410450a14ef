"""Feed bodies built once per (feed, content version) and kept in the database for everyone.

A full feed is the costliest thing the tracker makes (a personal feed of a large programme:
seconds), and every calendar client of every worker asks for it again after any change. The
body is therefore built once per version, gzip-compressed, and stored in `feed_body`, where
every worker of every host finds it: SQLite on one host and PostgreSQL behind several alike,
with no second store to run. A later request for the same version reads one row.

One builder per version: the first request inserts the version's row without a body (the
primary key lets one insert win); the others serve the feed's previous body at once if there
is one, or wait for the build (`FEED_BUILD_WAIT`), then answer 503 with Retry-After. The
build runs in a thread of the worker, so a build slower than the wait never holds a request
into gunicorn's worker timeout; it finishes and is stored for the next poll. A claim older
than `STALE_CLAIM` is a builder that died (a worker killed mid-build) and is taken over.
"""

from __future__ import annotations

import gzip
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tracker.extensions import WRITE_TRANSACTION
from tracker.feeds.models import FeedBody
from tracker.models import utcnow

#: A claim this old without a body is a builder that died; the next request builds anew.
STALE_CLAIM = timedelta(seconds=120)
#: Bodies of a version the workplan has left behind are deleted once this old (feeds nobody
#: polls any more, rotated tokens); a feed's own older bodies go as soon as a newer is built.
KEEP_LEFT_BEHIND = timedelta(days=1)
#: How often a waiting request looks whether the build is done.
LOOK_EVERY = 0.05
#: gzip level: 6 compresses a feed ~10x at ~60 MB/s on this hardware; 9 gains 2% for 3x time.
COMPRESS_LEVEL = 6

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedVersion:
    """Which body is wanted: the feed (`feed_key`) at one content version (`etag`)."""

    etag: str
    feed_key: str
    version: int
    last_modified: datetime


@dataclass(frozen=True)
class StoredBody:
    etag: str
    last_modified: datetime
    gzipped: bytes

    def plain(self) -> bytes:
        return gzip.decompress(self.gzipped)


class StillBuilding(Exception):
    """No body of the feed exists yet and its build did not finish within the wait."""


_COLUMNS = (FeedBody.etag, FeedBody.last_modified, FeedBody.body, FeedBody.claimed_at)


def feed_body(
    bind: Bind,
    wanted: FeedVersion,
    build: Callable[[], bytes],
    *,
    wait: float = 10.0,
    app: Flask | None = None,
) -> StoredBody:
    """The body of `wanted`, built by `build` if nobody has built or is building it; while
    another request builds it, the feed's previous body if there is one.

    With `app`, the build runs in a thread (in an app context of its own), so that the
    request waits at most `wait` seconds; without, it runs in the caller, as it must when the
    caller's session is bound to one connection (the tests' rolled-back transaction).
    Raises `StillBuilding` when the wait ends first.
    """
    deadline = time.monotonic() + wait
    while True:
        row = _row(bind, wanted.etag)
        if row is not None and row.body is not None:
            return StoredBody(row.etag, row.last_modified, row.body)
        stale = row is not None and utcnow() - row.claimed_at > STALE_CLAIM
        if (row is None or stale) and _claim(bind, wanted, row.claimed_at if stale else None):
            return _build(bind, wanted, build, deadline=deadline, app=app)
        previous = _previous(bind, wanted)
        if previous is not None:
            return previous
        if time.monotonic() >= deadline:
            raise StillBuilding(wanted.etag)
        time.sleep(LOOK_EVERY)


Bind = sa.Engine | sa.Connection


def stored_body(bind: Bind, etag: str) -> StoredBody | None:
    """The body stored for `etag`, if it is built: what nearly every full request finds."""
    row = _row(bind, etag)
    return (
        None if row is None or row.body is None else StoredBody(etag, row.last_modified, row.body)
    )


def _row(bind: Bind, etag: str) -> sa.Row[Any] | None:
    with _reading(bind) as conn:
        return conn.execute(sa.select(*_COLUMNS).where(FeedBody.etag == etag)).first()


@contextmanager
def _reading(bind: Bind) -> Iterator[sa.Connection]:
    if isinstance(bind, sa.Connection):
        yield bind
        return
    with bind.connect() as conn:
        yield conn


@contextmanager
def _writing(bind: Bind) -> Iterator[sa.Connection]:
    """A short transaction of its own, begun as a writer (BEGIN IMMEDIATE on SQLite); on a
    connection given (the tests' rolled-back transaction), a savepoint of it."""
    if isinstance(bind, sa.Connection):
        with bind.begin_nested():
            yield bind
        return
    with bind.connect().execution_options(**{WRITE_TRANSACTION: True}) as conn, conn.begin():
        yield conn


def _claim(bind: Bind, wanted: FeedVersion, stale_since: datetime | None) -> bool:
    """Whether this request is the one to build `wanted`: it inserted the row, or took over a
    stale claim (`stale_since`: the claim's time as read) before anyone else did."""
    try:
        with _writing(bind) as conn:
            if stale_since is None:
                conn.execute(
                    sa.insert(FeedBody).values(
                        etag=wanted.etag,
                        feed_key=wanted.feed_key,
                        version=wanted.version,
                        last_modified=wanted.last_modified,
                        claimed_at=utcnow(),
                    )
                )
                return True
            taken = conn.execute(
                sa.update(FeedBody)
                .where(
                    FeedBody.etag == wanted.etag,
                    FeedBody.body.is_(None),
                    FeedBody.claimed_at == stale_since,
                )
                .values(claimed_at=utcnow())
            )
            return taken.rowcount == 1
    except sa.exc.IntegrityError:
        return False  # another request inserted it first


def _previous(bind: Bind, wanted: FeedVersion) -> StoredBody | None:
    """The feed's newest body of another version (or day), if any: what to serve meanwhile."""
    with _reading(bind) as conn:
        row = conn.execute(
            sa.select(*_COLUMNS)
            .where(
                FeedBody.feed_key == wanted.feed_key,
                FeedBody.etag != wanted.etag,
                FeedBody.body.is_not(None),
            )
            .order_by(FeedBody.version.desc(), FeedBody.built_at.desc())
            .limit(1)
        ).first()
    return None if row is None else StoredBody(row.etag, row.last_modified, row.body)


def _build(
    bind: Bind,
    wanted: FeedVersion,
    build: Callable[[], bytes],
    *,
    deadline: float,
    app: Flask | None,
) -> StoredBody:
    if app is None:
        return _build_and_store(bind, wanted, build)
    done: list[StoredBody] = []

    def run() -> None:
        with app.app_context():
            try:
                done.append(_build_and_store(bind, wanted, build))
            except Exception:
                log.exception("building the feed body %s failed", wanted.etag)

    builder = threading.Thread(target=run, name=f"feed build {wanted.etag[:8]}", daemon=True)
    builder.start()
    builder.join(max(0.0, deadline - time.monotonic()))
    if done:
        return done[0]
    if builder.is_alive():
        raise StillBuilding(wanted.etag)
    raise RuntimeError(f"building the feed body {wanted.etag} failed; see the log")


def _build_and_store(bind: Bind, wanted: FeedVersion, build: Callable[[], bytes]) -> StoredBody:
    began = time.perf_counter()
    try:
        plain = build()
    except BaseException:
        with _writing(bind) as conn:  # let the next request try again
            conn.execute(
                sa.delete(FeedBody).where(FeedBody.etag == wanted.etag, FeedBody.body.is_(None))
            )
        raise
    gzipped = gzip.compress(plain, compresslevel=COMPRESS_LEVEL, mtime=0)
    now = utcnow()
    with _writing(bind) as conn:
        conn.execute(
            sa.update(FeedBody)
            .where(FeedBody.etag == wanted.etag)
            .values(body=gzipped, size=len(plain), built_at=now)
        )
        conn.execute(
            sa.delete(FeedBody).where(
                sa.or_(
                    sa.and_(
                        FeedBody.feed_key == wanted.feed_key,
                        FeedBody.etag != wanted.etag,
                        FeedBody.version <= wanted.version,
                    ),
                    sa.and_(
                        FeedBody.version < wanted.version,
                        FeedBody.claimed_at < now - KEEP_LEFT_BEHIND,
                    ),
                )
            )
        )
    log.info(
        "built feed body %s: %d bytes (%d gzipped) in %.2f s",
        wanted.etag[:8],
        len(plain),
        len(gzipped),
        time.perf_counter() - began,
    )
    return StoredBody(wanted.etag, wanted.last_modified, gzipped)
