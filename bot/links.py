"""Links in answers: an item's page, and the full list, which asks the question again on the
chat page without the cut."""

from __future__ import annotations

from urllib.parse import urlencode

from tracker.domain.item import Item

CHAT_PATH = "/chat"


def chat_url(base_url: str, question: str, *, everything: bool = False) -> str:
    query = {"q": question, **({"all": "1"} if everything else {})}
    return f"{base_url.rstrip('/')}{CHAT_PATH}?{urlencode(query)}"


def item_question(item: Item) -> str:
    return f"status of {item.code} in {item.working_group}"


def list_url(base_url: str, question: str) -> str:
    return chat_url(base_url, question, everything=True)
