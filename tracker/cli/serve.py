"""`tracker serve`: the web app under gunicorn, with the scheduler beside it in its own process."""

from __future__ import annotations

import contextvars
import gc
import os
import subprocess
import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from gunicorn.app.base import BaseApplication

from tracker import resource_dir
from tracker.cli.workplan import create_schema, is_empty, run_import, seed_files
from tracker.extensions import db
from tracker.ops.request_log import configure_logging


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn run from Python, so one command starts everything."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 to reach it from other machines.",
)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=2, show_default=True, help="Web worker processes.")
@click.option(
    "--seed/--no-seed",
    default=True,
    show_default=True,
    help="Load the seed workplans when the database is empty.",
)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Also run `tracker scheduler` (reminders, mail) as a child process; turn it off "
    "where another machine runs the scheduler.",
)
@with_appcontext
def serve_command(host: str, port: int, workers: int, seed: bool, scheduler: bool) -> None:
    """Create or upgrade the database, seed it on first start, and serve the web app."""
    configure_logging()
    create_schema()
    if seed and is_empty():
        click.echo("empty database: loading the seed workplans")
        run_import(seed_files(resource_dir("seeds")), apply=True, details=0)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    db.session.remove()
    db.engine.dispose()  # no connection crosses the fork
    # one scheduler beside gunicorn, started before the workers fork, never inside them
    child = start_scheduler() if scheduler else None
    click.echo(f"Workplan Tracker on http://{host}:{port}/  (Ctrl+C stops it)")
    server = _Gunicorn(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "accesslog": "-",
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s]',
            "preload_app": False,
        },
    )
    # what is loaded by now (modules, the app, its mappers: ~140,000 objects) lives as long as
    # the workers forked from here; out of the collector's sight, a full collection walks what
    # requests made (~5 ms) instead of all of it (~100 ms, the slowest 5% of the large pages)
    gc.freeze()
    try:
        # outside this command's app context: inherited by the workers, it would be every
        # request's, with its `g` (who is signed in) and its database session (a snapshot
        # that never sees another process's writes)
        contextvars.Context().run(server.run)
    finally:
        if child is not None:
            stop_scheduler(child)


def start_scheduler() -> subprocess.Popen[bytes]:
    """`tracker scheduler` as a child that also stops if this process dies without a word."""
    return subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "scheduler", "--exit-with-parent", str(os.getpid())]
    )


def stop_scheduler(child: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Let a send under way finish; kill the scheduler only if it does not stop in time."""
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


COMMANDS = [serve_command]
