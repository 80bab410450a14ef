"""Events: mentions and direct messages answered in thread, and the App Home tab."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.answer import answer
from bot.slack.blocks import answer_blocks, escape
from bot.slack.home import publish_home
from bot.slack.people import identify
from bot.understand import asks_about_self
from tracker.clock import today
from tracker.extensions import db


def register(app: App) -> None:
    app.event("app_mention")(ack=acknowledge, lazy=[answer_mention])
    app.event("message", matchers=[is_direct_message])(
        ack=acknowledge, lazy=[answer_direct_message]
    )
    # edits, deletions, the bot's own posts: acknowledged so that Slack does not retry them
    app.event("message")(acknowledge)
    app.event("app_home_opened")(ack=acknowledge, lazy=[show_home])


def acknowledge(ack: Ack) -> None:
    ack()


def is_direct_message(event: dict[str, Any]) -> bool:
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:[^|>]*\|)?([^>]*)>")


def plain_text(slack_text: str) -> str:
    """A message as its author typed it: no mentions, links as their labels."""
    text = _LINK.sub(r"\1", _MENTION.sub(" ", slack_text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def conversation_key(event: dict[str, Any]) -> str:
    """A thread of a channel is one conversation; a direct message channel is one, threads and
    all (the bot answers a direct message in a thread of its own)."""
    if event.get("channel_type") == "im":
        return f"slack:{event['channel']}"
    return f"slack:{event['channel']}:{event.get('thread_ts') or event['ts']}"


def reply_in_thread(client: WebClient, event: dict[str, Any]) -> None:
    question = plain_text(event.get("text") or "")
    person = identify(client, event["user"]) if asks_about_self(question) else None
    db.session.commit()  # what identifying learnt
    reply = answer(
        db.session,
        question,
        today(),
        base_url=current_app.config["BASE_URL"],
        person=person,
        conversation=conversation_key(event),
    )
    db.session.commit()
    client.chat_postMessage(
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        text=escape(reply.text),
        blocks=answer_blocks(reply),
        unfurl_links=False,
        unfurl_media=False,
    )


def answer_mention(event: dict[str, Any], client: WebClient) -> None:
    reply_in_thread(client, event)


def answer_direct_message(event: dict[str, Any], client: WebClient) -> None:
    reply_in_thread(client, event)


def show_home(event: dict[str, Any], client: WebClient) -> None:
    if event.get("tab", "home") == "home":
        publish_home(client, event["user"])
