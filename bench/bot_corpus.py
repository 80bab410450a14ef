"""Score the bot on question corpora (JSON Lines, in the format of bench/bot_corpus/README.md).

Each question is asked on one throwaway database holding the seed workplans (no question changes
the workplan), with the tracker's
clock pinned to the question's `today`; its `context` questions are asked first in the same
conversation, so follow-ups ("and for IOM?", "more") are answered as they would be in a Slack
thread. The answer is read as `tracker ask --json` gives it. Deterministic: the same corpus and
code give the same score.

    .venv/bin/python -m bench.bot_corpus bench/bot_corpus/dev.jsonl [more.jsonl ...] [-v]
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tracker import create_app, resource_dir
from tracker.cli.workplan import create_schema, seed_files
from tracker.exchange import import_files
from tracker.extensions import db

BASE_URL = "http://tracker.corpus"
EXPECT_CLAUSES = ("items", "items_include", "first", "text_contains", "empty", "not_understood")


@dataclass
class Outcome:
    question: dict[str, Any]
    reply: dict[str, Any]
    failures: list[str] = field(default_factory=list)

    @property
    def right(self) -> bool:
        return not self.failures


def fold(text: str) -> str:
    """Case- and accent-insensitive text, for `text_contains`."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", plain.casefold().replace("\u202f", " ").replace("\xa0", " "))


def read_corpus(paths: list[Path]) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                question = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not JSON ({exc})") from None
            for required in ("id", "lang", "today", "question", "expect"):
                if required not in question:
                    raise SystemExit(f"{path}:{number}: no {required!r}")
            unknown = set(question["expect"]) - set(EXPECT_CLAUSES)
            if unknown or not question["expect"]:
                raise SystemExit(f"{path}:{number}: expect clauses {sorted(unknown) or 'none'}")
            if question["id"] in seen:
                raise SystemExit(f"{path}:{number}: id {question['id']!r} appears twice")
            seen.add(question["id"])
            questions.append(question)
    return questions


def item_keys(reply: dict[str, Any]) -> list[str]:
    return [item.get("key") or f"{item['working_group']}:{item['code']}" for item in reply["items"]]


def understood(reply: dict[str, Any]) -> bool:
    """Whether the reply answers a question about the workplan (not help, not "I didn't get it")."""
    if isinstance(reply.get("understood"), dict):
        return bool(reply["understood"].get("answered"))
    return reply["intent"] not in ("unknown", "help")


def check(question: dict[str, Any], reply: dict[str, Any]) -> list[str]:
    """The expect clauses the reply breaks, each said in a few words."""
    expect, failures = question["expect"], []
    keys = item_keys(reply)
    text = fold(reply["text"])
    if "items" in expect and set(keys) != set(expect["items"]):
        missing, extra = set(expect["items"]) - set(keys), set(keys) - set(expect["items"])
        failures.append(f"items: missing {sorted(missing)}, extra {sorted(extra)}")
    if "items_include" in expect and not set(expect["items_include"]) <= set(keys):
        failures.append(
            f"items_include: missing {sorted(set(expect['items_include']) - set(keys))}"
        )
    if "first" in expect and (not keys or keys[0] != expect["first"]):
        failures.append(f"first: {keys[0] if keys else None} is not {expect['first']}")
    for fragment in expect.get("text_contains", []):
        if fold(fragment) not in text:
            failures.append(f"text_contains: no {fragment!r}")
    if expect.get("empty") and (keys or not understood(reply)):
        failures.append("empty: " + ("items given" if keys else "not understood"))
    if expect.get("not_understood") and (understood(reply) or keys):
        failures.append("not_understood: answered as understood")
    return failures


def score(questions: list[dict[str, Any]]) -> list[Outcome]:
    from bot.answer import answer

    conversational = "conversation" in inspect.signature(answer).parameters
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/corpus.db", "BASE_URL": BASE_URL}
        )
        outcomes = []
        with app.app_context():
            create_schema()
            import_files(db.session, seed_files(resource_dir("seeds")), date(2020, 1, 15))
            db.session.commit()
            for question in questions:
                today = date.fromisoformat(question["today"])
                app.config["TODAY"] = today
                extra = {"conversation": f"corpus:{question['id']}"} if conversational else {}
                for earlier in question.get("context", []):
                    answer(db.session, earlier, today, base_url=BASE_URL, **extra)
                    db.session.commit()
                if conversational:
                    extra["all_items"] = True
                reply = answer(db.session, question["question"], today, base_url=BASE_URL, **extra)
                db.session.commit()
                as_json = reply.as_json()
                outcomes.append(Outcome(question, as_json, check(question, as_json)))
            db.engine.dispose()
    return outcomes


def kinds(question: dict[str, Any]) -> list[str]:
    """The kinds a question counts under: follow-up, typo, out of scope, and what it expects."""
    found = []
    if question.get("context"):
        found.append("follow-up")
    expect = question["expect"]
    if expect.get("not_understood"):
        found.append("out-of-scope")
    elif expect.get("empty"):
        found.append("empty")
    elif "items" in expect or "items_include" in expect or "first" in expect:
        found.append("items")
    else:
        found.append("fact")
    note = question.get("note", "").lower()
    if "typo" in note:
        found.append("typo")
    return found


def report(outcomes: list[Outcome], verbose: bool) -> None:
    by_lang: dict[str, list[bool]] = defaultdict(list)
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for outcome in outcomes:
        by_lang[outcome.question["lang"]].append(outcome.right)
        for kind in kinds(outcome.question):
            by_kind[kind].append(outcome.right)
    right = sum(o.right for o in outcomes)
    print(f"all: {right}/{len(outcomes)} right ({100 * right / max(1, len(outcomes)):.1f}%)")
    for name, table in (("language", by_lang), ("kind", by_kind)):
        for key in sorted(table):
            marks = table[key]
            print(
                f"  {name} {key}: {sum(marks)}/{len(marks)} ({100 * sum(marks) / len(marks):.1f}%)"
            )
    failures = [o for o in outcomes if not o.right]
    if failures:
        print(f"\n{len(failures)} wrong:")
    for outcome in failures:
        q = outcome.question
        context = f" (after {' / '.join(q['context'])})" if q.get("context") else ""
        print(
            f"- {q['id']} [{q['today']}] {q['question']!r}{context}: {'; '.join(outcome.failures)}"
        )
        if verbose:
            for line in outcome.reply["text"].splitlines()[:6]:
                print(f"      | {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="+", type=Path, help="JSON Lines files of questions")
    parser.add_argument("-v", "--verbose", action="store_true", help="show wrong answers' text")
    parser.add_argument("-k", dest="only", help="only questions whose id contains this")
    args = parser.parse_args(argv)
    questions = read_corpus(args.corpora)
    if args.only:
        questions = [q for q in questions if args.only in q["id"]]
    report(score(questions), args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
