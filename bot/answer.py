"""Answers: the items a question asks for, found through the domain layer, and a short reply.

Every front end (Slack, the chat page, `tracker ask`) calls `answer` and shows the same reply,
in the language the question was asked in: a heading, the top items with their dates written
as people write them, and a link to the full list when there are more. `Answer.as_json` gives
every matching item up to `JSON_LIMIT` and what was understood, for integrations and tests.
With a `conversation` key, a follow-up ("and for IOM?", "more") refers to the previous question
of the same Slack thread or chat session (`bot.conversation`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
import sqlalchemy.orm as so
from rapidfuzz import fuzz, process

from bot import conversation as conversations
from bot.language import (
    Language,
    format_date_in,
    format_span_in,
    say,
    status_label,
)
from bot.links import list_url
from bot.rounds import ROUND_INTENTS, answer_round
from bot.understand import Intent, Query, Vocabulary, understand, word_set
from tracker.domain import serialize
from tracker.domain.item import Item
from tracker.domain.items import ItemFilter, count_items, find_item_ids, find_items
from tracker.domain.recurrence import next_occurrence
from tracker.extensions import begin_write
from tracker.links import item_url
from tracker.models import Activity, Milestone, Person, Precision, StatusChange

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
#: The most items `Answer.as_json` carries (`total` says how many match in all).
JSON_LIMIT = 200

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
    language: Language = "en"
    #: Every matching item up to `JSON_LIMIT`, for `as_json`; `items` are those shown.
    matching: list[Item] | None = None
    query: Query | None = None
    #: Items shown before these ones ("more" shows the next page).
    offset: int = 0

    @property
    def text(self) -> str:
        lines = [self.heading, *self.details]
        if self.single:
            lines.append(f"Link: {item_url(self.items[0], self.base_url)}")
        else:
            lines += [f"• {item_line(item, self.today, self.language)}" for item in self.items]
        if self.more_url:
            rest = self.total - self.offset - len(self.items)
            lines.append(say("and_more", self.language, n=rest, url=self.more_url))
        lines += self.notes
        return "\n".join(lines)

    #: False when the item a question names was not found.
    found: bool = True

    @property
    def answered(self) -> bool:
        """Whether this answers a question about the workplan (not help, not "I didn't get it",
        not "I couldn't find that item")."""
        return self.found and self.intent not in ("help", "unknown")

    def as_json(self) -> dict[str, Any]:
        matching = self.items if self.matching is None else self.matching
        query = self.query
        window = query.window if query else None
        return {
            "intent": self.intent,
            "text": self.text,
            "items": [item_json(item, self.base_url, self.today) for item in matching[:JSON_LIMIT]],
            "total": max(self.total, len(matching)),
            "shown": len(self.items),
            "understood": {
                "answered": self.answered,
                "language": self.language,
                "entity": query.entity if query else None,
                "leading": bool(query and query.leading),
                "partners_only": bool(query and query.partners_only),
                "working_group": query.working_group if query else None,
                "window": {
                    "from": window.start.isoformat() if window and window.start else None,
                    "to": window.end.isoformat() if window and window.end else None,
                    "label": window.label,
                }
                if window
                else None,
                "overdue": bool(query and query.overdue),
                "statuses": sorted(s.value for s in query.statuses) if query else [],
                "text": query.text if query else None,
                "subject": query.subject if query else None,
                "aspect": query.aspect
                if query and self.intent in ("item", "next_occurrence")
                else None,
                "count": bool(query and query.count),
                "follow_up": query.follow_up if query else None,
                "page": query.page if query else 0,
                "corrections": [
                    {"from": typed, "to": read}
                    for typed, read in (query.corrections if query else ())
                ],
                "ignored": list(query.ignored) if query else [],
            },
        }


def item_json(item: Item, base_url: str, today: date) -> dict[str, Any]:
    """The domain's item serializer in its short form, with the key follow-ups refer to."""
    brief = serialize.item_json(item, base_url=base_url, today=today, fields=serialize.BRIEF)
    return {"key": f"{item.working_group}:{item.code}", **brief}


def answer(
    session: so.Session,
    question: str,
    today: date,
    *,
    base_url: str,
    person: Person | None = None,
    everything: bool = False,
    conversation: str | None = None,
    all_items: bool = False,
) -> Answer:
    """Answer a question. `person` is who asks ("what do I lead"); `everything` lists all items;
    `conversation` names the thread or chat session a follow-up refers to: when it keeps the
    turn, `answer` ends the transaction it read in (committing it) and the caller commits
    the turn. With `all_items`, `as_json` carries every matching item up to `JSON_LIMIT`
    (`tracker ask --json`, the chat API); otherwise those shown."""
    question = question.strip()[:MAX_QUESTION]
    vocabulary = Vocabulary.load(session)
    previous = conversations.recall(session, conversation) if conversation else None
    query = understand(question, vocabulary, today, previous)
    everything = everything or query.follow_up == "all"
    if everything:
        query = replace(query, page=0)  # the full list starts at its first item
    blank = Answer(
        question,
        query.intent,
        "",
        base_url=base_url,
        today=today,
        language=query.language,
        query=query,
    )
    if query.intent == "help":
        reply = _help(blank, query, vocabulary)
    elif query.intent == "unknown" or (
        query.unknown_name
        and not query.entity
        and not query.working_group
        and query.intent != "mine"
    ):
        reply = _unknown(blank, query, vocabulary)
    elif query.intent in ("item", "next_occurrence"):
        reply = _one_item(session, blank, query, vocabulary)
    elif query.intent in ROUND_INTENTS:
        reply = answer_round(session, blank, query, today)
    else:
        limit = FULL_LIST_LIMIT if everything else TOP
        reply = _list(session, blank, query, person, limit, vocabulary, all_items)
    if conversation and reply.answered and not everything:
        # the full list a link opens is the same turn again, not a new one.
        # Remembering writes, from a GET as often as not. On SQLite a transaction that read
        # and then writes fails if another connection committed meanwhile, and one begun as
        # the writer holds every other writer off for as long as it runs: a writer's lock
        # held through the answer (tens of ms) starved the other worker's waits for seconds.
        # So the reading ends here, and the write is a transaction of its own.
        session.commit()
        begin_write(session)
        conversations.remember(session, conversation, query, today)
    return reply


# --- lines ------------------------------------------------------------------------------------


def short_title(title: str, length: int = 90) -> str:
    title = title.strip().rstrip(".")
    if len(title) <= length:
        return title
    return title[: length - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def item_label(item: Item) -> str:
    return f"{item.working_group} {item.code}"


def item_when(item: Item, language: Language) -> str:
    """The item's whole span, written in the language."""
    return format_span_in(
        item.start,
        item.end,
        item.start_precision,
        item.end_precision,
        language,
        ongoing=item.ongoing,
    )


def item_due_text(item: Item, language: Language) -> str:
    if item.due is None:
        return say("no_date_short", language)
    return format_date_in(item.due, item.due_precision, language)


def is_meeting(item: Item) -> bool:
    return item.kind == "milestone" and item.milestone_kind == "meeting"


def is_implied(item: Item) -> bool:
    """An occurrence of a repeating item that the workplan does not write down itself (the
    IFMS of 2022 when the workplan dates the one of 2020)."""
    return bool(item.occurrence and item.start and str(item.start.year) not in item.timeline_text)


def expected_when(item: Item, language: Language) -> str:
    """An occurrence the workplan implies by its recurrence only: its month (or year), labelled
    expected, with the rule; no days or place are copied from the occurrence written down."""
    assert item.start is not None
    precision = Precision.YEAR if item.start_precision == Precision.YEAR else Precision.MONTH
    rule = say(
        "every_other_year" if item.recurrence == "FREQ=YEARLY;INTERVAL=2" else "repeats", language
    )
    return f"{format_date_in(item.start, precision, language)}, {say('expected', language)}: {rule}"


def item_facts(item: Item, today: date, language: Language = "en") -> list[str]:
    """ "due June 2020" (or a meeting's dates and place), "overdue", the leads, the status."""
    if is_implied(item):
        facts = [expected_when(item, language)]
    elif is_meeting(item) and item.start:
        facts = [item_when(item, language) + (f", {item.location}" if item.location else "")]
    elif item.due is None:
        facts = [item_when(item, language) if item.ongoing else say("no_date_short", language)]
    else:
        facts = [say("due", language, date=item_due_text(item, language))]
    if item.awaiting_report(today):
        facts.append(say("past_meeting", language))
    elif item.is_overdue(today) and not is_meeting(item):
        facts.append(say("overdue", language))
    if item.leads:
        shown = ", ".join(item.leads[:3])
        facts.append(shown + (f" +{len(item.leads) - 3}" if len(item.leads) > 3 else ""))
    facts.append(status_label(item.status.value, language))
    return facts


def item_line(item: Item, today: date, language: Language = "en") -> str:
    facts = " · ".join(item_facts(item, today, language))
    return f"{item_label(item)} {short_title(item.title)} — {facts}"


# --- lists ---------------------------------------------------------------------------------


def _list(
    session: so.Session,
    reply: Answer,
    query: Query,
    person: Person | None,
    limit: int,
    vocabulary: Vocabulary,
    all_items: bool = False,
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
    # a list with no window and no status in mind shows what is left to do, and says what else
    # there is: "no open items" alone would hide an entity's finished work
    open_by_default = not (open_only or window or query.overdue or query.statuses)
    open_only = open_only or open_by_default
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
    offset = query.page * limit
    # partners are picked from what the entity is named on, so all of it is read
    wanted = JSON_LIMIT if all_items or query.partners_only else 0

    def found(flt: ItemFilter) -> tuple[list[Item], int]:
        page = find_items(session, flt, reply.today, limit=max(wanted, offset + limit))
        if query.partners_only and entity:
            # partners: named on the item without leading it
            partnered = [i for i in page.items if entity not in i.leads]
            return partnered, len(partnered)
        return page.items, page.total

    matching, total = found(flt)
    notes = []
    if open_by_default and (entity or query.working_group or query.text):
        everything = replace(flt, open_only=False)
        # counted in SQL, but for partners, whom a row does not tell from leads: read once
        partnered = found(everything) if query.partners_only else None
        in_all = partnered[1] if partnered else count_items(session, everything, reply.today)
        closed = in_all - total
        language = reply.language
        agree = _agreement(language, flt.kinds == frozenset({"activity"}), closed > 1)
        if closed and not total:
            flt, (matching, total) = everything, partnered or found(everything)
            notes.append(say("none_open" if total > 1 else "none_open_one", language, **agree))
        elif closed and query.count:
            notes.append(say("closed_in_all", language, all=total + closed, n=closed, **agree))
        elif closed:
            notes.append(say("closed_too", language, n=closed, **agree))
    reply.matching, reply.total, reply.offset = matching, total, offset
    reply.items = matching[offset : offset + limit]
    reply.heading = _list_heading(total, query, flt, vocabulary, reply.language)
    reply.notes += notes
    if query.page and not reply.items:
        reply.heading = {
            "en": "That was all: nothing more to show.",
            "fr": "C'était tout : rien de plus à montrer.",
            "es": "Eso era todo: no hay nada más.",
        }[reply.language]
    if total > offset + len(reply.items):
        reply.more_url = list_url(reply.base_url, reply.question)
    _explain(reply, query)
    if query.other_entities:
        reply.notes.append(
            f"That is for {entity} only; ask again for {', '.join(query.other_entities)}."
        )
    return reply


def _agreement(language: Language, feminine: bool, plural: bool) -> dict[str, str]:
    """The endings `PHRASES` agree with their noun by: "activités" are feminine in French and
    Spanish, "éléments" and "elementos" masculine."""
    return {
        "s": "s" if plural else "",
        "e": "e" if feminine and language == "fr" else "",
        "o": "a" if feminine else "o",
        "il": "elle" if feminine else "il",
        "Il": "Elle" if feminine else "Il",
        "are": say("are_many" if plural else "are", language),
    }


def _explain(reply: Answer, query: Query) -> None:
    """Say what was corrected and what was left out, so no answer rests on a silent guess."""
    if query.corrections:
        words = ", ".join(
            read.upper()
            if len(read) <= 6 and read.isalpha() and read.upper() in reply.heading
            else read
            for _, read in query.corrections
        )
        reply.notes.append(say("corrected", reply.language, words=words))
    if query.ignored:
        reply.notes.append(say("ignored", reply.language, words=" ".join(query.ignored)))


def _window_label(query: Query, language: Language) -> str:
    window = query.window
    assert window is not None
    if language == "en":
        return window.label
    start, end = window.start, window.end
    if start and end:
        precision = Precision.DAY
        if start.day == 1 and (end + timedelta(days=1)).day == 1:
            precision = Precision.MONTH
            if start.month == 1 and end.month == 12:
                precision = Precision.YEAR
        if precision != Precision.DAY and (start.year, start.month) == (end.year, end.month):
            return say("in_period", language, span=format_date_in(start, precision, language))
        if precision == Precision.YEAR and start.year == end.year:
            return say("in_period", language, span=str(start.year))
        a = format_date_in(start, precision, language)
        return say("between", language, a=a, b=format_date_in(end, precision, language))
    if start:
        return say("from_day", language, a=format_date_in(start, Precision.DAY, language))
    assert end is not None
    return say("until_day", language, b=format_date_in(end, Precision.DAY, language))


def _list_heading(
    total: int, query: Query, flt: ItemFilter, vocabulary: Vocabulary, language: Language = "en"
) -> str:
    """ "3 open items that ILO leads, due this month (January 2020):", "No overdue items."."""
    noun = {frozenset({"activity"}): "activit", frozenset({"milestone"}): "milestone"}.get(
        flt.kinds, "item"
    )
    # "aucune activité ... dirigée", "2 actividades atrasadas", "un élément ... dirigé"
    agree = _agreement(language, noun == "activit", total > 1)
    adjectives = []
    if flt.overdue:
        adjectives.append(say("overdue_in_list", language, **agree))
    adjectives += sorted(status_label(s.value, language) for s in flt.statuses)
    if flt.open_only and not adjectives and not query.window:
        adjectives.append(say("open", language, **agree))
    scope = []
    if flt.entity:
        own = " (your entity)" if query.intent == "mine" else ""
        if query.partners_only:
            scope.append(say("partners", language, entity=flt.entity, **agree))
        elif flt.leading_only:
            scope.append(say("leads", language, entity=f"{flt.entity}{own}", **agree))
        else:
            scope.append(say("involving", language, entity=flt.entity))
    if flt.working_group:
        name = vocabulary.group_full_names.get(flt.working_group)
        group = flt.working_group + (f" ({name})" if name else "")
        scope.append(say("in_group", language, group=group))
    if flt.text:
        scope.append(say("mentioning", language, text=flt.text))
    if query.window:
        scope.append(say("due_window", language, window=_window_label(query, language)))
    plural = total != 1
    if noun == "activit":
        word = say("activities" if plural else "activity", language)
    else:
        word = say(f"{noun}s" if plural else noun, language)
    if language == "en":
        parts = ["No" if total == 0 else str(total), *adjectives, word]
    else:
        none = say("no_feminine" if noun == "activit" else "no", language)
        parts = [none if total == 0 else str(total), word, *adjectives]
        if total == 0:
            parts[1] = say("activity" if noun == "activit" else noun, language)
    words = " ".join(parts)
    end = "." if total == 0 or query.count else (" :" if language == "fr" else ":")
    return words + (" " + ", ".join(scope) if scope else "") + end


# --- one item ---------------------------------------------------------------------------------


def _one_item(session: so.Session, reply: Answer, query: Query, vocabulary: Vocabulary) -> Answer:
    assert query.subject is not None
    language = reply.language
    found, by_code = _candidates(session, query, reply.today, vocabulary)
    if not found:
        if query.loose:
            return _unknown(reply, query, vocabulary)
        where = f" in {query.working_group}" if query.working_group else ""
        reply.heading = say("not_found", language, subject=query.subject, where=where)
        reply.found = False
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
    if query.aspect == "followups":
        return _followups(session, reply, best, vocabulary)
    reply.single = True
    shown = best
    if query.aspect == "next":
        shown = next_occurrence(best, reply.today) or best
    reply.items = [shown]
    reply.total = 1
    reply.heading = _item_heading(best, query, reply.today, language, shown)
    reply.details = _item_details(session, best, reply.today, language)
    if others:
        reply.notes.append(
            say("also", language)
            + ": "
            + "; ".join(
                f"{item_label(o)} {short_title(o.title, 60)} "
                f"({item_facts(o, reply.today, language)[0]})"
                for o in others
            )
        )
    _explain(reply, query)
    return reply


def _followups(session: so.Session, reply: Answer, item: Item, vocabulary: Vocabulary) -> Answer:
    """The sub-activities and milestones of an item: what the workplan lists under it."""
    language = reply.language
    name = f"{short_title(item.title, 70)} ({item_label(item)})"
    codes: list[str] = []
    if item.kind == "activity":
        codes += session.scalars(sa.select(Activity.code).where(Activity.parent_id == item.id))
        codes += session.scalars(sa.select(Milestone.code).where(Milestone.activity_id == item.id))
    children: list[Item] = []
    for code in codes:
        page = find_items(
            session, ItemFilter(working_group=item.working_group, code=code), reply.today, limit=5
        )
        children += [c for c in page.items if c.parent_code == item.code]
    reply.matching = children
    reply.items, reply.total = children[:TOP], len(children)
    if children:
        reply.heading = say("followups", language, name=name)
    else:
        reply.heading = say("no_followups", language, name=name)
    return reply


def _candidates(
    session: so.Session, query: Query, today: date, vocabulary: Vocabulary
) -> tuple[list[Item], bool]:
    """Items the subject names: by code first, else by the words of their titles, best first.

    For "when" and "next" questions, of equally good title matches the dated ones come first,
    and for "next" the one whose next date comes soonest. Words in no item's text are left out
    of the search ("the 2019 meeting of the experts" finds the meeting with "2019" in its code).
    """
    assert query.subject is not None
    subject = query.subject
    base = ItemFilter(working_group=query.working_group)
    # a code has a digit ("3.2", "TF1", "Output 1.2 (1)"); a code without one is also a word
    # of the title search below, which matches codes exactly
    codes = [subject] if _CODE.match(subject) and len(subject) <= 20 else []
    # a subject may be blank: "STAUS" is corrected to "status", which leaves nothing to find
    first = subject.split()[0] if subject.split() else subject
    if first != subject and _CODE.match(first):
        codes.append(first)  # "3.2 remittances"
    for code in codes:
        page = find_items(session, replace(base, code=code), today, limit=SEARCH_LIMIT)
        if page.items:
            return page.items, True
    found = re.findall(r"\w[\w-]*", subject.lower())
    words = list(dict.fromkeys(w for w in found if w not in _TITLE_STOPWORDS))
    for code in vocabulary.codes_named(re.findall(r"[a-z0-9]+", subject.lower()))[:1]:
        page = find_items(session, replace(base, code=code), today, limit=SEARCH_LIMIT)
        if page.items:
            return page.items, False
    known = [w for w in words if vocabulary.matches_items([w])]
    if 2 * len(known) <= len(words) and not (len(words) == 1 and not query.loose):
        return [], False  # "who won the world cup": one word in a title is not a match
    words = (known or words)[:MAX_TITLE_WORDS]
    if not words:
        return [], False
    wanted = list(words)

    def matches(words: list[str]) -> bool:  # ids only: the retries below may ask several times
        flt = replace(base, text=" ".join(words))
        return find_item_ids(session, flt, today, limit=1).total > 0

    while len(words) > 2 and known and not matches(words):
        # a code's year or a word of the parent's title may be in no title: drop it and retry
        numbers = [w for w in words if w.isdigit()]
        words = [w for w in words if w != numbers[0]] if numbers else words[:-1]
    page = find_items(session, replace(base, text=" ".join(words)), today, limit=SEARCH_LIMIT)
    # "the global webinar" is the activity whose sessions also match, not its first session
    wholes = {(i.working_group, i.parent_code) for i in page.items if i.parent_code}

    def rank(item: Item) -> tuple[int, ...]:
        title = item.title.lower()
        title_words = set(re.findall(r"\w[\w-]*", title))
        quality = (
            sum(w in title_words or w in item.code.lower() for w in wanted),
            sum(w in title for w in wanted),
        )
        if query.aspect == "next":
            coming = item.due is not None and item.due >= today
            soonest = -(item.due.toordinal() if item.due and coming else date.max.toordinal())
            recurs = int(item.recurrence is not None)
            return (*quality, int(coming) or recurs, soonest, int(item.kind == "milestone"))
        if query.aspect == "followups":
            return (*quality, int(item.kind == "activity"), -len(title))
        dated = int(query.aspect in ("when", "where", "time") and item.due is not None)
        timed = int(query.aspect == "time" and item.start_time is not None)
        whole = int((item.working_group, item.code) in wholes)
        return (*quality, timed, dated, int(title.startswith(words[0])), whole, -len(title))

    return sorted(page.items, key=rank, reverse=True), False


def _item_heading(
    item: Item, query: Query, today: date, language: Language = "en", shown: Item | None = None
) -> str:
    name = f"{short_title(item.title)} ({item_label(item)})"
    if query.aspect == "who":
        leads = ", ".join(item.leads)
        if leads:
            return say("led_by", language, name=name, leads=leads)
        return say("no_lead", language, name=name) + f" ({item.working_group_name})"
    partners = [acronym for acronym, _ in item.entities if acronym not in item.leads]
    if query.aspect == "involved":
        if not item.leads:
            if not partners:
                return say("no_lead", language, name=name)
            return say("no_lead_partners", language, name=name, who=", ".join(partners))
        return say(
            "involved",
            language,
            name=name,
            leads=", ".join(item.leads),
            who=", ".join(partners) or "—",
        )
    if query.aspect == "partners":
        leads = ", ".join(item.leads) or "—"
        if partners:
            return say("partners_of", language, name=name, who=", ".join(partners))
        return say("no_partners", language, name=name, leads=leads)
    if query.aspect == "next":
        return _next_heading(item, shown, today, language)
    if query.aspect == "time":
        return _time_heading(item, query, language)
    if is_implied(item) and query.aspect in ("when", "where", "status"):
        return _next_heading(item, item, today, language)
    if query.aspect in ("when", "where"):
        return f"{name} {_when_sentence(item, today, language)}"
    status = status_label(item.status.value, language)
    return f"{item_label(item)} {short_title(item.title)}: {status}."


def _next_heading(item: Item, shown: Item | None, today: date, language: Language) -> str:
    """The next occurrence; one the workplan only implies by its recurrence is labelled
    expected, with no days or place copied from an earlier occurrence."""
    name = f"{short_title(item.title)} ({item_label(item)})"
    if shown is None or shown.due is None or shown.due < today:
        return say("no_next", language, name=name, when=item_when(item, language))
    title = short_title(item.title)
    if is_implied(shown):
        rule = say(
            "every_other_year" if shown.recurrence == "FREQ=YEARLY;INTERVAL=2" else "repeats",
            language,
        )
        precision = Precision.YEAR if shown.start_precision == Precision.YEAR else Precision.MONTH
        assert shown.start is not None
        when = format_date_in(shown.start, precision, language)
        return say(
            "next_expected", language, title=title, when=when, rule=rule, label=item_label(item)
        )
    place = say("in_place", language, place=shown.location) if shown.location else ""
    if language == "en":
        on = "on" if shown.start_precision == Precision.DAY else "in"
        when = f"{on} {shown.when}"
    else:
        when = item_when(shown, language)
    return say("next_is", language, title=title, when=when, place=place, label=item_label(item))


def _zone_of(city: str) -> ZoneInfo | None:
    """The time zone named after a city ("New York" -> America/New_York), if there is one."""
    key = city.strip().replace(" ", "_").lower()
    for name in sorted(available_timezones()):
        if name.rsplit("/", 1)[-1].lower() == key:
            return ZoneInfo(name)
    return None


def _time_heading(item: Item, query: Query, language: Language) -> str:
    name = f"{short_title(item.title)} ({item_label(item)})"
    if item.start_time is None or item.start is None:
        return say("no_time", language, name=name, when=item_when(item, language))
    start = f"{item.start_time:%H:%M}"
    span = start + (f"-{item.end_time:%H:%M}" if item.end_time else "")
    zone = item.timezone or "UTC"
    converted = ""
    target = _zone_of(query.city) if query.city else None
    if target is not None:
        moment = datetime.combine(item.start, item.start_time, ZoneInfo(zone)).astimezone(target)
        converted = say("time_in", language, time=f"{moment:%H:%M}", city=query.city)
    day = format_date_in(item.start, Precision.DAY, language)
    return say("time_is", language, name=name, time=span, zone=zone, day=day, converted=converted)


def _when_sentence(item: Item, today: date, language: Language = "en") -> str:
    if is_meeting(item) and item.start:
        place = say("in_place", language, place=item.location) if item.location else ""
        when = item_when(item, language)
        if (item.end or item.start) >= today:
            return say("takes_place", language, when=when, place=place)
        key = "took_place" if item.awaiting_report(today) else "took_place_done"
        return say(key, language, when=when, place=place)
    if item.due is None:
        return say("ongoing_no_end" if item.ongoing else "no_date", language)
    due = item_due_text(item, language)
    status = status_label(item.status.value, language)
    if item.due >= today:
        return say("due_on", language, date=due)
    if item.is_overdue(today):
        return say("was_due_overdue", language, date=due, status=status)
    return say("was_due", language, date=due, status=status)


def _item_details(
    session: so.Session, item: Item, today: date, language: Language = "en"
) -> list[str]:
    late = item.is_overdue(today) and not is_meeting(item)
    overdue = f" · {say('overdue', language)}" if late else ""
    if item.awaiting_report(today):
        overdue = f" · {say('past_meeting', language)}"
    lines = [f"{say('status', language)}: {status_label(item.status.value, language)}{overdue}"]
    implied = is_implied(item)
    when = expected_when(item, language) if implied else item_when(item, language)
    if item.timeline_text and item.timeline_text.strip().lower() != item.when.lower():
        when += (
            f" (the workplan says “{item.timeline_text.strip()}”)"
            if language == "en"
            else (f" « {item.timeline_text.strip()} »")
        )
    due = f", {say('due', language, date=item_due_text(item, language))}" if item.due else ""
    if implied:
        due = ""
    lines.append(f"{say('when', language)}: {when}{due}")
    if item.location and not implied:
        lines.append(f"{say('where', language)}: {item.location}")
    leads = ", ".join(item.leads) or say("no_lead_named", language)
    lines.append(f"{say('led_by_line', language)}: {leads}")
    partners = [acronym for acronym, _ in item.entities if acronym not in item.leads]
    if partners:
        lines.append(f"{say('partners_line', language)}: {', '.join(partners)}")
    lines.append(f"{say('group_line', language)}: {item.working_group_name} ({item.working_group})")
    if item.description:
        lines.append(f"{say('about_line', language)}: {short_title(item.description, 200)}")
    note = _progress_note(session, item)
    if note:
        lines.append(f"Note: {note}")
    last = _last_change(session, item)
    if last is not None:
        written = f": “{last.note}”" if last.note else ""
        day = format_date_in(last.changed_at.date(), Precision.DAY, language)
        status = status_label(last.to_status.value, language)
        who = f"{last.actor} ({last.source})"
        lines.append(say("last_update", language, status=status, who=who, day=day, note=written))
    return lines


def _progress_note(session: so.Session, item: Item) -> str:
    model = Activity if item.kind == "activity" else Milestone
    note = session.scalar(sa.select(model.progress_note).where(model.id == item.id))
    return (note or "").strip()


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
    lines.append("who partners on 3.10 · how many activities does ILO lead · and for IOM? · more")
    lines.append("what do I lead · my items due this month")
    lines.append("en français : qu'est-ce qui est en retard ? · en español: ¿qué vence este mes?")
    return lines


def _help(reply: Answer, query: Query, vocabulary: Vocabulary) -> Answer:
    hello = "Hello! " if query.greeting else ""
    reply.heading = f"{hello}I answer questions about the workplans. For example:"
    reply.details = [f"• {line}" for line in examples(vocabulary)]
    return reply


def _closest(question: str, vocabulary: Vocabulary) -> list[str]:
    """The example questions nearest to what was asked, by shared words."""
    choices = [q.strip() for line in examples(vocabulary) for q in line.split("·")]
    found = process.extract(question, choices, scorer=fuzz.token_set_ratio, limit=3)
    return [choice for choice, _, _ in found]


def _unknown(reply: Answer, query: Query, vocabulary: Vocabulary) -> Answer:
    reply.intent = "unknown"
    language = reply.language
    if query.unknown_name:
        reply.heading = _unknown_name_note(query)
    else:
        reply.heading = say("not_understood", language, question=reply.question.strip())
    reply.details = (
        [say("not_held", language, words=" ".join(query.ignored))] if query.ignored else []
    )
    reply.details.append(say("closest", language))
    reply.details += [f"• {line}" for line in _closest(reply.question, vocabulary)]
    reply.details.append("Here is what I can answer, for example:")
    reply.details += [f"• {line}" for line in examples(vocabulary)]
    return reply


def _unknown_name_note(query: Query) -> str:
    hint = f" Did you mean {' or '.join(query.suggestions)}?" if query.suggestions else ""
    return f"I don't know an entity or working group called “{query.unknown_name}”.{hint}"
