"""`bench/run`: every benchmark of issues 7 and 17 in one command, as JSON and as a table.

For each backend it prepares three programmes (the seeds plus `tracker demo-data`: 1,000,
10,000 and 50,000 activities, five milestones each) and measures:

* web at 10,000: pages, API, the bot over HTTP and feeds under wrk against `tracker serve`
  with 2 workers, at 2, 8 and 32 connections, each next to the floor (/healthz) of the same
  run, drained between runs, with the load average before and after;
* web at 50,000, at 8 connections: nothing fails or times out, and the workers' memory;
* scaling: each endpoint's cost at the three sizes, in process, and its ratio between them;
* bot: the answer time of a mixed set of questions, in process;
* feeds: the full build of the whole programme's feed next to icalendar alone (collector
  frozen in both), a personal feed's first build at 50,000 and its later requests, the 304;
* reminders: one scan and send to a local SMTP server, and `tracker scheduler`'s peak RSS;
* the dashboard's first request after a change, in process (wrk's requests change nothing);
* query counts of pages, feeds, answers and the reminder scan at two sizes (they must match).

Results go to bench/out/results.json and bench/out/results.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bench import bot_answers, feeds, reminders, scaling, web_load
from bench.common import (
    OUT,
    POSTGRES_SERVER,
    TODAY,
    Size,
    app_for,
    counting_queries,
    percentile,
    prepared_database,
    timed,
)
from bot.answer import answer
from tracker.auth import session_claims
from tracker.auth.secrets import create_api_token
from tracker.extensions import db
from tracker.feeds.services import create_token
from tracker.models import Activity, Entity, Person

SIZES = {"1k": Size(1_000, 5_000), "10k": Size(10_000, 50_000), "50k": Size(50_000, 250_000)}
LARGE = SIZES["10k"]
SMALL = SIZES["1k"]

PAGES = {
    "dashboard": "/",
    "filtered list": "/items?working_group=D2020-03&status=in_progress",
    "timeline, one group": "/timeline?working_group=D2020-01",
    "API list": "/api/v1/items?due=30",
}
QUESTIONS = ["what's due this month", "what does ILO lead", "overdue", "when is the next IFMS"]


def _signed_in(app: Flask) -> tuple[FlaskClient, Person]:
    """A test client signed in as the coordinator, and the coordinator (in an app context)."""
    client = app.test_client()
    person = db.session.scalars(
        sa.select(Person).where(Person.email == "coordinator@example.org")
    ).one()
    with client.session_transaction() as cookie:
        cookie.update(session_claims(person))
    return client, person


def dashboard_after_change(url: str, repeat: int = 20) -> dict[str, float]:
    """The dashboard's first request after a change, which counts its tallies afresh (the
    memo in `tracker/domain/items.py` keeps them per content state), next to the same page
    unchanged; in process, one request at a time."""
    app = app_for(url, WTF_CSRF_ENABLED=False)
    unchanged: list[float] = []
    changed: list[float] = []
    with app.app_context():
        client, _person = _signed_in(app)
        client.get("/")  # warm: the first request loads more
        for _ in range(repeat):
            unchanged += timed(lambda: client.get("/"), 1)
            # a write to a workplan table moves the content state on, as any edit does
            db.session.execute(sa.update(Entity).where(Entity.id == 1).values(name=Entity.name))
            db.session.commit()
            changed += timed(lambda: client.get("/"), 1)
        db.engine.dispose()
    return {
        "unchanged_p50_ms": percentile(unchanged, 0.5),
        "changed_p50_ms": percentile(changed, 0.5),
        "changed_p95_ms": percentile(changed, 0.95),
    }


def query_counts(url: str) -> dict[str, int]:
    """SQL statements per page, answer and scan (the activity page: the newest activity)."""
    from tracker.reminders.scan import plan

    app = app_for(url, WTF_CSRF_ENABLED=False)
    counts: dict[str, int] = {}
    with app.app_context():
        client, person = _signed_in(app)
        newest = db.session.scalars(sa.select(sa.func.max(Activity.id))).one()
        token = create_api_token(db.session, person, "query counts")
        db.session.commit()
        pages = {**PAGES, "activity page": f"/activities/{newest}"}
        api = {"Authorization": f"Bearer {token}"}
        for name, path in pages.items():
            client.get(path, headers=api)  # warm: the first request loads more
            with counting_queries(db.engine) as counter:
                assert client.get(path, headers=api).status_code == 200, path
            counts[f"page: {name}"] = len(counter.statements)
        _row, feed_token = create_token(db.session, person, f"query counts {time.time()}")
        db.session.commit()
        feed = f"/calendar/{feed_token}/working-groups/D2020-01.ics"
        etag = client.get(feed).headers["ETag"]  # records the token's use
        with counting_queries(db.engine) as counter:
            client.get(feed)
        counts["feed: one group, full"] = len(counter.statements)
        with counting_queries(db.engine) as counter:
            assert client.get(feed, headers={"If-None-Match": etag}).status_code == 304
        # the poll's one statement runs on its kept cursor, past the engine's events (polls.py)
        counts["feed: one group, 304, besides the poll"] = len(counter.statements)
        for question in QUESTIONS:
            with counting_queries(db.engine) as counter:
                answer(db.session, question, TODAY, base_url="http://tracker.bench")
            counts[f"answer: {question}"] = len(counter.statements)
            db.session.remove()
        with counting_queries(db.engine) as counter:
            plan(db.session, TODAY)
        counts["reminder scan (plan)"] = len(counter.statements)
        db.engine.dispose()
    return counts


PARTS = ("web", "web50k", "scaling", "bot", "feeds", "reminders", "dashboard", "queries")


def run_backend(backend: str, seconds: int, fresh: bool, parts: tuple[str, ...]) -> dict[str, Any]:
    print(f"== {backend}")
    urls = {label: prepared_database(backend, size, fresh) for label, size in SIZES.items()}
    result: dict[str, Any] = {}
    if "web" in parts:
        print("- web under load, 10k")
        result["web"] = web_load.measure(urls["10k"], seconds, (2, 8, 32))
    if "web50k" in parts:
        print("- web under load, 50k")
        result["web50k"] = web_load.measure(urls["50k"], seconds, (8,))
    if "scaling" in parts:
        print("- scaling")
        by_size = {label: scaling.measure(url) for label, url in urls.items()}
        result["scaling"] = {"costs_ms": by_size, "ratios": scaling.ratios(by_size)}
    if "bot" in parts:
        print("- bot answers")
        result["bot"] = bot_answers.measure(urls["10k"])
    if "feeds" in parts:
        print("- feeds in process")
        result["feeds"] = feeds.measure(urls["10k"])
        result["feeds"]["personal_10k"] = feeds.personal_feed(urls["10k"])
        result["feeds"]["personal_50k"] = feeds.personal_feed(urls["50k"])
    if "reminders" in parts:
        print("- reminder scan and send")
        with reminders.throwaway(backend, POSTGRES_SERVER) as url:
            options = argparse.Namespace(
                today=reminders.SCAN_DAY, activities=LARGE.activities, milestones=LARGE.milestones
            )
            result["reminders"] = reminders.bench(backend, url, options)
    if "dashboard" in parts:
        print("- dashboard after a change")
        result["dashboard_after_change"] = dashboard_after_change(urls["10k"])
    if "queries" in parts:
        print("- query counts")
        result["queries"] = {"small": query_counts(urls["1k"]), "large": query_counts(urls["10k"])}
    return result


def _web_lines(backend: str, label: str, web: dict[str, Any]) -> list[str]:
    lines = []
    for count, run in web["runs"].items():
        floor = run["floor: /healthz"]
        for name, figures in run.items():
            target = _target(name, int(count))
            lines.append(
                f"| {backend} | {label}, {count} conn. | {name} | {figures['rps']:.0f} req/s "
                f"({figures['of_floor']:.0%} of floor {floor['rps']:.0f}), p50 "
                f"{figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms (floor p95 "
                f"{floor['p95_ms']:.1f}), {figures['failed']} failed, load "
                f"{figures['load_before']:.1f}->{figures['load_after']:.1f} | {target} |"
            )
    for name, ms in web["first_requests_ms"].items():
        if "build" in name:
            target = "< 3 s at 50k" if "personal" in name else "-"
            lines.append(
                f"| {backend} | {label} | first request: {name} | {ms:.0f} ms | {target} |"
            )
    peak = max(web["worker_peak_rss_mb"].values())
    lines.append(f"| {backend} | {label} | web worker peak RSS | {peak:.0f} MB | < 150 MB |")
    return lines


def _target(name: str, connections: int) -> str:
    if name.startswith("floor"):
        return "floor"
    if "304" in name:
        return ">= 0.9x the floor's req/s"
    if "feed" in name:
        return "-"
    if connections == 2:
        return "p95 < 100 ms"
    if connections == 8:
        return "p95 < 150 ms"
    return "-"


def table(results: dict[str, Any]) -> str:
    lines = ["| backend | run | measure | figure | target |", "| --- | --- | --- | --- | --- |"]
    for backend, result in results["backends"].items():
        if "web" in result:
            lines += _web_lines(backend, "10k", result["web"])
        if "web50k" in result:
            lines += _web_lines(backend, "50k", result["web50k"])
        if "scaling" in result:
            costs, ratios = result["scaling"]["costs_ms"], result["scaling"]["ratios"]
            for name, ratio in ratios.items():
                figures = ", ".join(f"{costs[size][name]:.1f}" for size in costs)
                steps = ", ".join(f"{step} {value:.2f}x" for step, value in ratio.items())
                lines.append(
                    f"| {backend} | scaling, in process | {name} | {figures} ms at "
                    f"{', '.join(costs)}; {steps} | 50k/10k <= 1.5x |"
                )
        if "dashboard_after_change" in result:
            after = result["dashboard_after_change"]
            lines.append(
                f"| {backend} | 10k, in process | dashboard, first request after a change | p50 "
                f"{after['changed_p50_ms']:.0f} ms, p95 {after['changed_p95_ms']:.0f} ms "
                f"(unchanged: p50 {after['unchanged_p50_ms']:.0f} ms) | - |"
            )
        if "bot" in result:
            bot = result["bot"]
            lines.append(
                f"| {backend} | 10k, in process | bot, {bot['answers']} answers | p50 "
                f"{bot['p50_ms']:.1f} ms, p95 {bot['p95_ms']:.1f} ms | p95 < 100 ms |"
            )
        if "feeds" in result:
            programme, poll = result["feeds"]["programme"], result["feeds"]["poll_304"]
            lines.append(
                f"| {backend} | 10k, in process | feed, whole programme ({programme['events']} "
                f"events), full build, collector frozen | {programme['full_build_s']:.1f} s vs "
                f"icalendar alone {programme['floor_s']:.1f} s: {programme['ratio']:.2f}x "
                "| <= 1.3x |"
            )
            for size in ("10k", "50k"):
                personal = result["feeds"][f"personal_{size}"]
                lines.append(
                    f"| {backend} | {size}, in process | personal feed ({personal['events']} "
                    f"events, {personal['mb']:.1f} MB, {personal['gzip_mb']:.2f} MB gzip) | "
                    f"first build {personal['first_ms']:.0f} ms; later p50 "
                    f"{personal['later_p50_ms']:.1f} ms, p95 {personal['later_p95_ms']:.1f} ms "
                    f"(plain p50 {personal['plain_p50_ms']:.1f}) | first < 3 s, later < 20 ms |"
                )
            lines.append(
                f"| {backend} | 10k, in process | feed 304 | p50 {poll['p50_ms']:.2f} ms, p95 "
                f"{poll['p95_ms']:.2f} ms, {poll['queries']} statement(s) besides the poll's "
                "own | - |"
            )
        if "reminders" in result:
            scan = result["reminders"]["large"]
            lines.append(
                f"| {backend} | 10k | reminder scan, {scan['reminders']:,} reminders in "
                f"{scan['digests']} digests | {scan['scan_seconds']:.2f} s | < 5 s |"
            )
            send = result["reminders"]["send"]
            lines.append(
                f"| {backend} | 10k | reminders sent over SMTP | {send['sent']} digests in "
                f"{send['send_seconds']:.2f} s | - |"
            )
            scheduler = result["reminders"]["scheduler"]
            lines.append(
                f"| {backend} | 10k | scheduler peak RSS | {scheduler['peak_rss_mb']:.0f} MB | - |"
            )
        if "queries" in result:
            small, large = result["queries"]["small"], result["queries"]["large"]
            for name in large:
                same = "same" if small[name] == large[name] else "GROWS"
                lines.append(
                    f"| {backend} | queries | {name} | {small[name]} at {SMALL.label}, "
                    f"{large[name]} at {LARGE.label} ({same}) | constant |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--seconds", type=int, default=10, help="wrk run per endpoint")
    parser.add_argument("--fresh", action="store_true", help="regenerate the programmes")
    parser.add_argument(
        "--part", action="append", choices=PARTS, help="measure only this (repeat for more)"
    )
    args = parser.parse_args()
    parts = tuple(args.part or PARTS)
    backends = args.backend or ["sqlite", "postgresql"]
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {subprocess.getoutput('nproc')} cores, "
        f"Python {platform.python_version()}",
        "backends": {},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for backend in backends:
        results["backends"][backend] = run_backend(backend, args.seconds, args.fresh, parts)
        # kept as it is measured: a later backend that fails loses nothing of this one
        (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str))
    rendered = table(results)
    (OUT / "results.md").write_text(rendered + "\n")
    print(rendered)


if __name__ == "__main__":
    main()
