"""The monitoring pages at 10,000 activities, served by `tracker serve` (gunicorn, two workers)
and loaded by wrk at 2 and 8 connections, next to /healthz measured the same way in the same
run: a round of the largest synthetic group (226 items), its status page, the report form of
its busiest lead and of a coordinator reporting for that lead (after choosing the lead on a
page of its own), a group's progress report and the programme-wide report.

    .venv/bin/python -m bench.monitoring [--seconds 5]   # needs wrk, which bench/run installs

Served, not in process: the workers freeze what they imported out of the garbage collector's
way, as users meet them, so their p95 is not an in-process run's collection pauses.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import signal
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import OUT, app_for, prepared_database
from bench.harness import SIZES
from bench.web_load import SECRET, drain, free_port, load_average, start_server, wrk
from tracker.auth import session_claims
from tracker.domain.monitoring import open_round
from tracker.extensions import db
from tracker.models import Entity, Person, PersonRole, WorkingGroup

GROUP = "D2020-01"
TODAY = date(2020, 7, 20)
CONNECTIONS = (2, 8)


def _open_round(url: str) -> dict[str, Any]:
    """A round of `GROUP` for 2020's first half, and the cookies of its coordinator and of the
    lead with the most items in it."""
    app = app_for(url, SECRET_KEY=SECRET, TODAY=TODAY)
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
        per_entity = collections.Counter(item.entity_id for item in round_.items)
        busiest, lead_items = per_entity.most_common(1)[0]
        coordinator = db.session.scalars(
            sa.select(Person).where(Person.email == "coordinator@example.org")
        ).one()
        lead = db.session.scalars(
            sa.select(Person).where(Person.entity_id == busiest).order_by(Person.id).limit(1)
        ).first()
        if lead is None:  # the synthetic entities have no people of their own
            entity = db.session.get(Entity, busiest)
            lead = Person(
                name=f"{entity.acronym} focal point",
                email=f"{entity.acronym.lower()}.focal-point@example.org",
                role=PersonRole.LEAD,
                entity=entity,
            )
            db.session.add(lead)
            db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        found = {
            "round": round_.id,
            "items": len(round_.items),
            "lead": lead.entity.acronym,
            "lead_items": lead_items,
            "coordinator_cookie": serializer.dumps(session_claims(coordinator)),
            "lead_cookie": serializer.dumps(session_claims(lead)),
        }
        db.engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    seconds = parser.parse_args().seconds
    source = sa.make_url(prepared_database("sqlite", SIZES["10k"])).database
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "monitoring.db"
        shutil.copyfile(str(source), copy)
        url = f"sqlite:///{copy}"
        found = _open_round(url)
        rid, lead = found["round"], found["lead"]
        as_coordinator = {"Cookie": f"session={found['coordinator_cookie']}"}
        as_lead = {"Cookie": f"session={found['lead_cookie']}"}
        pages = [
            ("floor: /healthz", "/healthz", {}),
            ("rounds list", "/rounds/", as_coordinator),
            ("round status", f"/rounds/{rid}", as_coordinator),
            (f"report form, {lead}'s lead", f"/rounds/{rid}/report", as_lead),
            (f"report form, for {lead}", f"/rounds/{rid}/report?entity={lead}", as_coordinator),
            ("report for a lead: the choice", f"/rounds/{rid}/report", as_coordinator),
            (
                "group progress report, H1",
                f"/reports/{GROUP}?from=2020-01-01&to=2020-06-30",
                as_coordinator,
            ),
            ("programme report, 2020", "/reports/?from=2020-01-01&to=2020-12-31", as_coordinator),
        ]
        # a period of its own for every request: each is worked out, none remembered
        periods = [
            f"/reports/{GROUP}?from=2020-01-01&to={date(2020, 6, 30) + timedelta(days=n)}"
            for n in range(1, 2001)
        ]
        each_anew = ("group progress report, a new period each", periods[0], as_coordinator)
        port = free_port()
        server = start_server(url, port, OUT / "monitoring-serve.log", today=TODAY)
        base = f"http://127.0.0.1:{port}"
        print(
            f"round of {GROUP}: {found['items']} items, {found['lead_items']} of them {lead}'s; "
            f"load {load_average():.1f}"
        )
        results: dict[str, Any] = {"round_items": found["items"], "runs": {}}
        try:
            for _name, path, headers in pages:  # warm: templates compiled, caches filled
                wrk(base + path, headers, 1, 1)
            for count in CONNECTIONS:
                run: dict[str, Any] = {}
                for name, path, headers in [*pages, each_anew]:
                    drain(base)
                    first = 1000 * CONNECTIONS.index(count)  # no run repeats another's
                    paths = periods[first : first + 1000] if path == periods[0] else None
                    figures = wrk(base + path, headers, seconds, count, paths)
                    assert paths is None or figures["requests"] < 1000, "periods went round"
                    assert figures["failed"] == 0, (name, figures)
                    run[name] = figures
                    print(
                        f"  c{count} {name:34s} p50 {figures['p50_ms']:7.1f} ms  p95 "
                        f"{figures['p95_ms']:7.1f} ms  {figures['rps']:7.1f} req/s  load "
                        f"{figures['load_before']:.1f}->{figures['load_after']:.1f}"
                    )
                results["runs"][str(count)] = run
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "monitoring.json").write_text(json.dumps(results, indent=2))
    print(f"load after {load_average():.1f}")


if __name__ == "__main__":
    main()
