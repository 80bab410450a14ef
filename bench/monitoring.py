"""The monitoring pages at 10,000 activities, in process, one request at a time: a round of
the largest synthetic group (226 items), its status page and report form, a group's progress
report and the programme-wide report, next to /healthz measured the same way in the same run.

    .venv/bin/python -m bench.monitoring
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench.common import app_for, percentile, prepared_database
from bench.harness import SIZES
from tracker.auth import session_claims
from tracker.domain.monitoring import open_round
from tracker.extensions import db
from tracker.models import Person, WorkingGroup

GROUP = "D2020-01"
REQUESTS = 10


def main() -> None:
    source = sa.make_url(prepared_database("sqlite", SIZES["10k"])).database
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "monitoring.db"
        shutil.copyfile(str(source), copy)
        app = app_for(f"sqlite:///{copy}", SECRET_KEY="bench", TODAY=date(2020, 7, 20))
        with app.app_context():
            group = db.session.scalars(
                sa.select(WorkingGroup).where(WorkingGroup.short_name == GROUP)
            ).one()
            round_ = open_round(
                db.session,
                group,
                None,
                label="2020, first half",
                period_start=date(2020, 1, 1),
                period_end=date(2020, 6, 30),
                due=date(2020, 7, 15),
                today=date(2020, 6, 1),
            )
            db.session.commit()
            round_id, items = round_.id, len(round_.items)
            person = db.session.scalars(
                sa.select(Person).where(Person.email == "coordinator@example.org")
            ).one()
            cookie = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
                session_claims(person)
            )
        client = app.test_client()
        client.set_cookie("session", cookie)
        print(f"round of {GROUP}: {items} items; load {os.getloadavg()[0]:.1f}")
        for name, path in [
            ("floor: /healthz", "/healthz"),
            ("rounds list", "/rounds/"),
            ("round status", f"/rounds/{round_id}"),
            ("round report form (all items)", f"/rounds/{round_id}/report"),
            ("group progress report, H1", f"/reports/{GROUP}?from=2020-01-01&to=2020-06-30"),
            ("programme report, 2020", "/reports/?from=2020-01-01&to=2020-12-31"),
        ]:
            client.get(path)  # warm: templates compiled, caches filled
            times = []
            for _ in range(REQUESTS):
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
            size = len(response.data) // 1024
            print(f"{name:32s} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  {size:4d} KB")
        print(f"load after {os.getloadavg()[0]:.1f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
