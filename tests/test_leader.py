"""One leader among scheduler processes; a standby takes over when the leader is killed."""

import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from tracker.extensions import db
from tracker.ops.leader import LeaderLock

HOLDER = """
import sys, time
import sqlalchemy as sa
from tracker.ops.leader import LeaderLock
lock = LeaderLock(sa.make_url(sys.argv[1]), retry_seconds=0.1)
assert lock.acquire()
print("leading", flush=True)
time.sleep(120)
"""


def poll(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def url_of(app) -> sa.URL:
    with app.app_context():
        return db.engine.url


def test_only_one_holder_at_a_time(empty_app):
    url = url_of(empty_app)
    first, second = LeaderLock(url), LeaderLock(url)
    try:
        assert first.acquire() and first.still_held()
        assert not second.acquire()
        first.release()
        assert second.acquire()
    finally:
        first.release()
        second.release()


def test_standby_takes_over_when_the_leader_is_killed(empty_app):
    url = url_of(empty_app)
    leader = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url.render_as_string(hide_password=False)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    standby = LeaderLock(url, retry_seconds=0.1)
    try:
        assert leader.stdout.readline().strip() == "leading"
        assert not standby.acquire()
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)
        assert poll(standby.acquire), "the standby never took over"
    finally:
        leader.kill()
        leader.wait()
        leader.stdout.close()
        standby.release()
