"""Upgrading the schema keeps the logging a long-running process set up for itself."""

import logging

from tracker.cli.workplan import create_schema
from tracker.ops.request_log import RequestIdFilter


def test_migrations_leave_the_process_logging_alone(empty_app):
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    saved = (root.handlers[:], root.level)
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    try:
        with empty_app.app_context():
            create_schema()  # runs Alembic's env.py, whose alembic.ini would set WARN
        assert root.handlers == [handler] and root.level == logging.INFO
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
