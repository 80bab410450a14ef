"""What every benchmark needs: a large programme in a database, percentiles, query counts.

`prepared_database` fills a database once per size and backend (seeds plus `tracker.demo`)
and keeps it between runs under bench/out/ (SQLite) or as `tracker_bench_<size>` (PostgreSQL;
`BENCH_POSTGRES_PREFIX` changes the prefix), so that a second run measures at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from tracker import create_app, resource_dir
from tracker.cli.workplan import create_schema, seed_files
from tracker.config import normalize_database_url
from tracker.demo import generate
from tracker.exchange import import_files
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
#: The day the benchmarks live on: the synthetic programme runs from 2018 to 2028.
TODAY = date(2024, 3, 1)
BASE_URL = "http://tracker.bench"
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
#: The PostgreSQL programmes are databases named `<prefix>_<size>`: another prefix keeps
#: the programmes of two checkouts (two schemas) on one server apart.
POSTGRES_PREFIX = os.environ.get("BENCH_POSTGRES_PREFIX", "tracker_bench")


@dataclass(frozen=True)
class Size:
    activities: int
    milestones: int

    @property
    def label(self) -> str:
        return f"{self.activities}a{self.milestones}m"


def app_for(url: str, **config: Any) -> Flask:
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TODAY": TODAY, "BASE_URL": BASE_URL, **config}
    )


def prepared_database(backend: str, size: Size, fresh: bool = False) -> str:
    """A database URL holding the seeds and a synthetic programme of `size`."""
    if backend == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"bench-{size.label}.db"
        url = f"sqlite:///{path}"
        if fresh or not path.exists():
            for stale in OUT.glob(f"{path.name}*"):
                stale.unlink()
            _fill(url, size)
        return _upgraded(url)
    server = sa.make_url(normalize_database_url(POSTGRES_SERVER))
    name = f"{POSTGRES_PREFIX}_{size.label}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if fresh and exists:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        if fresh or not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    if fresh or not exists:
        _fill(url, size)
    return _upgraded(url)


def _upgraded(url: str) -> str:
    """A programme kept from an earlier run, at the newest migration, vacuumed on PostgreSQL.

    A served database is vacuumed by autovacuum soon after a bulk load; until then every
    index-only scan (the dashboard's counts) also reads the table. The test server runs
    without autovacuum, so the benchmark does what it would have done (quick once done).
    """
    app = app_for(url)
    with app.app_context():
        create_schema()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM (ANALYZE)")
        db.engine.dispose()
    return url


def _fill(url: str, size: Size) -> None:
    app = app_for(url)
    started = time.perf_counter()
    with app.app_context():
        create_schema()
        import_files(db.session, seed_files(resource_dir("seeds")), TODAY)
        generate(db.session, activities=size.activities, milestones=size.milestones)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    print(
        f"  filled {url.split('@')[-1]} with {size.label} in {time.perf_counter() - started:.0f} s"
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.statements.append(statement)


@contextmanager
def counting_queries(engine: sa.Engine) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` runs."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return times
