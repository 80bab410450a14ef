"""How long the bot takes to answer, on a 10,000-activity programme (issue 6: p95 < 100 ms).

A mixed set of questions is asked round after round on the benchmark programme (the seeds and
`tracker demo-data`: 10,000 activities and 50,000 milestones), each answer timed end to end:
understanding (with the typo correction against the vocabulary, which is built once per
content version and so once here, in the warm-up), the domain queries, the reply's text and its
Slack blocks, in a fresh session as a request has; follow-ups also read and write their
conversation. Part of `bench/run`; alone:

    .venv/bin/python -m bench.bot_answers [--backend sqlite|postgresql] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench.common import BASE_URL, TODAY, Size, app_for, percentile, prepared_database
from bot.answer import answer
from bot.slack.blocks import answer_blocks
from tracker.extensions import db

#: A mix of what people ask: windows, overdue, entities, groups, single items, help, nonsense.
QUESTIONS = [
    "what's due this month",
    "anything due next month?",
    "due this week",
    "due in March 2024",
    "what is due between March and June 2024",
    "due in 2025",
    "due soon",
    "what's coming up in the next 10 days",
    "overdue",
    "what's late",
    "what does ILO lead",
    "activities led by IOM",
    "show me WHO activities",
    "what is UNFPA leading that's due this year",
    "what's in D2020-07",
    "overdue in D2020-03",
    "what is delayed",
    "status of 3.2 in WS1",
    "status of 12.3 in D2020-05",
    "status of the rural migration module",
    "when is the handbook due",
    "when is the next IFMS",
    "help",
    "blah blah",
    # typos, French and Spanish, facts beyond lists, words it does not know (issue 14)
    "statsu of 3.2",
    "what is overdu for UNIECF",
    "Quelles activités l'OIT dirige-t-elle ?",
    "qu'est-ce qui arrive à échéance en mars 2024 ?",
    "¿Qué actividades están atrasadas?",
    "¿quién dirige el manual?",
    "which items does UNICEF take part in",
    "how many activities does UN DESA lead",
    "what time does the webinar start in New York",
    "who are the partners of 3.10",
    "tell me a joke",
]
#: Follow-ups, each asked in the conversation of the question before it.
FOLLOW_UPS = ["what does ILO lead", "and for IOM?", "more", "only the overdue ones"]


def measure(url: str, rounds: int = 5) -> dict[str, Any]:
    """p50/p95/max answer time over every question, `rounds` times each."""
    app = app_for(url)
    timings: dict[str, list[float]] = {q: [] for q in QUESTIONS}
    with app.app_context():
        for question in QUESTIONS:  # warm up: first connection, caches
            answer(db.session, question, TODAY, base_url=BASE_URL)
            db.session.remove()
        for _ in range(rounds):
            for question in QUESTIONS:
                began = time.perf_counter()
                reply = answer(db.session, question, TODAY, base_url=BASE_URL)
                answer_blocks(reply)
                timings[question].append((time.perf_counter() - began) * 1000)
                db.session.remove()
            for question in FOLLOW_UPS:
                began = time.perf_counter()
                reply = answer(db.session, question, TODAY, base_url=BASE_URL, conversation="bench")
                answer_blocks(reply)
                db.session.commit()
                timings.setdefault(f"(follow-up) {question}", []).append(
                    (time.perf_counter() - began) * 1000
                )
                db.session.remove()
        db.engine.dispose()
    every = [ms for values in timings.values() for ms in values]
    return {
        "answers": len(every),
        "p50_ms": percentile(every, 0.5),
        "p95_ms": percentile(every, 0.95),
        "max_ms": max(every),
        "slowest": sorted(
            ((q, statistics.median(v)) for q, v in timings.items()), key=lambda p: -p[1]
        )[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--milestones", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = prepared_database(args.backend, Size(args.activities, args.milestones))
    result = measure(url, args.rounds)
    print(
        f"{result['answers']} answers: p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f}"
        f" ms, max {result['max_ms']:.1f} ms (target: p95 < 100 ms)"
    )
    for question, median in result["slowest"]:
        print(f"  slowest: {question!r}, median {median:.1f} ms")


if __name__ == "__main__":
    main()
