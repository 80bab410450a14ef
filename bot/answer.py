"""Answers: the items a question asks for, found through the domain layer, and a short reply.

Every front end (Slack, the chat page, `tracker ask`) calls `answer` and shows the same reply:
a heading, the top items with their dates written as people write them, and a link to the
full list when there are more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from bot.links import list_url
from bot.understand import Intent, Query, Vocabulary, understand, word_set
from tracker.domain.items import Item, ItemFilter, find_items
from tracker.links import item_url
from tracker.models import Person, Precision, StatusChange

#: Items an answer lists before it links to the full list.
TOP = 5
#: Longer questions are not questions; the rest is not read.
MAX_QUESTION = 500
#: Title words searched for at most; more narrow nothing down.
MAX_TITLE_WORDS = 8
#: Candidates an item's title words are matched against.
SEARCH_LIMIT = 50
#: With `everything`: the most the full list shows.
FULL_LIST_LIMIT = 500

#: What a workplan's numbering looks like: "3.2", "TF1", "36(a)-M1", "Output 1.2 (1)".
_CODE = re.compile(r"^(?=.*\d)[\w.()-]+(?: [\w.()-]+){0,2}$")
_TITLE_STOPWORDS = word_set(
    "the a an of on in for to and or with by at from our this that is are its"
)


@dataclass
class Answer:
    """A reply: `text` for people; the parts for front ends that lay it out (Slack blocks)."""

    question: str
    intent: Intent
    heading: str
    items: list[Item] = field(default_factory=list)
    #: How many items match in all; `items` holds the first few.
    total: int = 0
    #: Lines under the heading: one item's details.
    details: list[str] = field(default_factory=list)
    #: Lines after the items: what else to ask, what was left out.
    notes: list[str] = field(default_factory=list)
    more_url: str | None = None
    #: The answer is about one item, which a lead may update from where it is shown.
    single: bool = False
    base_url: str = ""
    today: date = date.min

    @property
    def text(self) -> str:
        lines = [self.heading, *self.details]
        if self.single:
            lines.append(f"Link: {item_url(self.items[0], self.base_url)}")
        else:
            lines += [f"• {item_line(item, self.today)}" for item in self.items]
        if self.more_url:
            lines.append(f"…and {self.total - len(self.items)} more: {self.more_url}")
        lines += self.notes
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "text": self.text,
            "items": [item_json(item, self.base_url) for item in self.items],
        }


def item_json(item: Item, base_url: str) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "code": item.code,
        "title": item.title,
        "working_group": item.working_group,
        "due": item.due.isoformat() if item.due else None,
        "status": item.status.value,
        "leads": list(item.leads),
        "url": item_url(item, base_url),
    }


def answer(
    session: so.Session,
    question: str,
    today: date,
    *,
    base_url: str,
    person: Person | None = None,
    everything: bool = False,
) -> Answer:
    """Answer a question. `person` is who asks ("what do I lead"); `everything` lists all items."""
    question = question.strip()[:MAX_QUESTION]
    vocabulary = Vocabulary.load(session)
    query = understand(question, vocabulary, today)
    blank = Answer(question, query.intent, "", base_url=base_url, today=today)
    if query.intent == "help":
        return _help(blank, query, vocabulary)
    if query.intent == "unknown":
        return _unknown(blank, query, vocabulary)
    if query.intent in ("item", "next_occurrence"):
        return _one_item(session, blank, query, vocabulary)
    limit = FULL_LIST_LIMIT if everything else TOP
    return _list(session, blank, query, person, limit, vocabulary)


# --- lines ------------------------------------------------------------------------------------


def short_title(title: str, length: int = 90) -> str:
    title = title.strip().rstrip(".")
    if len(title) <= length:
        return title
    return title[: length - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def item_label(item: Item) -> str:
    return f"{item.working_group} {item.code}"


def item_facts(item: Item, today: date) -> list[str]:
    """ "due June 2020" (or a meeting's dates and place), "overdue", the leads, the status."""
    if item.kind == "milestone" and item.milestone_kind == "meeting" and item.start:
        facts = [item.when + (f", {item.location}" if item.location else "")]
    elif item.due is None:
        facts = [item.when if item.ongoing else "no date"]
    else:
        facts = [f"due {item.due_text}"]
    if item.is_overdue(today):
        facts.append("overdue")
    if item.leads:
        shown = ", ".join(item.leads[:3])
        facts.append(shown + (f" +{len(item.leads) - 3}" if len(item.leads) > 3 else ""))
    facts.append(item.status.label)
    return facts


def item_line(item: Item, today: date) -> str:
    return f"{item_label(item)} {short_title(item.title)} — {' · '.join(item_facts(item, today))}"


# --- lists ------------------------------------------------------------------------------------


def _list(
    session: so.Session,
    reply: Answer,
    query: Query,
    person: Person | None,
    limit: int,
    vocabulary: Vocabulary,
) -> Answer:
    entity = query.entity
    if query.intent == "mine":
        if person is None:
            reply.heading = (
                "I need to know who you are to answer that: ask me in Slack, or on the chat page "
                "once signed in."
            )
            return reply
        if person.entity is None:
            reply.heading = (
                f"{person.name} is not linked to an entity in the tracker, so no items are theirs "
                "to lead; a coordinator can link them."
            )
            return reply
        entity = person.entity.acronym
    window = query.window
    open_only = query.open_only or bool(window and window.open_only)
    if not window and not query.overdue and not query.statuses:
        open_only = True  # a list with no window and no status in mind shows what is left to do
    flt = ItemFilter(
        working_group=query.working_group,
        entity=entity,
        leading_only=query.leading and entity is not None,
        statuses=query.statuses,
        text=query.text,
        kinds=query.kinds,
        due_from=window.start if window else None,
        due_to=window.end if window else None,
        overdue=query.overdue,
        open_only=open_only,
    )
    page = find_items(session, flt, reply.today, limit=limit)
    reply.items, reply.total = page.items, page.total
    reply.heading = _list_heading(page.total, query, flt, vocabulary)
    if page.total > len(page.items):
        reply.more_url = list_url(reply.base_url, reply.question)
    if page.total == 0 and query.unknown_name:
        reply.notes.append(_unknown_name_note(query))
    if query.other_entities:
        reply.notes.append(
            f"That is for {entity} only; ask again for {', '.join(query.other_entities)}."
        )
    return reply


def _list_heading(total: int, query: Query, flt: ItemFilter, vocabulary: Vocabulary) -> str:
    """ "3 open items that ILO leads, due this month (January 2020):", "No overdue items."."""
    adjectives = []
    if flt.overdue:
        adjectives.append("overdue")
    adjectives += sorted(s.label for s in flt.statuses)
    if flt.open_only and not adjectives and not query.window:
        adjectives.append("open")
    noun = {frozenset({"activity"}): "activity", frozenset({"milestone"}): "milestone"}.get(
        flt.kinds, "item"
    )
    scope = []
    if flt.entity:
        own = " (your entity)" if query.intent == "mine" else ""
        scope.append(
            f"that {flt.entity}{own} leads" if flt.leading_only else f"involving {flt.entity}"
        )
    if flt.working_group:
        name = vocabulary.group_full_names.get(flt.working_group)
        scope.append(f"in {flt.working_group}" + (f" ({name})" if name else ""))
    if flt.text:
        scope.append(f"mentioning “{flt.text}”")
    if query.window:
        scope.append(f"due {query.window.label}")
    words = " ".join(["No" if total == 0 else str(total), *adjectives, _plural(noun, total)])
    return words + (" " + ", ".join(scope) if scope else "") + ("." if total == 0 else ":")


def _plural(noun: str, n: int) -> str:
    if n == 1:
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


# --- one item ---------------------------------------------------------------------------------


def _one_item(session: so.Session, reply: Answer, query: Query, vocabulary: Vocabulary) -> Answer:
    assert query.subject is not None
    found, by_code = _candidates(session, query, reply.today)
    if not found:
        if query.loose:
            return _unknown(reply, query, vocabulary)
        where = f" in {query.working_group}" if query.working_group else ""
        reply.heading = (
            f"I couldn't find an activity or milestone “{query.subject}”{where}. Try its code "
            "(“status of 3.2”) or a few words of its title."
        )
        return reply
    groups = {item.working_group for item in found}
    if by_code and len(groups) > 1:
        reply.heading = f"{len(found)} items are numbered “{query.subject}”:"
        reply.items, reply.total = found[:TOP], len(found)
        example = f"{query.subject} in {found[0].working_group}"
        reply.notes.append(f"Ask with the working group, e.g. “status of {example}”.")
        return reply

    best, others = found[0], found[1:4]
    reply.intent = "next_occurrence" if query.aspect == "next" else "item"
    reply.single = True
    reply.items = [best]
    reply.total = 1
    reply.heading = _item_heading(best, query, reply.today)
    reply.details = _item_details(session, best, reply.today)
    if others:
        reply.notes.append(
            "Also matching: "
            + "; ".join(
                f"{item_label(o)} {short_title(o.title, 60)} ({item_facts(o, reply.today)[0]})"
                for o in others
            )
        )
    return reply


def _candidates(session: so.Session, query: Query, today: date) -> tuple[list[Item], bool]:
    """Items the subject names: by code first, else by the words of their titles, best first.

    For "when" and "next" questions, of equally good title matches the dated ones come first,
    and for "next" the one whose next date comes soonest.
    """
    assert query.subject is not None
    subject = query.subject
    base = ItemFilter(working_group=query.working_group)
    # a code has a digit ("3.2", "TF1", "Output 1.2 (1)"); a code without one is also a word
    # of the title search below, which matches codes exactly
    codes = [subject] if _CODE.match(subject) and len(subject) <= 20 else []
    first = subject.split()[0]
    if first != subject and _CODE.match(first):
        codes.append(first)  # "3.2 remittances"
    for code in codes:
        page = find_items(session, replace(base, code=code), today, limit=SEARCH_LIMIT)
        if page.items:
            return page.items, True
    found = re.findall(r"\w[\w-]*", subject.lower())
    words = list(dict.fromkeys(w for w in found if w not in _TITLE_STOPWORDS))[:MAX_TITLE_WORDS]
    if not words:
        return [], False
    page = find_items(session, replace(base, text=" ".join(words)), today, limit=SEARCH_LIMIT)

    def rank(item: Item) -> tuple[int, ...]:
        title = item.title.lower()
        title_words = set(re.findall(r"\w[\w-]*", title))
        quality = (
            sum(w in title_words for w in words),
            sum(w in title for w in words),
        )
        if query.aspect == "next":
            coming = item.due is not None and item.due >= today
            soonest = -(item.due.toordinal() if item.due and coming else date.max.toordinal())
            return (*quality, int(coming), soonest, int(item.kind == "milestone"))
        dated = int(query.aspect == "when" and item.due is not None)
        return (*quality, dated, int(title.startswith(words[0])), -len(title))

    return sorted(page.items, key=rank, reverse=True), False


def _item_heading(item: Item, query: Query, today: date) -> str:
    name = f"{short_title(item.title)} ({item_label(item)})"
    if query.aspect == "who":
        leads = ", ".join(item.leads)
        return f"{name} is led by {leads}." if leads else f"{name} names no lead entity."
    if query.aspect == "next":
        if item.due is None or item.due < today:
            return f"{name} has no date after today; it was last on {item.when}."
        place = f" in {item.location}" if item.location else ""
        on = "on" if item.start_precision == Precision.DAY else "in"
        title = short_title(item.title)
        return f"The next {title} is {on} {item.when}{place} ({item_label(item)})."
    if query.aspect == "when":
        return f"{name} {_when_sentence(item, today)}"
    return f"{item_label(item)} {short_title(item.title)}: {item.status.label}."


def _when_sentence(item: Item, today: date) -> str:
    if item.kind == "milestone" and item.milestone_kind == "meeting" and item.start:
        place = f" in {item.location}" if item.location else ""
        tense = "takes place" if (item.end or item.start) >= today else "took place"
        return f"{tense} {item.when}{place}."
    if item.due is None:
        return "is ongoing, with no end date." if item.ongoing else "has no date in the workplan."
    if item.due >= today:
        return f"is due {item.due_text}."
    if item.is_overdue(today):
        return f"was due {item.due_text} and is overdue ({item.status.label})."
    return f"was due {item.due_text} ({item.status.label})."


def _item_details(session: so.Session, item: Item, today: date) -> list[str]:
    lines = [f"Status: {item.status.label}" + (" · overdue" if item.is_overdue(today) else "")]
    when = item.when
    if item.timeline_text and item.timeline_text.strip().lower() != when.lower():
        when += f" (the workplan says “{item.timeline_text.strip()}”)"
    lines.append(f"When: {when}" + (f", due {item.due_text}" if item.due else ""))
    if item.location:
        lines.append(f"Where: {item.location}")
    lines.append(f"Led by: {', '.join(item.leads) or 'no lead entity named'}")
    lines.append(f"Working group: {item.working_group_name} ({item.working_group})")
    last = _last_change(session, item)
    if last is not None:
        note = f": “{last.note}”" if last.note else ""
        lines.append(
            f"Last update: {last.to_status.label}, by {last.actor} ({last.source}) on "
            f"{last.changed_at.date().day} {last.changed_at:%B %Y}{note}"
        )
    return lines


def _last_change(session: so.Session, item: Item) -> StatusChange | None:
    """The latest update of the item, not counting its creation."""
    column = StatusChange.activity_id if item.kind == "activity" else StatusChange.milestone_id
    return session.scalars(
        sa.select(StatusChange)
        .where(column == item.id, StatusChange.from_status.is_not(None))
        .order_by(StatusChange.id.desc())
        .limit(1)
    ).first()


# --- help -------------------------------------------------------------------------------------


def examples(vocabulary: Vocabulary) -> list[str]:
    """Questions to try, with names this tracker knows."""
    known = set(vocabulary.entity_names.values())
    entities = [a for a in ("ILO", "IOM", "UNFPA") if a in known] or sorted(known)[:3]
    groups = vocabulary.group_short_names
    group = "WS1" if "WS1" in groups else groups[0] if groups else ""
    lines = [
        "what's due this month · due next week · due soon · coming up in the next 10 days",
        "due in March 2020 · due between March and June 2020 · due in 2021",
        "what's overdue · what's late",
    ]
    if entities:
        first, second, third = (entities * 3)[:3]
        lines.append(
            f"what does {first} lead · activities led by {second} · what is {third} leading "
            "that's due this year"
        )
    if group:
        lines.append(f"what's in {group} · overdue in {group}")
    lines.append("status of 3.2 · when is the handbook due · when is the next IFMS")
    lines.append("what do I lead · my items due this month")
    return lines


def _help(reply: Answer, query: Query, vocabulary: Vocabulary) -> Answer:
    hello = "Hello! " if query.greeting else ""
    reply.heading = f"{hello}I answer questions about the workplans. For example:"
    reply.details = [f"• {line}" for line in examples(vocabulary)]
    return reply


def _unknown(reply: Answer, query: Query, vocabulary: Vocabulary) -> Answer:
    reply.intent = "unknown"
    if query.unknown_name:
        reply.heading = _unknown_name_note(query)
    else:
        reply.heading = f"Sorry, I didn't understand “{reply.question.strip()}”."
    reply.details = ["Here is what I can answer, for example:"]
    reply.details += [f"• {line}" for line in examples(vocabulary)]
    return reply


def _unknown_name_note(query: Query) -> str:
    hint = f" Did you mean {' or '.join(query.suggestions)}?" if query.suggestions else ""
    return f"I don't know an entity or working group called “{query.unknown_name}”.{hint}"
