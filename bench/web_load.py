"""Pages, API and feeds under load: `tracker serve` (gunicorn) on loopback, wrk from another
process, each endpoint next to the floor, a trivial Flask route (/healthz) on the same server.

wrk keeps as many connections open as there are web workers, so each worker is always busy
and a request waits for none other: p95 is the page's own time under full load.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import BASE_URL, OUT, ROOT, TODAY, app_for
from tracker.auth.secrets import create_api_token
from tracker.extensions import db
from tracker.feeds.services import create_token
from tracker.models import Activity, Person

SECRET = "bench-secret-not-for-production"
WORKERS = 2
COORDINATOR = "coordinator@example.org"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _credentials(url: str) -> dict[str, Any]:
    """A signed session cookie, an API token and a feed token of the coordinator."""
    app = app_for(url, SECRET_KEY=SECRET)
    with app.app_context():
        person = db.session.scalars(sa.select(Person).where(Person.email == COORDINATOR)).one()
        api_token = create_api_token(db.session, person, f"bench {time.time()}")
        _, feed_token = create_token(db.session, person, f"bench {time.time()}")
        activity_id = db.session.scalars(
            sa.select(Activity.id).order_by(Activity.id.desc()).limit(1)
        ).one()
        db.session.commit()
        cookie = app.session_interface.get_signing_serializer(app).dumps({"person_id": person.id})  # type: ignore[attr-defined]
        db.engine.dispose()
    return {"cookie": cookie, "api": api_token, "feed": feed_token, "activity": activity_id}


def _start_server(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=SECRET,
        TRACKER_TODAY=TODAY.isoformat(),
        TRACKER_BASE_URL=BASE_URL,
        TRACKER_INSTANCE_PATH=str(OUT / "instance"),
    )
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tracker.cli",
                "serve",
                "--no-seed",
                "--no-scheduler",
                "--workers",
                str(WORKERS),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"the server did not start; see {log}")


def _workers(server: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wrk(url: str, headers: dict[str, str], seconds: int) -> dict[str, Any]:
    command = [
        "wrk",
        "-t1",
        f"-c{WORKERS}",
        f"-d{seconds}s",
        "--timeout",
        "60s",
        "-s",
        str(ROOT / "bench" / "wrk_report.lua"),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    seconds_run = report["duration_us"] / 1e6
    return {
        "rps": report["requests"] / seconds_run,
        "p50_ms": report["p50_us"] / 1000,
        "p95_ms": report["p95_us"] / 1000,
        "max_ms": report["max_us"] / 1000,
        "requests": report["requests"],
        "failed": report["socket_errors"] + report["bad_status"],
    }


def _get(url: str, headers: dict[str, str]) -> urllib.response.addinfourl:
    request = urllib.request.Request(url, headers=headers)
    return urllib.request.urlopen(request, timeout=120)


def measure(url: str, seconds: int = 10) -> dict[str, Any]:
    """Throughput and latency of each endpoint, its ratio to the floor, and workers' peak RSS."""
    creds = _credentials(url)
    port = _free_port()
    server = _start_server(url, port, OUT / "serve.log")
    base = f"http://127.0.0.1:{port}"
    page = {"Cookie": f"session={creds['cookie']}"}
    feed = f"/calendar/{creds['feed']}/working-groups/D2020-01.ics"
    try:
        with _get(base + feed, {}) as first:
            etag = first.headers["ETag"]
            feed_bytes = len(first.read())
        endpoints = [
            ("floor: /healthz", "/healthz", {}),
            ("dashboard", "/", page),
            ("group dashboard", "/groups/D2020-01", page),
            ("filtered list", "/items?working_group=D2020-03&status=in_progress", page),
            ("activity page", f"/activities/{creds['activity']}", page),
            ("timeline, one group", "/timeline?working_group=D2020-01", page),
            (
                "API list, due in 30 days",
                "/api/v1/items?due=30",
                {"Authorization": f"Bearer {creds['api']}"},
            ),
            (f"group feed, full ({feed_bytes // 1024} KiB)", feed, {}),
            ("group feed, 304", feed, {"If-None-Match": etag}),
        ]
        results: dict[str, Any] = {}
        for name, path, headers in endpoints:
            if "If-None-Match" not in headers:  # urllib takes a 304 for an error
                with _get(base + path, headers) as warm:
                    assert warm.status == 200, (path, warm.status)
            results[name] = _wrk(base + path, headers, seconds)
            if results[name]["failed"]:
                raise RuntimeError(f"{name}: {results[name]['failed']} requests failed")
            print(
                f"  {name:34} {results[name]['rps']:8.1f} req/s  "
                f"p50 {results[name]['p50_ms']:7.1f} ms  p95 {results[name]['p95_ms']:7.1f} ms"
            )
        floor = results["floor: /healthz"]["rps"]
        for figures in results.values():
            figures["of_floor"] = figures["rps"] / floor
        memory = {f"worker {pid}": _peak_rss_mb(pid) for pid in _workers(server)}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    return {"endpoints": results, "worker_peak_rss_mb": memory}
