"""How long the web import's requests take at its limits, and how soon hostile files are refused.

The preview request stores the upload and runs the import in a rolled-back savepoint; the
apply request runs it again and commits. Both are timed here as the requests run them
(`store_upload`, `run_upload`), for a workplan of `WEB_LIMITS.rows` new activities as CSV and
as a Word document, on a fresh database with the seeds, on SQLite and PostgreSQL. Then the
time to refuse a 310 MB zip bomb and an XLSX with one 31 MB cell.

    .venv/bin/python -m bench.imports
"""

from __future__ import annotations

import io
import tempfile
import time
import zipfile
from pathlib import Path

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from bench.common import POSTGRES_SERVER, TODAY, app_for
from tracker import resource_dir
from tracker.cli.workplan import create_schema, seed_files
from tracker.config import normalize_database_url
from tracker.exchange import WEB_LIMITS, ImportFailed, import_files
from tracker.extensions import db
from tracker.manage.imports import run_upload, store_upload
from tracker.models import Person


def _csv(rows: int) -> bytes:
    lines = ["working_group,code,parent,title,entities,timeline"]
    lines += [
        f"WS1,9.{n},,Activity {n},ILO (World Bank),March 2021 – June 2022" for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def _docx(rows: int) -> bytes:
    from docx import Document

    document = Document()
    table = document.add_table(rows=rows + 1, cols=4)
    for cell, text in zip(
        table.rows[0].cells, ["Activity", "Lead", "Partners", "Timeline"], strict=True
    ):
        cell.text = text
    for n in range(rows):
        cells = table.rows[n + 1].cells
        cells[0].text, cells[1].text = f"{1000 + n}) Activity {n}", "ILO"
        cells[2].text, cells[3].text = "World Bank", "March 2021 – June 2022"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _database(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'imports.db'}"
    server = sa.make_url(normalize_database_url(POSTGRES_SERVER))
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql('DROP DATABASE IF EXISTS "tracker_bench_imports" WITH (FORCE)')
        conn.exec_driver_sql('CREATE DATABASE "tracker_bench_imports"')
    admin.dispose()
    return server.set(database="tracker_bench_imports").render_as_string(hide_password=False)


def measure(backend: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = app_for(_database(backend, Path(folder)), TESTING=True)
        with app.app_context(), app.test_request_context():
            create_schema()
            import_files(db.session, seed_files(resource_dir("seeds")), TODAY)
            db.session.commit()
            person = db.session.scalars(
                sa.select(Person).where(Person.email == "coordinator@example.org")
            ).one()
            for name, data, group in (
                ("ws1.csv", _csv(WEB_LIMITS.rows), None),
                ("ws1.docx", _docx(WEB_LIMITS.rows), "WS1"),
            ):
                began = time.perf_counter()
                upload = store_upload(
                    db.session, person, [FileStorage(io.BytesIO(data), name)], working_group=group
                )
                db.session.commit()
                outcome = run_upload(db.session, upload, person, TODAY, keep=False)
                preview = time.perf_counter() - began
                assert outcome.report is not None, outcome.errors[:3]
                began = time.perf_counter()
                run_upload(db.session, upload, person, TODAY, keep=True)
                db.session.commit()
                apply = time.perf_counter() - began
                print(
                    f"{backend:10} {name:9} {WEB_LIMITS.rows:,} rows, {len(data) / 1024:5.0f} KB: "
                    f"preview {preview:5.2f} s, apply {apply:5.2f} s"
                )
            db.engine.dispose()


def refusals() -> None:
    with tempfile.TemporaryDirectory() as folder:
        bomb = Path(folder) / "bomb.docx"
        bomb.write_bytes(_docx(3))
        with (
            zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as package,
            package.open("word/media/padding.bin", "w", force_zip64=True) as member,
        ):
            for _ in range(310):
                member.write(bytes(1024 * 1024))
        app = app_for(f"sqlite:///{Path(folder) / 'empty.db'}")
        with app.app_context():
            create_schema()
            began = time.perf_counter()
            try:
                import_files(db.session, [bomb], TODAY)
            except ImportFailed as exc:
                elapsed = (time.perf_counter() - began) * 1000
                print(
                    f"refused {bomb.stat().st_size / 1024:.0f} KB bomb in {elapsed:.1f} ms: {exc}"
                )
            db.engine.dispose()


if __name__ == "__main__":
    for backend in ("sqlite", "postgresql"):
        measure(backend)
    refusals()
