"""How slow the worst hostile string is: the timeline parser and the bot, each timed on
thousands of random and hostile strings (issue 18: none slower than 50 ms).

The strings are drawn as tests/test_hard_edges.py draws them (its words: dates, question
words, entities, "<script>", NUL, right-to-left marks, long runs of spaces), but with a fixed
seed, so every run times the same ones. The bot answers on the seed workplans (the database
every test starts from), after one warm-up answer that builds its vocabulary.

    .venv/bin/python -m bench.fuzz_timing [--strings 3000]
"""

from __future__ import annotations

import argparse
import contextlib
import random
import string
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import BASE_URL, TODAY, app_for, percentile
from bot.answer import answer
from tests.test_hard_edges import WORDS
from tracker import resource_dir
from tracker.cli.workplan import create_schema, seed_files
from tracker.exchange import import_files
from tracker.extensions import db
from tracker.timeline import TimelineError, parse_timeline

LIMIT_MS = 50.0


def hostile_strings(count: int, seed: int = 18) -> list[str]:
    """Random text, runs of known words, and strings of date characters, in equal parts."""
    rng = random.Random(seed)
    alphabet = string.printable + "éü漢🙂\u202e\x00–"
    found = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            found.append("".join(rng.choice(alphabet) for _ in range(rng.randrange(300))))
        elif kind == 1:
            found.append(" ".join(rng.choice(WORDS) for _ in range(rng.randrange(40))))
        else:
            found.append("".join(rng.choice("0123456789-–/ .,") for _ in range(rng.randrange(60))))
    return found


def timings(action: Callable[[str], object], texts: list[str]) -> list[tuple[float, str]]:
    found = []
    for text in texts:
        start = time.perf_counter()
        action(text)
        found.append(((time.perf_counter() - start) * 1000, text))
    return found


def _parse(text: str) -> None:
    with contextlib.suppress(TimelineError):  # the documented error is an answer too
        parse_timeline(text)


def show(name: str, found: list[tuple[float, str]]) -> None:
    times = [t for t, _ in found]
    slowest, text = max(found)
    over = sum(1 for t in times if t > LIMIT_MS)
    print(
        f"{name:16s} {len(times)} strings: p50 {percentile(times, 0.5):6.2f} ms, "
        f"p99 {percentile(times, 0.99):6.2f} ms, max {slowest:6.2f} ms; "
        f"over {LIMIT_MS:.0f} ms: {over}"
    )
    print(f"{'':16s} slowest: {text[:70]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strings", type=int, default=3000)
    args = parser.parse_args()
    texts = hostile_strings(args.strings)
    show("timeline parser", timings(_parse, texts))
    with tempfile.TemporaryDirectory() as tmp:
        app = app_for(f"sqlite:///{Path(tmp) / 'fuzz.db'}")
        with app.app_context():
            create_schema()
            import_files(db.session, seed_files(resource_dir("seeds")), TODAY)
            db.session.commit()

            def ask(text: str) -> None:
                answer(db.session, text, TODAY, base_url=BASE_URL)
                db.session.rollback()

            ask("warm up")
            asked = texts[: args.strings // 3]
            show("bot", timings(ask, asked))
            # the same strings again: SQLAlchemy has compiled each statement shape once (a text
            # search's SQL has a condition per word, so a new number of words is a new shape)
            show("bot, again", timings(ask, asked))
            db.engine.dispose()


if __name__ == "__main__":
    main()
