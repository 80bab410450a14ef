"""Real parts for the reminder tests: an SMTP server on loopback that can hold a message in
flight, copies of a seeded database for tests that commit, and `tracker` child processes.

The fixtures are in `tests/reminders_fixtures.py` (loaded with `pytest_plugins`)."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from tests.conftest import TEST_TODAY, on_postgres
from tests.test_mail import free_port
from tracker.config import normalize_database_url

ROOT = Path(__file__).parent.parent


def wait_for(condition: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    """Poll until `condition()` is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class Inbox:
    """What arrived. With `hold` set, DATA waits until `release` (a sender is mid-send)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()
        self.hold = False
        self.in_data = threading.Event()
        self.release = threading.Event()
        #: What a held DATA answers once released.
        self.accept_held = True

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.hold:
            self.in_data.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
            if not self.accept_held:
                return "451 4.3.0 not accepted"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def count(self) -> int:
        with self._lock:
            return len(self.messages)


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.inbox = Inbox()
        self.port = port or free_port()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=10"

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


# --- databases that tests commit to -----------------------------------------------------


@contextmanager
def database_copy(template_url: str, tmp_dir: Path) -> Iterator[str]:
    """A copy of the template: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL."""
    if not on_postgres():
        path = tmp_dir / f"copy-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(sa.make_url(template_url).database or "", path)
        yield f"sqlite:///{path}"
        return
    template = sa.make_url(normalize_database_url(template_url))
    name = f"{template.database}_copy_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(template.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"')
    try:
        yield template.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# --- `tracker` child processes ------------------------------------------------------------


def tracker_env(app: Flask, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment a `tracker` child process needs to see the same database and settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRACKER_", "DATABASE_URL", "SECRET_KEY"))
    }
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=app.config["SECRET_KEY"],
        TRACKER_TODAY=TEST_TODAY.isoformat(),
        TRACKER_BASE_URL=app.config["BASE_URL"],
        TRACKER_INSTANCE_PATH=str(tmp_path / "instance"),
        PYTHONUNBUFFERED="1",
    )
    if app.config.get("SMTP_URL"):
        env["TRACKER_SMTP_URL"] = app.config["SMTP_URL"]
    env.update(extra)
    return env


def start_tracker(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`tracker ARGS...` as a child process, its output in `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def run_on_a_terminal(
    args: list[str], env: dict[str, str], stdout: Path, timeout: float = 60
) -> tuple[int, str]:
    """`tracker ARGS...` with its stderr on a pseudo-terminal, as when a person runs it; its exit
    code and what it wrote to the terminal (stdout goes to a file)."""
    controller, terminal = pty.openpty()
    with stdout.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=terminal,
        )
    os.close(terminal)
    written = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not select.select([controller], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the child has closed the terminal
                break
            if not chunk:
                break
            written += chunk
        else:
            process.kill()
            raise AssertionError(f"tracker {' '.join(args)} did not finish in {timeout} s")
        return process.wait(timeout), written.decode("utf-8", "replace")
    finally:
        os.close(controller)


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> int:
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
