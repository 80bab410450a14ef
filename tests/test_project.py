"""The project's own consistency: migrations match the models, packaging ships every package."""

import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import check

from tracker import MIGRATIONS_DIR
from tracker.cli.workplan import create_schema
from tracker.extensions import db

ROOT = Path(__file__).parent.parent


def test_migrations_match_the_models(empty_app):
    with empty_app.app_context(), warnings.catch_warnings():
        # SQLAlchemy does not reflect SQLite's expression indexes (`lower(code)`), so only
        # PostgreSQL compares them; it says so in a warning, which pytest makes an error
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning
        )
        warnings.filterwarnings("ignore", "autogenerate skipping .* expression-based index")
        create_schema()
        check(directory=str(MIGRATIONS_DIR))  # raises if autogenerate would find a difference


def test_every_package_is_shipped():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("tracker", "bot")
        for p in (ROOT / top).rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject.toml: {sorted(found - listed)}"


def test_text_searches_have_their_indexes_on_postgresql(empty_app):
    """Without them a search word scans every milestone (bench/RESULTS.md, the bot)."""
    with empty_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's trigram indexes; SQLite has none")
        create_schema()
        names = set(
            db.session.scalars(
                sa.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%search'")
            )
        )
        db.session.remove()
    assert names == {
        f"ix_{table}_{column}_search"
        for table in ("activity", "milestone")
        for column in ("title", "description", "code")
    }


def test_a_web_worker_loads_no_document_library_until_one_is_asked_for():
    """python-docx (with lxml) and openpyxl cost a web worker tens of MB; they are loaded by
    the imports, exports and downloads that use them, and WeasyPrint by the PDFs."""
    probe = (
        "import sys; from tracker import create_app; "
        "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://', 'SECRET_KEY': 'x'}); "
        "print(sorted(m for m in ('docx', 'openpyxl', 'lxml', 'weasyprint') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]", done.stdout
