"""How fast the tracker's pages and API answer on a large programme.

Seeds the workplans, adds a synthetic programme with `tracker.demo.generate` (default 10,000
activities and 50,000 milestones in 20 working groups), then requests each page N times
through the WSGI app as a signed-in coordinator and prints p50/p95/max in milliseconds.

    .venv/bin/python bench/web_pages.py [--activities 10000] [--milestones 50000] [--runs 20]

Uses a throwaway SQLite database under bench/out/ (or TRACKER_TEST_DATABASE_URL's server).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import make_app, seed, throwaway_database  # noqa: E402
from tracker.auth.secrets import create_api_token  # noqa: E402
from tracker.demo import generate  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Activity, Person  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--milestones", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    with throwaway_database(out) as url:
        app = make_app(url, WTF_CSRF_ENABLED=False)
        started = time.perf_counter()
        seed(app)
        with app.app_context():
            generate(db.session, activities=args.activities, milestones=args.milestones)
            db.session.commit()
            coordinator = db.session.scalars(
                sa.select(Person).where(Person.email == "coordinator@example.org")
            ).one()
            token = create_api_token(db.session, coordinator, "bench")
            db.session.commit()
            person_id = coordinator.id
            some_activity = db.session.scalars(
                sa.select(Activity.id).order_by(Activity.id.desc()).limit(1)
            ).one()
        print(
            f"{args.activities} activities, {args.milestones} milestones "
            f"(+ seeds) ready in {time.perf_counter() - started:.1f} s on {url.split(':')[0]}"
        )
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie["person_id"] = person_id
        api = {"Authorization": f"Bearer {token}"}
        pages = [
            ("dashboard", "/", {}),
            ("group dashboard", "/groups/D2020-01", {}),
            ("items, first 100", "/items", {}),
            ("items, overdue", "/items?due=overdue", {}),
            ("items, entity + words", "/items?entity=ILO&leading=1&q=census", {}),
            ("timeline, one group", "/timeline?working_group=D2020-01", {}),
            ("timeline, all (first 300 rows)", "/timeline", {}),
            ("activity page", f"/activities/{some_activity}", {}),
            ("API items, 100", "/api/v1/items", api),
            ("API items, due 30 days", "/api/v1/items?due=30", api),
        ]
        print(f"{'page':34} {'p50':>8} {'p95':>8} {'max':>8}   (ms, {args.runs} runs)")
        for name, path, headers in pages:
            assert client.get(path, headers=headers).status_code == 200, path
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                response = client.get(path, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(f"{name:34} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
