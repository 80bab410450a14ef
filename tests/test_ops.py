"""Health, readiness, request ids, backup and restore, and upgrading a filled database."""

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tracker import MIGRATIONS_DIR, resource_dir
from tracker.cli.workplan import create_schema
from tracker.exchange import import_files
from tracker.extensions import db
from tracker.models import Activity, Status, StatusChange, WorkingGroup, read_content_state
from tracker.ops.request_log import RequestIdFilter

from .conftest import TEST_TODAY, make_app, seed


def test_health_and_readiness(client, session):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    session.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert "run `tracker db upgrade`" in not_ready.get_json()["reason"]


def test_request_id_is_echoed_or_made_up(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made.headers["X-Request-ID"]) == 32


def test_log_lines_carry_the_request_id():
    app = make_app("sqlite://")
    seen = []

    @app.get("/log-probe")
    def probe():
        logging.getLogger("tracker.probe").warning("inside")
        return "ok"

    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = lambda record: seen.append(record.request_id)
    logging.getLogger("tracker.probe").addHandler(handler)
    try:
        app.test_client().get("/log-probe", headers={"X-Request-ID": "req-42"})
    finally:
        logging.getLogger("tracker.probe").removeHandler(handler)
    assert seen == ["req-42"]


def _activity_count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Activity))


def test_backup_and_restore(empty_app, tmp_path):
    seed(empty_app)
    runner = empty_app.test_cli_runner()
    target = tmp_path / "copy.backup"
    result = runner.invoke(args=["backup", "-o", str(target)])
    assert result.exit_code == 0, result.output
    before = _activity_count(empty_app)
    with empty_app.app_context():
        db.session.execute(sa.delete(Activity).where(Activity.parent_id.is_not(None)))
        db.session.commit()
    assert _activity_count(empty_app) < before

    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert _activity_count(empty_app) == before
    [safety] = (Path(empty_app.instance_path) / "backups").glob("*-before-restore*")
    assert f"the data it replaced is in {safety}" in result.output


def test_restore_refuses_a_file_that_is_not_a_backup(empty_app, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all")
    result = empty_app.test_cli_runner().invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code == 1
    assert "not a tracker" in result.output or "pg_restore failed" in result.output


def test_upgrade_keeps_every_row_of_a_database_filled_at_the_previous_revision(empty_app):
    """Filled by today's code, then taken back one revision (as a release earlier would have
    left it), then upgraded: every row is still there."""
    counted = (Activity, StatusChange, WorkingGroup)
    with empty_app.app_context():
        create_schema()
        seeds = resource_dir("seeds")
        import_files(
            db.session, sorted(seeds.glob("*.toml")) + sorted(seeds.glob("*.csv")), TEST_TODAY
        )
        activity = db.session.scalars(sa.select(Activity).where(Activity.code == "3.4")).one()
        activity.status = Status.IN_PROGRESS
        db.session.commit()
        before = {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in counted
        }
        db.session.remove()  # as an operator would: no transaction open during the migration
        downgrade(directory=str(MIGRATIONS_DIR), revision="-1")
        upgrade(directory=str(MIGRATIONS_DIR))
        after = {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in counted
        }
        assert after == before and before["Activity"] > 40
        status = db.session.scalars(sa.select(Activity.status).where(Activity.code == "3.4"))
        assert status.one() == Status.IN_PROGRESS
        version, _ = read_content_state(db.session)
        activity = db.session.scalars(sa.select(Activity).where(Activity.code == "3.4")).one()
        activity.status = Status.COMPLETED
        db.session.commit()
        assert read_content_state(db.session)[0] == version + 1


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_sign_in(client, path):
    assert client.get(path).status_code == 200
