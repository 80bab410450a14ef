"""`bench/run`: every benchmark of issue 7 in one command, as JSON and as a table.

For each backend it prepares two programmes (the large one: 10,000 activities and 50,000
milestones; a small one, a tenth of it, for query counts) and measures:

* web: pages, API and feeds under load from wrk against `tracker serve`, next to the floor;
* bot: the answer time of a mixed set of questions;
* feeds: the full build of the whole programme's feed next to icalendar alone, and the 304;
* reminders: one scan and send to a local SMTP server, and `tracker scheduler`'s peak RSS;
* the dashboard's first request after a change, in process (wrk's requests change nothing);
* query counts of pages, feeds, answers and the reminder scan, on both sizes (they must match);
* memory: the web workers' peak RSS.

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

from bench import bot_answers, feeds, reminders, web_load
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
from tracker.auth.secrets import create_api_token
from tracker.extensions import db
from tracker.feeds.services import create_token
from tracker.models import Activity, Entity, Person

LARGE = Size(10_000, 50_000)
SMALL = Size(5_000, 25_000)

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
        cookie["person_id"] = person.id
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


def run_backend(backend: str, seconds: int, fresh: bool) -> dict[str, Any]:
    print(f"== {backend}")
    large = prepared_database(backend, LARGE, fresh)
    small = prepared_database(backend, SMALL, fresh)
    result: dict[str, Any] = {}
    print("- web under load")
    result["web"] = web_load.measure(large, seconds)
    print("- bot answers")
    result["bot"] = bot_answers.measure(large)
    print("- feeds in process")
    result["feeds"] = feeds.measure(large)
    print("- reminder scan and send")
    with reminders.throwaway(backend, POSTGRES_SERVER) as url:
        options = argparse.Namespace(
            today=reminders.SCAN_DAY, activities=LARGE.activities, milestones=LARGE.milestones
        )
        result["reminders"] = reminders.bench(backend, url, options)
    print("- dashboard after a change")
    result["dashboard_after_change"] = dashboard_after_change(large)
    print("- query counts")
    result["queries"] = {"small": query_counts(small), "large": query_counts(large)}
    return result


def table(results: dict[str, Any]) -> str:
    lines = ["| backend | measure | figure | target |", "| --- | --- | --- | --- |"]
    for backend, result in results["backends"].items():
        web = result["web"]["endpoints"]
        floor = web["floor: /healthz"]
        for name, figures in web.items():
            target = "floor" if figures is floor else "p95 < 100 ms"
            if "304" in name:
                target = ">= 80% of the floor's req/s"
            elif "full" in name:  # the target for a full feed is its build's ratio
                target = "full build <= 1.5x icalendar alone (below)"
            lines.append(
                f"| {backend} | {name} | {figures['rps']:.0f} req/s ({figures['of_floor']:.0%} of"
                f" floor), p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms,"
                f" {figures['failed']} failed | {target} |"
            )
        after = result["dashboard_after_change"]
        lines.append(
            f"| {backend} | dashboard, first request after a change, in process | p50 "
            f"{after['changed_p50_ms']:.0f} ms, p95 {after['changed_p95_ms']:.0f} ms (unchanged:"
            f" p50 {after['unchanged_p50_ms']:.0f} ms) | p95 < 100 ms |"
        )
        bot = result["bot"]
        lines.append(
            f"| {backend} | bot, {bot['answers']} answers | p50 {bot['p50_ms']:.1f} ms, p95"
            f" {bot['p95_ms']:.1f} ms | p95 < 100 ms |"
        )
        programme, poll = result["feeds"]["programme"], result["feeds"]["poll_304"]
        lines.append(
            f"| {backend} | feed, whole programme ({programme['events']} events, "
            f"{programme['mb']:.0f} MB), full build | {programme['full_build_s']:.1f} s vs "
            f"icalendar alone {programme['floor_s']:.1f} s: {programme['ratio']:.2f}x | <= 1.5x |"
        )
        lines.append(
            f"| {backend} | feed 304, in process | p50 {poll['p50_ms']:.2f} ms, p95 "
            f"{poll['p95_ms']:.2f} ms, {poll['queries']} statement(s) besides the poll's own | - |"
        )
        scan = result["reminders"]["large"]
        lines.append(
            f"| {backend} | reminder scan, {scan['reminders']:,} reminders in {scan['digests']} "
            f"digests | {scan['scan_seconds']:.2f} s | < 5 s |"
        )
        send = result["reminders"]["send"]
        lines.append(
            f"| {backend} | reminders sent over SMTP | {send['sent']} digests in "
            f"{send['send_seconds']:.2f} s | - |"
        )
        scheduler = result["reminders"]["scheduler"]
        lines.append(f"| {backend} | scheduler peak RSS | {scheduler['peak_rss_mb']:.0f} MB | - |")
        peak = max(result["web"]["worker_peak_rss_mb"].values())
        lines.append(f"| {backend} | web worker peak RSS | {peak:.0f} MB | < 150 MB |")
        small, large = result["queries"]["small"], result["queries"]["large"]
        for name in large:
            same = "same" if small[name] == large[name] else "GROWS"
            lines.append(
                f"| {backend} | queries, {name} | {small[name]} at {SMALL.label}, "
                f"{large[name]} at {LARGE.label} ({same}) | constant |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--seconds", type=int, default=10, help="wrk run per endpoint")
    parser.add_argument("--fresh", action="store_true", help="regenerate the programmes")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {subprocess.getoutput('nproc')} cores, "
        f"Python {platform.python_version()}",
        "backends": {},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for backend in backends:
        results["backends"][backend] = run_backend(backend, args.seconds, args.fresh)
        # kept as it is measured: a later backend that fails loses nothing of this one
        (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str))
    rendered = table(results)
    (OUT / "results.md").write_text(rendered + "\n")
    print(rendered)


if __name__ == "__main__":
    main()
