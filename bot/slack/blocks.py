"""Block Kit layouts: answers, an item's status buttons, the App Home tab, modals, the digest."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.answer import Answer, item_facts, item_label, short_title
from bot.language import Language
from bot.links import chat_url, list_url
from tracker.domain.item import Item, ItemPage
from tracker.links import item_url
from tracker.models import Status
from tracker.timeline import format_date

Block = dict[str, Any]

#: Statuses a lead can set from Slack; "delayed" asks for a note first.
SLACK_STATUSES = (Status.IN_PROGRESS, Status.COMPLETED, Status.DELAYED)
_BUTTON_TEXT = {
    Status.IN_PROGRESS: "Mark in progress",
    Status.COMPLETED: "Mark completed",
    Status.DELAYED: "Mark delayed…",
}
DELAY_CALLBACK = "delay_note"
NOTE_BLOCK = "note"


def escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:2000]}]}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def choice_value(status: Status, item: Item) -> str:
    """What a button carries: the status, the item and the version the person saw."""
    return f"{status.value}:{item.kind}:{item.id}:{item.version}"


def status_buttons(item: Item) -> Block:
    elements = []
    for status in SLACK_STATUSES:
        button: Block = {
            "type": "button",
            "action_id": f"status_{status.value}",
            "text": _plain(_BUTTON_TEXT[status]),
            "value": choice_value(status, item),
        }
        if status == Status.COMPLETED:
            button["style"] = "primary"
        elements.append(button)
    return {"type": "actions", "block_id": f"status:{item.kind}:{item.id}", "elements": elements}


def status_menu(item: Item) -> Block:
    return {
        "type": "overflow",
        "action_id": "status_menu",
        "options": [
            {"text": _plain(_BUTTON_TEXT[status]), "value": choice_value(status, item)}
            for status in SLACK_STATUSES
        ],
    }


def item_section(
    item: Item, base_url: str, today: date, *, menu: bool = False, language: Language = "en"
) -> Block:
    link = f"*<{item_url(item, base_url)}|{escape(item_label(item))}>*"
    facts = escape(" · ".join(item_facts(item, today, language)))
    block = _section(f"{link} {escape(short_title(item.title))}\n{facts}")
    if menu:
        block["accessory"] = status_menu(item)
    return block


#: Items one message shows: Slack takes at most 50 blocks ("show all" asks for hundreds).
SLACK_ITEMS = 40


def answer_blocks(reply: Answer) -> list[Block]:
    blocks = [_section(f"*{escape(reply.heading)}*")]
    if reply.details:
        blocks.append(_section("\n".join(escape(line) for line in reply.details)))
    if reply.single:
        item = reply.items[0]
        blocks.append(_context(f"<{item_url(item, reply.base_url)}|Open in the tracker>"))
        blocks.append(status_buttons(item))
    else:
        blocks += [
            item_section(item, reply.base_url, reply.today, language=reply.language)
            for item in reply.items[:SLACK_ITEMS]
        ]
    footer = []
    more = reply.total - reply.offset - min(len(reply.items), SLACK_ITEMS)
    if more > 0 and not reply.single:
        url = reply.more_url or list_url(reply.base_url, reply.question)
        footer.append(f"…and {more} more: <{url}|see the full list>")
    footer += [escape(note) for note in reply.notes]
    if footer:
        blocks.append(_context("\n".join(footer)))
    return blocks


def item_list_blocks(
    title: str, page: ItemPage, question: str, base_url: str, today: date, *, menu: bool
) -> list[Block]:
    """A titled list with its count, the first items and a link to all of them."""
    blocks = [_section(f"*{escape(title)} ({page.total})*")]
    if not page.items:
        blocks.append(_context("Nothing."))
    blocks += [item_section(item, base_url, today, menu=menu) for item in page.items]
    if page.total > len(page.items):
        more = page.total - len(page.items)
        blocks.append(_context(f"…and {more} more: <{list_url(base_url, question)}|see them all>"))
    return blocks


def home_view(sections: list[Block], intro: str, base_url: str) -> dict[str, Any]:
    blocks: list[Block] = [
        {"type": "header", "text": _plain("Your workplan items")},
        _context(escape(intro)),
        *sections,
        {"type": "divider"},
        _context(
            "Ask me anything in a message or with `/workplan`, e.g. `/workplan what's due this "
            f"month`. <{chat_url(base_url, 'help')}|What can I ask?>"
        ),
    ]
    return {"type": "home", "blocks": blocks[:100]}


def delay_modal(item: Item, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": DELAY_CALLBACK,
        "private_metadata": json.dumps(metadata),
        "title": _plain("Mark delayed"),
        "submit": _plain("Save"),
        "close": _plain("Cancel"),
        "blocks": [
            _section(f"*{escape(item_label(item))}* {escape(short_title(item.title))}"),
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "label": _plain("What delays it?"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_BLOCK,
                    "multiline": True,
                    "max_length": 2000,
                },
                "hint": _plain("The note goes into the item's history, next to your name."),
            },
        ],
    }


def notice_modal(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": _plain("Workplan Tracker"),
        "close": _plain("OK"),
        "blocks": [_section(escape(text))],
    }


def digest_blocks(
    short_name: str, name: str, sections: list[Block], monday: date, base_url: str
) -> list[Block]:
    return [
        {"type": "header", "text": _plain(f"Weekly digest: {short_name}"[:150])},
        _context(f"{escape(name)} · week of {format_date(monday)}"),
        *sections,
        _context(
            f"<{list_url(base_url, f'what is in {short_name}')}|Everything open in {short_name}>"
        ),
    ][:50]
