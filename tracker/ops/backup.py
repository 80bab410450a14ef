"""Backups an operator can restore: SQLite's online backup API, pg_dump's custom format.

Restoring first backs up what is there now, so a restore can itself be undone.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa


class BackupError(Exception):
    """The backup or restore could not be done; the message says why. Nothing was changed."""


def _libpq_url(url: sa.URL) -> str:
    """pg_dump takes a libpq URI: no SQLAlchemy driver suffix."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def default_backup_name(url: sa.URL, directory: Path, now: datetime) -> Path:
    suffix = ".sqlite" if url.get_backend_name() == "sqlite" else ".dump"
    return directory / f"tracker-{now:%Y%m%d-%H%M%S}{suffix}"


def backup(url: sa.URL, target: Path) -> Path:
    """Write a consistent copy of the live database to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise BackupError(f"{target} exists already; choose another name")
    backend = url.get_backend_name()
    if backend == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target
    if backend == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(url)])
        return target
    raise BackupError(f"no backup method for {backend}")


def check_backup(url: sa.URL, source: Path) -> None:
    """Refuse files that are not a tracker backup for this kind of database."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    if url.get_backend_name() == "sqlite":
        try:
            with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as conn:
                conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a tracker SQLite backup ({exc})") from None
    else:
        _run(["pg_restore", "--list", str(source)])


def restore(url: sa.URL, source: Path, safety_copy: Path) -> None:
    """Replace the live database with `source`, after saving the current one to `safety_copy`."""
    check_backup(url, source)
    backup(url, safety_copy)
    if url.get_backend_name() == "sqlite":
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_path(url))
        try:
            with live:
                backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
        return
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(url)}",
            str(source),
        ]
    )


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools are needed)")
    done = subprocess.run(
        command, capture_output=True, text=True, env=os.environ.copy(), check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")
