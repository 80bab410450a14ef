"""Pages, API, bot and feeds under load: `tracker serve` (gunicorn) on loopback, wrk from
another process, each endpoint next to the floor (/healthz) measured at the same number of
connections in the same run.

The runs measure what users feel: with as many connections as workers a request never
queues, so p95 is service time; with 8 and 32 connections requests queue behind each other,
as they do when people arrive at once. Between runs the server is drained (wrk abandons the
requests under way when its time is up; the next run would queue behind them), and the load
average before and after each run is kept, so that a run on a busy machine shows as one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import BASE_URL, OUT, ROOT, TODAY, app_for
from tracker.auth import session_claims
from tracker.auth.secrets import create_api_token
from tracker.extensions import db
from tracker.feeds.services import create_token
from tracker.models import Activity, Person

SECRET = "bench-secret-not-for-production"
WORKERS = 2
COORDINATOR = "coordinator@example.org"
#: What the bot is asked over HTTP (the chat page's own request), in turn.
CHAT_QUESTIONS = [
    "what's due this month",
    "overdue",
    "what does ILO lead",
    "what's in D2020-07",
    "status of 12.3 in D2020-05",
    "when is the handbook due",
    "when is the next IFMS",
    "what is delayed",
]


def free_port() -> int:
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
        cookie = app.session_interface.get_signing_serializer(app).dumps(session_claims(person))  # type: ignore[attr-defined]
        db.engine.dispose()
    return {"cookie": cookie, "api": api_token, "feed": feed_token, "activity": activity_id}


def start_server(url: str, port: int, log: Path, today: date = TODAY) -> subprocess.Popen[bytes]:
    """`tracker serve` with `WORKERS` workers and no scheduler, once it answers /readyz."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=SECRET,
        TRACKER_TODAY=today.isoformat(),
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
    deadline = time.monotonic() + 120
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


def load_average() -> float:
    """The one-minute load average (2 cores: above 2, something else competes for them)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def drain(base: str, quiet_ms: float = 5.0, within: float = 120.0) -> float:
    """Wait until the server answers /healthz at once three times in a row: the requests wrk
    abandoned at the end of a run have finished. Returns the seconds waited."""
    began = time.monotonic()
    quiet = 0
    while quiet < 3 and time.monotonic() - began < within:
        start = time.perf_counter()
        with urllib.request.urlopen(base + "/healthz", timeout=within) as answer:
            answer.read()
        quiet = quiet + 1 if (time.perf_counter() - start) * 1000 < quiet_ms else 0
        time.sleep(0.1)
    return time.monotonic() - began


def wrk(
    url: str,
    headers: dict[str, str],
    seconds: int,
    connections: int,
    paths: list[str] | None = None,
) -> dict[str, Any]:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "60s",
        "-s",
        str(ROOT / "bench" / "wrk_report.lua"),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    env = dict(os.environ)
    with tempfile.NamedTemporaryFile("w", suffix=".paths") as listed:
        if paths:
            listed.write("\n".join(paths) + "\n")
            listed.flush()
            env["WRK_PATHS"] = listed.name
        before = load_average()
        done = subprocess.run([*command, url], capture_output=True, text=True, check=True, env=env)
        after = load_average()
    report = json.loads(done.stdout.strip().splitlines()[-1])
    seconds_run = report["duration_us"] / 1e6
    return {
        "connections": connections,
        "rps": report["requests"] / seconds_run,
        "p50_ms": report["p50_us"] / 1000,
        "p95_ms": report["p95_us"] / 1000,
        "max_ms": report["max_us"] / 1000,
        "requests": report["requests"],
        "failed": report["socket_errors"] + report["bad_status"],
        "timeouts": report["timeouts"],
        "load_before": before,
        "load_after": after,
    }


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:  # a 304 is one too, for urllib
        return error.code, dict(error.headers), error.read()


def endpoints(creds: dict[str, Any], base: str) -> list[tuple[str, str, dict[str, str], Any]]:
    """(name, path, headers, paths to go round or None) of every endpoint measured."""
    page = {"Cookie": f"session={creds['cookie']}"}
    api = {"Authorization": f"Bearer {creds['api']}"}
    gzip = {"Accept-Encoding": "gzip"}
    group_feed = f"/calendar/{creds['feed']}/working-groups/D2020-01.ics"
    personal_feed = f"/calendar/{creds['feed']}.ics"
    status, headers, _body = _get(base + group_feed, {})
    assert status == 200, status
    etag, modified = headers["ETag"], headers["Last-Modified"]
    questions = ["/chat?partial=1&q=" + urllib.parse.quote(q, safe="") for q in CHAT_QUESTIONS]
    return [
        ("dashboard", "/", page, None),
        ("group dashboard", "/groups/D2020-01", page, None),
        ("filtered list", "/items?working_group=D2020-03&status=in_progress", page, None),
        ("entity list, what ILO leads", "/items?entity=ILO&leading=1", page, None),
        ("list, page 20", "/items?page=20", page, None),
        ("activity page", f"/activities/{creds['activity']}", page, None),
        ("timeline, one group", "/timeline?working_group=D2020-01", page, None),
        ("API list, due in 30 days", "/api/v1/items?due=30", api, None),
        ("API list, an entity", "/api/v1/items?entity=IOM", api, None),
        ("bot over HTTP (chat)", questions[0], page, questions),
        ("group feed, gzip", group_feed, gzip, None),
        ("group feed, plain", group_feed, {}, None),
        ("personal feed, gzip", personal_feed, gzip, None),
        ("group feed, 304 (If-None-Match)", group_feed, {"If-None-Match": etag}, None),
        ("group feed, 304 (If-Modified-Since)", group_feed, {"If-Modified-Since": modified}, None),
    ]


def measure(
    url: str, seconds: int = 10, connections: tuple[int, ...] = (2, 8, 32)
) -> dict[str, Any]:
    """Each endpoint at each number of connections, next to that run's floor; the feeds'
    first requests (each body's build) timed apart; the workers' peak RSS."""
    creds = _credentials(url)
    port = free_port()
    server = start_server(url, port, OUT / "serve.log")
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {"runs": {}, "first_requests_ms": {}}
    try:
        feed = f"/calendar/{creds['feed']}"
        firsts = [
            ("group feed (its build)", f"{feed}/working-groups/D2020-01.ics"),
            ("personal feed (its build)", f"{feed}.ics"),
        ]
        for name, path in firsts:  # before anything else asks for them
            began = time.perf_counter()
            status, _headers, _body = _get(base + path, {"Accept-Encoding": "gzip"})
            while status == 503 and time.perf_counter() - began < 300:  # still building
                time.sleep(0.5)
                status, _headers, _body = _get(base + path, {"Accept-Encoding": "gzip"})
            results["first_requests_ms"][name] = (time.perf_counter() - began) * 1000
            assert status == 200, (name, status)
        listed = endpoints(creds, base)
        for name, path, headers, _paths in listed:
            if "304" in name:
                continue
            began = time.perf_counter()
            status, _headers, _body = _get(base + path, headers)  # warm; a feed's build
            while status == 503 and time.perf_counter() - began < 300:  # still building
                time.sleep(0.5)
                status, _headers, _body = _get(base + path, headers)
            results["first_requests_ms"][name] = (time.perf_counter() - began) * 1000
            assert status == 200, (name, status)
        for count in connections:
            run: dict[str, Any] = {}
            for name, path, headers, paths in [("floor: /healthz", "/healthz", {}, None), *listed]:
                drained = drain(base)
                figures = wrk(base + path, headers, seconds, count, paths)
                figures["drained_s"] = drained
                run[name] = figures
                print(
                    f"  c{count:<3} {name:38} {figures['rps']:8.1f} req/s  p50 "
                    f"{figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
                    f"failed {figures['failed']}  load {figures['load_before']:.1f}"
                    f"->{figures['load_after']:.1f}"
                )
            floor = run["floor: /healthz"]["rps"]
            for figures in run.values():
                figures["of_floor"] = figures["rps"] / floor
            results["runs"][str(count)] = run
        results["worker_peak_rss_mb"] = {
            f"worker {pid}": _peak_rss_mb(pid) for pid in _workers(server)
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    return results
