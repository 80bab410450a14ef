"""From a question in plain words to a query on the workplan: an intent and its parameters.

Understanding needs nothing from the database but the names it must recognise (entities under
each of their names, working groups), loaded per question as a `Vocabulary`. Finding the items
is `bot.answer`'s job, through `tracker.domain.items.find_items`, so what "due" and "overdue"
mean is decided in one place only.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Literal

import sqlalchemy as sa
import sqlalchemy.orm as so

from bot.dates import Window, find_window, soon_window
from tracker.domain.entities import EntityDirectory
from tracker.domain.items import ItemKind
from tracker.models import Status, WorkingGroup

Intent = Literal[
    "help",
    "due",
    "overdue",
    "entity",
    "working_group",
    "status",
    "mine",
    "item",
    "next_occurrence",
    "unknown",
]
#: What a question about one item wants to know first.
Aspect = Literal["status", "when", "who", "next"]


@dataclass(frozen=True)
class Query:
    """What a question asks, in the terms of `tracker.domain.items.ItemFilter`."""

    intent: Intent
    window: Window | None = None
    overdue: bool = False
    #: Only items not completed or cancelled.
    open_only: bool = False
    #: The entity's acronym.
    entity: str | None = None
    #: With `entity`: only what it leads.
    leading: bool = False
    #: The working group's short name.
    working_group: str | None = None
    statuses: frozenset[Status] = frozenset()
    kinds: frozenset[ItemKind] = frozenset({"activity", "milestone"})
    #: Words the items must mention ("what's due this year about censuses").
    text: str | None = None
    #: For one item: its code or words of its title, as asked.
    subject: str | None = None
    aspect: Aspect = "status"
    #: The question was no recognisable request; `subject` is tried as an item's title.
    loose: bool = False
    #: A name that looks like an entity or working group but is neither.
    unknown_name: str | None = None
    #: Close matches for `unknown_name`.
    suggestions: tuple[str, ...] = ()
    #: Further entities named: answers cover one entity at a time.
    other_entities: tuple[str, ...] = ()
    greeting: bool = False


# --- the names to recognise -------------------------------------------------------------------


@dataclass
class Vocabulary:
    """Entities and working groups under every name people use, as normalized text."""

    #: normalized name -> entity acronym
    entity_names: dict[str, str]
    #: normalized name -> working group short name
    group_names: dict[str, str]
    #: short name -> full name
    group_full_names: dict[str, str] = field(default_factory=dict)

    @property
    def group_short_names(self) -> list[str]:
        return sorted(self.group_full_names)

    @classmethod
    def load(cls, session: so.Session) -> Vocabulary:
        directory = EntityDirectory.load(session)
        entity_names = {
            normalize(key): entity.acronym
            for key, entity in directory.by_key.items()
            if normalize(key)
        }
        group_names: dict[str, str] = {}
        full_names: dict[str, str] = {}
        for short, name in session.execute(sa.select(WorkingGroup.short_name, WorkingGroup.name)):
            full_names[short] = name
            for variant in (short, short.replace("-", " "), name, re.sub(r"\(.*?\)", " ", name)):
                if normalize(variant):
                    group_names.setdefault(normalize(variant), short)
        return cls(entity_names, group_names, full_names)

    @cached_property
    def _entity_pattern(self) -> re.Pattern[str]:
        return _names_pattern(self.entity_names)

    @cached_property
    def _group_pattern(self) -> re.Pattern[str]:
        return _names_pattern(self.group_names)

    def group(self, text: str) -> str | None:
        return self.group_names.get(normalize(text).removeprefix("the "))

    def take_groups(self, text: str) -> tuple[list[str], str]:
        found = [self.group_names[m.group(0)] for m in self._group_pattern.finditer(text)]
        return found, self._group_pattern.sub(" ", text)

    def take_entities(self, text: str, original: str) -> tuple[list[str], str]:
        found: list[str] = []
        kept: list[str] = []
        position = 0
        for match in self._entity_pattern.finditer(text):
            if match.group(0) == "who" and not _names_who(text, match, original):
                continue
            acronym = self.entity_names[match.group(0)]
            if acronym not in found:
                found.append(acronym)
            kept.append(text[position : match.start()])
            position = match.end()
        kept.append(text[position:])
        return found, " ".join(kept)

    def suggest(self, name: str) -> tuple[str, ...]:
        known = {**self.entity_names, **self.group_names}
        close = difflib.get_close_matches(normalize(name), list(known), n=6, cutoff=0.6)
        return tuple(dict.fromkeys(known[c] for c in close))[:3]


def _names_pattern(names: dict[str, str]) -> re.Pattern[str]:
    if not names:
        return re.compile(r"(?!x)x")
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w/-])(?:{alternatives})(?![\w/-])")


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WHO_BEFORE = word_set(
    "by does did is for of about me show list from will has and with do what are"
)
_WHO_AFTER = word_set(
    "activities activity items item work tasks deliverables milestones lead leads leading led "
    "projects doing"
)


def _names_who(text: str, match: re.Match[str], original: str) -> bool:
    """Whether "who" names the World Health Organization rather than asking who."""
    if re.search(r"(?<![\w-])WHO(?![\w-])", original):
        return True
    before = text[: match.start()].split()
    after = text[match.end() :].split()
    if not before or (after and after[0] in ("is", "are", "was", "were", "has", "will")):
        return False  # "who leads 3.2", "show me who is late"
    return before[-1] in _WHO_BEFORE or (bool(after) and after[0] in _WHO_AFTER)


# --- normalizing ------------------------------------------------------------------------------

_CONTRACTIONS = [
    (re.compile(p), r)
    for p, r in [
        (r"\bwhat'?s\b", "what is"),
        (r"\bwhen'?s\b", "when is"),
        (r"\bhow's\b", "how is"),
        (r"\bwho's\b", "who is"),
        (r"\bwhere's\b", "where is"),
        (r"\bthat'?s\b", "that is"),
        (r"\bit's\b", "it is"),
        (r"\bthere's\b", "there is"),
        (r"\bwhat're\b", "what are"),
        (r"\bi'm\b", "i am"),
        (r"\bwon't\b", "will not"),
        (r"\bcan't\b", "can not"),
        (r"n't\b", " not"),
    ]
]


@functools.lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Lower case, plain quotes and spaces, no punctuation but what codes and names use."""
    s = unicodedata.normalize("NFKC", text).lower()
    s = s.translate(
        {
            ord("’"): "'",
            ord("‘"): "'",
            ord("“"): " ",
            ord("”"): " ",
            ord('"'): " ",
            ord("`"): " ",
            ord("–"): " - ",
            ord("—"): " - ",
        }
    )
    for pattern, replacement in _CONTRACTIONS:
        s = pattern.sub(replacement, s)
    s = re.sub(r"(\w)'s\b", r"\1", s)
    s = s.replace("'", " ")
    s = re.sub(r"[?!,;:*_]+", " ", s)
    s = re.sub(r"\.(?!\d)", " ", s)
    s = re.sub(r"\bmid-", "mid ", s)
    return re.sub(r"\s+", " ", s).strip()


# --- cues -------------------------------------------------------------------------------------

_HELP = re.compile(
    r"^(?:help\b.*|h|\?|commands|usage|examples?|menu|start|about|what can (?:you|i) (?:do|ask|say)"
    r"(?: you)?|what do you (?:do|know|understand)|how (?:do|does) (?:this|it|you|i) (?:work|use"
    r" (?:this|it|you))|who are you|what are you|how can you help(?: me)?"
    r"|what (?:questions|things) can i ask(?: you)?)$"
)
_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening)|thanks"
    r"|thank you|cheers)\b(?: there)?(?: (?:bot|tracker|team))?\s*)+"
)
_POLITE = re.compile(
    r"^(?:(?:please|pls|kindly|ok|okay|so|and|also|then)\s+"
    r"|(?:can|could|would|will) you (?:please )?"
    r"|(?:do you know|i (?:want|would like|need) to know|tell me|let me know)\s+"
    r"(?=what|which|when|who|how|whether|if)|(?:can|could|may) i (?:see|have|get|know) )+"
)
_TRAILING_POLITE = re.compile(r"(?:\s+(?:please|pls|thanks|thank you|thx|today please))+$")

_OVERDUE = re.compile(
    r"\b(?:overdue|over due|past due|past (?:the |their |its )?deadlines?|running late|late"
    r"|behind(?: schedule)?|missed(?: (?:the |their |its )?deadlines?)?|slipp(?:ed|ing)|off track"
    r"|not on track)\b"
)
_OPEN = re.compile(
    r"\b(?:not (?:yet )?(?:completed|complete|done|finished|closed)|unfinished|incomplete|open"
    r"|outstanding|pending|remaining|still to do|left to do)\b"
)
_STATUSES = [
    (
        re.compile(r"\b(?:not reported|unreported|no status|without (?:a )?status)\b"),
        Status.NOT_REPORTED,
    ),
    (re.compile(r"\b(?:in progress|under ?way|started|in the works)\b"), Status.IN_PROGRESS),
    (re.compile(r"\b(?:delayed|on hold|stalled|postponed)\b"), Status.DELAYED),
    (re.compile(r"\b(?:cancell?ed|dropped)\b"), Status.CANCELLED),
    (re.compile(r"\b(?:completed|complete|finished|done|closed)\b"), Status.COMPLETED),
    (re.compile(r"\bplanned\b(?! (?:for|in|by|until)\b)"), Status.PLANNED),
]
_MINE = re.compile(
    r"\b(?:my|mine|myself)\b|\b(?:do|am|should|have|did|must|will) i\b"
    r"|\bi (?:lead|own|have|need|am|should|must|do)\b|\b(?:for|on|to|with|about) me\b"
)
_LEADING = re.compile(
    r"\b(?:co-?lead(?:s|ing)?|lead(?:s|ing|er|ers)?|led|in charge(?: of)?|responsible(?: for)?"
    r"|owns?|owned)\b"
)
_DUE = re.compile(
    r"\b(?:due|deadlines?|coming|happening|happens?|scheduled|expected|ending|ends?|finishing"
    r"|taking place|on the agenda|calendar)\b"
)
_ABOUT = re.compile(
    r"\b(?:about|regarding|concerning|mentioning|related to|on the topic of|to do with)"
    r"\s+(?P<t>.+)$"
)
_ACTIVITIES = re.compile(r"\b(?:sub-?activities|activities)\b")
_MILESTONES = re.compile(r"\b(?:milestones|deliverables|meetings|events|workshops)\b")

#: Words that carry no filter: question words, verbs of asking, generic nouns.
FILLERS = word_set(
    """
    a about activities activity agencies agency all also an and any anything are around as at
    be been being but by can could currently date dates did display do does doing each else
    entities entity every everything exactly find for from get give go going got group groups
    had has have how i if in is it item items its just know kind let like list look looking many
    me more much next now number of on one ones only or other our out over overview plan plans
    please programme program project projects report right see should show so some something
    status stuff summary team tell that the their them there these they things this those time
    to track tracker up update updates us was we were what whatever when where whether which
    who whose why will with work working workplan workplans would yet you your the happens
    currently still really up-to-date list deliverables milestones meetings events workshops
    sub-activities subactivities tasks task un un-system system organisation organisations
    organization organizations un-entities
    """
)

_ITEM_PATTERNS: list[tuple[Aspect, re.Pattern[str]]] = [
    (aspect, re.compile(pattern))
    for aspect, pattern in [
        (
            "next",
            r"^(?:when|what date|what day) (?:is|are|will be|will|does|do) (?:the |our )?next"
            r" (?P<x>.+?)(?: (?:take place|happen|be held|held|start|begin|meet|due"
            r"|taking place|happening))?$",
        ),
        ("next", r"^when (?:is|are|will) (?:the )?(?P<x>.+?) (?:be held )?next$"),
        (
            "when",
            r"^when (?:is|are|was|were|will) (?P<x>.+?) (?:be )?(?:due|ending|end|finish(?:ed|ing)?"
            r"|completed|complete|delivered|happening|held|taking place|take place|happen"
            r"|scheduled|planned|expected|ready|out|published)$",
        ),
        (
            "when",
            r"^when (?:does|do|did|will) (?P<x>.+?) (?:end|finish|start|begin|happen|take place"
            r"|run|close|open|meet|be due)$",
        ),
        (
            "when",
            r"^(?:what is )?(?:the )?(?:deadline|due date|date|dates|timeline|end date|timing)"
            r" (?:of|for) (?P<x>.+)$",
        ),
        ("when", r"^when is (?P<x>.+)$"),
        (
            "who",
            r"^who (?:leads|is leading|is in charge of|is responsible for|runs|owns|organi[sz]es"
            r"|is organi[sz]ing|is running) (?P<x>.+)$",
        ),
        (
            "status",
            r"^(?:what is )?(?:the )?(?:current |latest )?"
            r"(?:status|progress|state|news|latest|history) (?:of|on|for|with) (?P<x>.+)$",
        ),
        ("status", r"^(?:any )?(?:updates?|news) (?:on|about|for) (?P<x>.+)$"),
        (
            "status",
            r"^how (?:is|are) (?P<x>.+?) (?:going|doing|coming along|progressing|getting on)$",
        ),
        (
            "status",
            r"^(?:tell me about|what about|details (?:of|for|on|about)"
            r"|info(?:rmation)? (?:on|about)|describe|look up|find) (?P<x>.+)$",
        ),
        ("status", r"^(?P<x>.+?) status$"),
        (
            "status",
            r"^is (?P<x>.+?) (?:done|finished|complete|completed|late|overdue|delayed|on track"
            r"|on schedule|still on|going ahead)$",
        ),
    ]
]
_SUBJECT_ARTICLE = re.compile(r"^(?:the|a|an|our|this|that)\s+")
_SUBJECT_KIND = re.compile(
    r"^(?:activity|sub-?activity|item|milestone|deliverable|meeting|deadline|task|number|no|#)"
    r"\s*(?=[\w(]*\d)"
)
_GROUP_QUALIFIER = re.compile(
    r"^(?P<x>.+)\s+(?:in|of|for|from|under|within)\s+(?:the\s+)?(?P<g>.+?)"
    r"(?:\s+(?:working group|workplan|group|programme))?$"
)


def asks_about_self(question: str) -> bool:
    """Whether the answer depends on who asks ("what do I lead", "my items")."""
    return bool(_MINE.search(normalize(question)))


def understand(question: str, vocabulary: Vocabulary, today: date) -> Query:
    """The query a question asks; never raises, an unreadable question gives intent "unknown"."""
    original = question.strip()
    text = normalize(original)
    greeting = bool(_GREETING.match(text))
    text = _TRAILING_POLITE.sub("", _POLITE.sub("", _GREETING.sub("", text))).strip()
    if not text or _HELP.match(text):
        return Query("help", greeting=greeting)

    for aspect, pattern in _ITEM_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        subject, group = _split_group(match.group("x"), vocabulary)
        listing = _list_query(subject, original, vocabulary, today)
        if listing is not None and listing.intent != "item" and group is None:
            return listing  # "status of WS1", "how is ILO doing", "when is anything due"
        if subject:
            intent: Intent = "next_occurrence" if aspect == "next" else "item"
            return Query(intent, subject=subject, working_group=group, aspect=aspect)

    listing = _list_query(text, original, vocabulary, today)
    return listing or Query("unknown", subject=text)


def _clean_subject(text: str) -> str:
    text = _SUBJECT_ARTICLE.sub("", text.strip())
    return _SUBJECT_KIND.sub("", text).strip()


def _split_group(text: str, vocabulary: Vocabulary) -> tuple[str, str | None]:
    """ "3.2 in WS1", "WS1 3.2", "3.2 (WS1)": the item and the working group that holds it."""
    text = text.strip()
    qualified = _GROUP_QUALIFIER.match(text)
    if qualified and vocabulary.group(qualified.group("g")):
        return _clean_subject(qualified.group("x")), vocabulary.group(qualified.group("g"))
    bracketed = re.match(r"^(?P<x>.+?)\s*\((?P<g>[^()]+)\)$", text)
    if bracketed and vocabulary.group(bracketed.group("g")):
        return _clean_subject(bracketed.group("x")), vocabulary.group(bracketed.group("g"))
    first, _, rest = text.partition(" ")
    if rest and vocabulary.group(first):
        return _clean_subject(rest), vocabulary.group(first)
    return _clean_subject(text), None


def _take(pattern: re.Pattern[str], text: str) -> tuple[bool, str]:
    found = bool(pattern.search(text))
    return found, pattern.sub(" ", text) if found else text


def _looks_like_a_name(word: str, original: str) -> bool:
    """ "UNESCO", "WS9": capitals as written, or letters with digits."""
    capitals = sum(c.isupper() for c in _as_written(word, original))
    return capitals >= 2 or bool(re.fullmatch(r"[a-z]+\d+|[a-z]+-[a-z0-9]+", word))


def _list_query(text: str, original: str, vocabulary: Vocabulary, today: date) -> Query | None:
    """A question about a set of items, or None if the words name no filter at all."""
    window, rest = find_window(text, today)
    about = _ABOUT.search(rest)
    topic = None
    if about:
        rest, topic = rest[: about.start()], about.group("t")
    open_only, rest = _take(_OPEN, rest)
    overdue, rest = _take(_OVERDUE, rest)
    statuses: set[Status] = set()
    for pattern, status in _STATUSES:
        found, rest = _take(pattern, rest)
        if found:
            statuses.add(status)
    mine, rest = _take(_MINE, rest)
    groups, rest = vocabulary.take_groups(rest)
    entities, rest = vocabulary.take_entities(rest, original)
    leading, rest = _take(_LEADING, rest)
    due, rest = _take(_DUE, rest)
    activities, rest = _take(_ACTIVITIES, rest)
    milestones, rest = _take(_MILESTONES, rest)
    kinds: frozenset[ItemKind] = frozenset({"activity", "milestone"})
    if activities != milestones:
        kinds = frozenset({"activity"} if activities else {"milestone"})

    leftovers = [w for w in re.findall(r"[\w./()-]+", rest) if w not in FILLERS]
    filters = bool(overdue or statuses or mine or groups or entities or open_only)
    if not (window or filters or topic or leading or due):
        return Query("item", subject=" ".join(leftovers), loose=True) if leftovers else None
    if window and not (filters or due or topic) and leftovers:
        # "2030 agenda webinar": a year in a title, not a question about what is due
        return Query("item", subject=_clean_subject(text), loose=True)

    if leading and not entities and not mine and leftovers:
        # "what does UNESCO lead": the name can only be an entity's
        name = _as_written(" ".join(leftovers), original)
        return Query("unknown", unknown_name=name, suggestions=vocabulary.suggest(name))
    # Other words narrow the answer to items that mention them ("due this year for censuses");
    # a word written like a name may be a name mistyped, which an empty answer will point out.
    names = [_as_written(w, original) for w in leftovers if _looks_like_a_name(w, original)]
    if leftovers and not topic:
        topic = " ".join(leftovers)

    intent: Intent
    if mine:
        intent = "mine"
    elif overdue:
        intent = "overdue"
    elif entities:
        intent = "entity"
    elif groups:
        intent = "working_group"
    elif window or due or topic:
        intent = "due"
        if window is None and not topic and not statuses:
            window = soon_window(today)  # "what's due?" asks what is coming
    elif statuses or open_only:
        intent = "status"
    else:
        return None
    return Query(
        intent,
        window=window,
        overdue=overdue,
        open_only=open_only,
        entity=entities[0] if entities else None,
        leading=leading or mine,
        working_group=groups[0] if groups else None,
        statuses=frozenset(statuses),
        kinds=kinds,
        text=_topic_words(topic),
        unknown_name=" ".join(names) or None,
        suggestions=vocabulary.suggest(" ".join(names)) if names else (),
        other_entities=tuple(entities[1:]),
    )


def _as_written(words: str, original: str) -> str:
    written = re.search(re.escape(words).replace(r"\ ", r"\s+"), original, re.IGNORECASE)
    return written.group(0) if written else words


def _topic_words(topic: str | None) -> str | None:
    if not topic:
        return None
    words = [w for w in re.findall(r"[\w./()-]+", topic) if w not in FILLERS]
    return " ".join(words) or None
