"""What each endpoint costs as the programme grows: 1,000, 10,000 and 50,000 activities (with
five milestones each), one request at a time in process, and the ratio between the sizes.

A cost that grows with the data although the query count does not is a scan or a sort of
everything, or rows loaded to be thrown away; the target is at most 1.5x from 10,000 to
50,000 for everything but feeds, which grow with their events. Each figure is the median of
`repeat` requests after two to warm up, next to /healthz in the same app.

    .venv/bin/python -m bench.scaling [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
import urllib.parse

import sqlalchemy as sa

from bench.common import BASE_URL, TODAY, app_for, prepared_database, timed
from bench.web_load import CHAT_QUESTIONS
from bot.answer import answer
from tracker.auth import session_claims
from tracker.auth.secrets import create_api_token
from tracker.extensions import db
from tracker.models import Activity, Person

PAGES = {
    "floor: /healthz": "/healthz",
    "dashboard": "/",
    "group dashboard": "/groups/D2020-01",
    "filtered list": "/items?working_group=D2020-03&status=in_progress",
    "entity list, what ILO leads": "/items?entity=ILO&leading=1",
    "list, page 20": "/items?page=20",
    "list, a word": "/items?text=handbook",
    "activity page": "/activities/{activity}",
    "timeline, one group": "/timeline?working_group=D2020-01",
    "API list, due in 30 days": "/api/v1/items?due=30",
    "API list, an entity": "/api/v1/items?entity=IOM",
    "chat page, one question": "/chat?partial=1&q=" + urllib.parse.quote("what does ILO lead"),
}


def measure(url: str, repeat: int = 10) -> dict[str, float]:
    """Median milliseconds per endpoint, and per bot question (in process, as `tracker ask`)."""
    app = app_for(url, WTF_CSRF_ENABLED=False)
    costs: dict[str, float] = {}
    with app.app_context():
        person = db.session.scalars(
            sa.select(Person).where(Person.email == "coordinator@example.org")
        ).one()
        token = create_api_token(db.session, person, f"scaling {time.time()}")
        newest = db.session.scalar(sa.select(sa.func.max(Activity.id)))
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie.update(session_claims(person))
        headers = {"Authorization": f"Bearer {token}"}
        for name, path in PAGES.items():
            path = path.format(activity=newest)
            for _ in range(2):
                assert client.get(path, headers=headers).status_code == 200, path
            costs[name] = statistics.median(
                timed(lambda path=path: client.get(path, headers=headers), repeat)
            )
        db.session.remove()
        for question in CHAT_QUESTIONS:
            answer(db.session, question, TODAY, base_url=BASE_URL)
            db.session.remove()

            def ask(question: str = question) -> None:
                answer(db.session, question, TODAY, base_url=BASE_URL)
                db.session.remove()

            costs[f"bot: {question}"] = statistics.median(timed(ask, repeat))
        db.engine.dispose()
    return costs


def ratios(by_size: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per endpoint, the cost at each size over the cost at the size before."""
    labels = list(by_size)
    found: dict[str, dict[str, float]] = {}
    for name in by_size[labels[0]]:
        found[name] = {
            f"{high}/{low}": by_size[high][name] / by_size[low][name]
            for low, high in itertools.pairwise(labels)
        }
    return found


def main() -> None:
    from bench.harness import SIZES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    by_size = {
        label: measure(prepared_database(args.backend, size), args.repeat)
        for label, size in SIZES.items()
    }
    print(json.dumps({"costs_ms": by_size, "ratios": ratios(by_size)}, indent=2))


if __name__ == "__main__":
    main()
