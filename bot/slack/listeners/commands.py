"""`/workplan QUESTION`: answered in the acknowledgement itself, well inside Slack's 3 seconds.

A question about the asker ("what do I lead") from someone not yet matched to a person needs
the Web API (users.info) first: that one is acknowledged with a word of patience and answered
by a lazy listener through the command's response URL.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.answer import answer
from bot.slack.blocks import answer_blocks, escape
from bot.slack.people import identify, known_person
from bot.understand import asks_about_self
from tracker.clock import today
from tracker.extensions import db

COMMAND = "/workplan"
_DEFERRED = "tracker_deferred"


def register(app: App) -> None:
    app.command(COMMAND)(ack=answer_in_acknowledgement, lazy=[answer_after_lookup])


def answer_in_acknowledgement(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    question = command.get("text") or ""
    person = known_person(command["user_id"])
    if person is None and asks_about_self(question):
        context[_DEFERRED] = True  # copied into the lazy listener's context, which runs after
        ack(text="Looking you up in the tracker…", response_type="ephemeral")
        return
    reply = answer(
        db.session, question, today(), base_url=current_app.config["BASE_URL"], person=person
    )
    ack(text=escape(reply.text), blocks=answer_blocks(reply), response_type="ephemeral")


def answer_after_lookup(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    if not context.get(_DEFERRED):
        return
    person = identify(client, command["user_id"])
    reply = answer(
        db.session,
        command.get("text") or "",
        today(),
        base_url=current_app.config["BASE_URL"],
        person=person,
    )
    respond(
        text=escape(reply.text),
        blocks=answer_blocks(reply),
        response_type="ephemeral",
        replace_original=True,
    )
