"""Sending the sign-in mail: queued with the request's data, delivered once the page is out.

The message is queued in the request's transaction and committed with it. Delivery is tried
once the response has been sent (`Response.call_on_close`), so the page answers as fast for
an unknown address as for a known one (no enumeration by timing) and a slow SMTP server does
not hold the page. A failed try leaves the message pending for the scheduler's sender.

`deliver_pending` closes the sessions it is given, so it gets its own, bound to what the
request's session is bound to: the engine in production; in tests that run inside a
rolled-back transaction, that transaction's connection (joined with savepoints, so the
sender's commits and rollbacks stay inside the test's transaction).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Response, current_app

from tracker import mail
from tracker.extensions import db

log = logging.getLogger(__name__)


def deliver_after_response(response: Response, message_ids: set[int]) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    bind = db.session.get_bind()

    def deliver() -> None:
        with app.app_context():
            try:
                mail.deliver_pending(
                    lambda: so.Session(bind=bind, join_transaction_mode="create_savepoint"),
                    app.config,
                    only_ids=message_ids,
                )
            except sa.exc.SQLAlchemyError:
                log.exception("sign-in mail %s stays pending for the sender", message_ids)

    response.call_on_close(deliver)
