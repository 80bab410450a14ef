"""Load with writes: readers, leads updating status and a reminder run, all at once, against
`tracker serve` (gunicorn, two workers) on the test database (SQLite or PostgreSQL).

Every request must succeed (a stale version gets 409 and is retried after reading again, as a
client would), no update may be lost, and every update must be in the history afterwards.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from tests.reminders_support import start_tracker, stop, tracker_env, wait_for
from tests.test_mail import free_port
from tracker.auth import session_claims
from tracker.auth.secrets import create_api_token
from tracker.extensions import db
from tracker.models import Activity, Person, StatusChange, WorkingGroup

pytest_plugins = ("tests.reminders_fixtures",)

WRITERS = {  # who updates what: two coordinators' scripts share activities, to collide
    "coordinator@example.org": "WS1",
    "coordinator@example.org#2": "WS1",
    "ilo.focal-point@example.org": "ILO",
}
UPDATES_PER_WRITER = 12
READ_PATHS = ["/", "/items?working_group=WS1", "/timeline", "/items?due=overdue"]


def _request(
    url: str,
    *,
    token: str | None = None,
    cookie: str | None = None,
    body: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = f"session={cookie}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return response.status, json.loads(text) if token else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except urllib.error.URLError as exc:  # not listening (yet)
        return 0, str(exc)


@pytest.mark.slow
def test_readers_writers_and_a_reminder_run_at_the_same_time(committed_app, smtp, tmp_path):
    app = committed_app
    with app.app_context():
        people = {p.email: p for p in db.session.scalars(sa.select(Person))}
        tokens = {
            writer: create_api_token(db.session, people[writer.split("#")[0]], writer)
            for writer in WRITERS
        }
        ws1 = db.session.scalars(
            sa.select(Activity.id)
            .join(WorkingGroup)
            .where(WorkingGroup.short_name == "WS1")
            .order_by(Activity.sort_key)
            .limit(6)
        ).all()
        ilo = db.session.scalars(
            sa.select(Activity.id).where(Activity.entities_text.in_(["ILO", "ILO (World Bank)"]))
        ).all()
        targets = {
            writer: list(ws1) if scope == "WS1" else list(ilo) for writer, scope in WRITERS.items()
        }
        history_before = db.session.scalar(sa.select(sa.func.count()).select_from(StatusChange))
        reader = people["member@example.org"].id
        db.session.commit()
        cookie = app.session_interface.get_signing_serializer(app).dumps({"person_id": reader})
    assert len(ilo) >= 3 and len(ws1) == 6

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = tracker_env(app, tmp_path, TRACKER_SMTP_URL=smtp.url)
    serve = start_tracker(
        ["serve", "--port", str(port), "--workers", "2", "--no-seed", "--no-scheduler"],
        env,
        tmp_path / "serve.log",
    )
    done = threading.Event()
    reads: Counter[int] = Counter()
    failures: list[str] = []
    landed: list[tuple[int, str]] = []  # (activity id, note) of every update that landed
    conflicts = Counter[str]()
    lock = threading.Lock()
    # The two WS1 scripts read their first activity's version, then both write it: one of
    # them is certain to be stale, whatever the scheduling of the threads.
    both_have_read = threading.Barrier(2, timeout=60)

    def read() -> None:
        n = 0
        while not done.is_set():
            path = READ_PATHS[n % len(READ_PATHS)]
            status, _ = _request(base + path, cookie=cookie)
            with lock:
                reads[status] += 1
                if status != 200:
                    failures.append(f"GET {path}: {status}")
            n += 1

    def write(writer: str) -> None:
        token = tokens[writer]
        for i in range(UPDATES_PER_WRITER):
            activity_id = targets[writer][i % len(targets[writer])]
            note = f"{writer} update {i}"
            for attempt in range(30):
                status, item = _request(f"{base}/api/v1/activities/{activity_id}", token=token)
                if status != 200:
                    failures.append(f"GET activity {activity_id} as {writer}: {status} {item}")
                    return
                if WRITERS[writer] == "WS1" and i == 0 and attempt == 0:
                    both_have_read.wait()
                body = {
                    "status": ["in_progress", "delayed"][i % 2],
                    "note": note,
                    "version": item["version"],
                }
                status, result = _request(
                    f"{base}/api/v1/activities/{activity_id}/progress", token=token, body=body
                )
                if status == 409:  # someone else was quicker: read again, try again
                    with lock:
                        conflicts[writer] += 1
                    continue
                with lock:
                    if status == 200 and result["changed"]:
                        landed.append((activity_id, note))
                    else:
                        failures.append(f"update as {writer}: {status} {result}")
                break
            else:
                failures.append(f"{writer} gave up on {note}")

    try:
        wait_for(lambda: _request(f"{base}/readyz")[0] == 200, timeout=60, what="the server")
        readers = [threading.Thread(target=read) for _ in range(3)]
        writers = [threading.Thread(target=write, args=(w,)) for w in WRITERS]
        for thread in readers + writers:
            thread.start()
        run = start_tracker(["reminders", "run"], env, tmp_path / "reminders.log")
        for thread in writers:
            thread.join(120)
        assert run.wait(120) == 0, (tmp_path / "reminders.log").read_text()[-2000:]
        done.set()
        for thread in readers:
            thread.join(60)
    finally:
        done.set()
        stop(serve)

    assert failures == [], failures[:10]
    assert reads[200] > 20 and set(reads) == {200}
    assert len(landed) == UPDATES_PER_WRITER * len(WRITERS)  # none lost, none given up
    assert sum(conflicts.values()) >= 1  # the two coordinators' scripts did collide
    with app.app_context():
        entries = db.session.execute(
            sa.select(StatusChange.activity_id, StatusChange.note).where(
                StatusChange.source == "api"
            )
        ).all()
        assert Counter(map(tuple, entries)) == Counter(landed)  # each once, in the history
        total = db.session.scalar(sa.select(sa.func.count()).select_from(StatusChange))
        assert total == history_before + len(landed)


@pytest.mark.slow
def test_chat_answers_asked_at_once_all_succeed(committed_app, tmp_path):
    """A chat answer remembers its conversation, a write from a GET: eight conversations asking
    at once against two workers must all be answered (on SQLite a reading transaction that
    then writes failed with "database is locked" when another answer committed meanwhile)."""
    app = committed_app
    with app.app_context():
        member = db.session.scalar(sa.select(Person).where(Person.email == "member@example.org"))
        assert member is not None
        claims = session_claims(member)
        db.session.commit()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = start_tracker(
        ["serve", "--port", str(port), "--workers", "2", "--no-seed", "--no-scheduler"],
        tracker_env(app, tmp_path),
        tmp_path / "serve.log",
    )
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def ask(conversation: int) -> None:
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {**claims, "chat_conversation": f"load-{conversation}"}
        )
        for question in ["what's due this month", "and for IOM?", "only the overdue ones"] * 4:
            status, _ = _request(
                f"{base}/chat/answer?q={urllib.parse.quote(question)}", cookie=cookie
            )
            with lock:
                statuses[status] += 1

    try:
        wait_for(lambda: _request(f"{base}/readyz")[0] == 200, timeout=60, what="the server")
        askers = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
        for thread in askers:
            thread.start()
        for thread in askers:
            thread.join(120)
    finally:
        stop(serve)
    assert statuses == Counter({200: 8 * 12}), statuses
