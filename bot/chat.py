"""The chat page: ask the workplan in the browser, as in Slack, once signed in.

`/chat?q=...` answers in the page (and `&all=1` lists every item, which is where answers link
for the full list); the page's script asks `/chat?q=...&partial=1` so that the conversation
grows without reloading; `/chat/answer?q=...` gives the same JSON as `tracker ask --json`.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from bot.answer import Answer, answer, examples, item_facts, item_label, short_title
from bot.understand import Vocabulary
from tracker.auth import current_person, login_required
from tracker.clock import today
from tracker.extensions import db
from tracker.links import item_url

bp = Blueprint("chat", __name__, url_prefix="/chat")


def _ask() -> Answer | None:
    question = (request.args.get("q") or "").strip()
    if not question:
        return None
    return answer(
        db.session,
        question,
        today(),
        base_url=current_app.config["BASE_URL"],
        person=current_person(),
        everything=request.args.get("all") == "1",
    )


@bp.get("")
@login_required
def page() -> str:
    reply = _ask()
    helpers = {
        "item_url": item_url,
        "item_label": item_label,
        "item_facts": item_facts,
        "short_title": short_title,
    }
    if request.args.get("partial") == "1":
        return render_template("chat/answer.html", reply=reply, **helpers)
    return render_template(
        "chat/index.html",
        reply=reply,
        examples=examples(Vocabulary.load(db.session)),
        **helpers,
    )


@bp.get("/answer")
@login_required
def answer_json() -> tuple[dict[str, object], int] | dict[str, object]:
    reply = _ask()
    if reply is None:
        return {"error": "ask a question with ?q=, e.g. ?q=what's due this month"}, 400
    return reply.as_json()
