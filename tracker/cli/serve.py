"""`tracker serve`: the web app under gunicorn, with the scheduler beside it in its own process."""

from __future__ import annotations

import contextvars
import gc
import ipaddress
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from gunicorn.app.base import BaseApplication

from tracker import resource_dir
from tracker.cli.workplan import create_schema, is_empty, run_import, seed_files
from tracker.config import SERVED_AT
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
    for line in settle_base_url(app, host, port):
        click.secho(line, err=True, fg="yellow")
    db.session.remove()
    db.engine.dispose()  # no connection crosses the fork
    # one scheduler beside gunicorn, started before the workers fork, never inside them
    child = start_scheduler() if scheduler else None
    click.echo(f"Workplan Tracker on {listening_url(host, port)}/  (Ctrl+C stops it)")
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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_any(host: str) -> bool:
    return host.strip("[]") in ("0.0.0.0", "::", "")


def listening_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for `--host`/`--port`."""
    name = "127.0.0.1" if _is_any(host) else host
    return f"http://{f'[{name}]' if ':' in name else name}:{port}"


def base_url_warnings(base_url: str, host: str, port: int) -> list[str]:
    """Why links built on `base_url` would not reach a server listening on host:port.

    A base URL naming another host is taken for a reverse proxy's, and not questioned.
    """
    base = urlsplit(base_url)
    base_host = base.hostname or ""
    base_port = base.port or (443 if base.scheme == "https" else 80)
    this_machine = _is_loopback(base_host) or base_host == host.strip("[]")
    warnings = []
    if this_machine and base_port != port:
        warnings.append(
            f"warning: TRACKER_BASE_URL is {base_url} but this server listens on port {port}: "
            "links in mails, feeds, Slack and sign-in links will not reach it"
        )
    if _is_loopback(base_host) and not _is_loopback(host):
        warnings.append(
            f"warning: links are built on {base_url}, which only this machine can open; "
            "set TRACKER_BASE_URL to the address other people use"
        )
    return warnings


def settle_base_url(app: Flask, host: str, port: int) -> list[str]:
    """Make the listening address the base URL of links, unless TRACKER_BASE_URL says otherwise.

    The address goes to the environment, which the scheduler child inherits, and to the
    instance folder, where `tracker login-link` and other later commands read it.
    """
    if os.environ.get("TRACKER_BASE_URL"):
        return base_url_warnings(app.config["BASE_URL"], host, port)
    url = listening_url(host, port)
    app.config["BASE_URL"] = os.environ["TRACKER_BASE_URL"] = url
    os.makedirs(app.instance_path, exist_ok=True)
    Path(app.instance_path, SERVED_AT).write_text(url + "\n", encoding="utf-8")
    return base_url_warnings(url, host, port)


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
