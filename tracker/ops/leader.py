"""One acting scheduler among several: a lock that the leader holds for as long as it lives.

On PostgreSQL the lock is a session-level advisory lock on a connection kept open for the
process's life: when the leader dies, its connection closes, the server releases the lock and
a standby takes over at its next try. On SQLite (one host) an exclusive `flock` on a file next
to the database does the same for processes of that host.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import zlib
from pathlib import Path
from typing import IO

import sqlalchemy as sa

log = logging.getLogger(__name__)

#: Advisory lock key: a stable number derived from the lock's name.
DEFAULT_NAME = "workplan-tracker-scheduler"


def _key(name: str) -> int:
    return zlib.crc32(name.encode()) - 2**31


class LeaderLock:
    """`acquire()` tries once; `wait()` blocks until this process leads (or `stop` is set)."""

    def __init__(self, url: sa.URL, name: str = DEFAULT_NAME, retry_seconds: float = 5.0):
        self.url, self.name, self.retry_seconds = url, name, retry_seconds
        self._connection: sa.Connection | None = None
        self._engine: sa.Engine | None = None
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self) -> bool:
        if self.held:
            return True
        if self.url.get_backend_name() == "postgresql":
            return self._acquire_advisory()
        return self._acquire_file()

    def _acquire_advisory(self) -> bool:
        if self._engine is None:
            # its own engine: a pooled connection could be handed to someone else
            self._engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        connection = self._engine.connect()
        got = connection.scalar(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": _key(self.name)}
        )
        connection.commit()
        if got:
            self._connection = connection
            return True
        connection.close()
        return False

    def _acquire_file(self) -> bool:
        database = self.url.database
        directory = Path(database).parent if database and database != ":memory:" else Path(".")
        handle = (directory / f".{self.name}.lock").open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def wait(self, stop: threading.Event | None = None) -> bool:
        """Block until this process holds the lock; False if `stop` was set first."""
        announced = False
        while not (stop and stop.is_set()):
            if self.acquire():
                log.info("this process now leads (%s)", self.name)
                return True
            if not announced:
                log.info("another process leads (%s); standing by", self.name)
                announced = True
            if stop:
                stop.wait(self.retry_seconds)
            else:
                time.sleep(self.retry_seconds)
        return False

    def still_held(self) -> bool:
        """For the leader to check now and then: a dropped connection means the lock is gone."""
        if self._connection is None:
            return self._file is not None
        try:
            self._connection.scalar(sa.text("SELECT 1"))
            self._connection.commit()
        except sa.exc.DBAPIError:
            self._connection = None
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _key(self.name)}
                )
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
