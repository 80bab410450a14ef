"""From a question in plain words to a query on the workplan: an intent and its parameters.

One pipeline for every front end: normalize (case, accents, quotes, dashes), tell the language
(`bot.language`), correct typos against the tracker's own vocabulary with rapidfuzz, read the
French and Spanish question words as English ones, then recognise entities, working groups,
periods, statuses and what is asked. A follow-up ("and for IOM?", "more") is read against the
previous question of the conversation.

Understanding needs nothing from the database but the `Vocabulary` (names, title words), which
is built once per content version of the workplan. Finding the items is `bot.answer`'s job,
through `tracker.domain.items.find_items`, so what "due" and "overdue" mean is decided in one
place only.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Literal

import sqlalchemy as sa
import sqlalchemy.orm as so
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.dates import Window, find_window, soon_window
from bot.language import (
    JUDGEMENTS,
    UNSUPPORTED,
    UNSUPPORTED_REQUESTS,
    Language,
    detect_language,
    fold,
    prepare,
    question_words,
    to_english,
)
from bot.rounds import read_round_question
from tracker.domain.entities import EntityDirectory
from tracker.domain.items import ItemKind
from tracker.models import (
    Activity,
    Milestone,
    Status,
    WorkingGroup,
    read_content_state,
)

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
    # reporting rounds (bot.rounds)
    "round_missing",
    "round_entity",
    "round_said",
]
#: What a question about one item wants to know first.
Aspect = Literal[
    "status", "when", "who", "involved", "next", "where", "time", "partners", "followups"
]


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
    #: With `entity`: only items where it is named but does not lead (partners, members).
    partners_only: bool = False
    #: "How many ...": the answer is a number.
    count: bool = False
    #: "What time ... in New York": the city whose clock the answer also gives.
    city: str | None = None
    language: Language = "en"
    #: (as typed, as read) for each word the spelling correction changed.
    corrections: tuple[tuple[str, str], ...] = ()
    #: Words the answer did not use: not names, not filters, not in any item's text.
    ignored: tuple[str, ...] = ()
    #: For "more": which page of the previous list.
    page: int = 0
    #: What a follow-up took from the previous question ("entity", "window", "more", ...).
    follow_up: str | None = None
    #: A reporting round's period as asked ("2020 h1"), for the round intents (bot.rounds).
    period: str | None = None

    def state(self) -> dict[str, object]:
        """What a conversation keeps of the question, as JSON, for the next one to refer to."""
        window = self.window
        return {
            "intent": self.intent,
            "window": [
                window.start.isoformat() if window and window.start else None,
                window.end.isoformat() if window and window.end else None,
                window.label if window else None,
                bool(window and window.open_only),
            ]
            if window
            else None,
            "overdue": self.overdue,
            "open_only": self.open_only,
            "entity": self.entity,
            "leading": self.leading,
            "partners_only": self.partners_only,
            "working_group": self.working_group,
            "statuses": sorted(s.value for s in self.statuses),
            "kinds": sorted(self.kinds),
            "text": self.text,
            "subject": self.subject,
            "aspect": self.aspect,
            "page": self.page,
            "language": self.language,
            "period": self.period,
        }

    @classmethod
    def from_state(cls, state: dict[str, object]) -> Query:
        raw_window = state.get("window")
        window = None
        if isinstance(raw_window, list):
            start, end, label, open_only = raw_window
            window = Window(
                date.fromisoformat(start) if start else None,
                date.fromisoformat(end) if end else None,
                str(label),
                bool(open_only),
            )
        return cls(
            intent=state["intent"],  # type: ignore[arg-type]
            window=window,
            overdue=bool(state.get("overdue")),
            open_only=bool(state.get("open_only")),
            entity=state.get("entity"),  # type: ignore[arg-type]
            leading=bool(state.get("leading")),
            partners_only=bool(state.get("partners_only")),
            working_group=state.get("working_group"),  # type: ignore[arg-type]
            statuses=frozenset(Status(s) for s in state.get("statuses") or []),  # type: ignore[union-attr]
            kinds=frozenset(state.get("kinds") or ("activity", "milestone")),  # type: ignore[arg-type]
            text=state.get("text"),  # type: ignore[arg-type]
            subject=state.get("subject"),  # type: ignore[arg-type]
            aspect=state.get("aspect") or "status",  # type: ignore[arg-type]
            page=int(state.get("page") or 0),  # type: ignore[call-overload]
            language=state.get("language") or "en",  # type: ignore[arg-type]
            period=state.get("period"),  # type: ignore[arg-type]
        )


# --- the names to recognise -------------------------------------------------------------------


#: Common English words that are not typos of anything the tracker knows.
_ENGLISH = """
    dont doesnt didnt isnt arent wont cant
    a about above after again against all also am an and any anything are around as at back be
    because been before being below between both but by can could day days did do does doing
    done down during each else ever every few first for from further get give go going gone
    got had has have having he her here hers him his how i if in into is it its just know last
    later least less let like long made make many may me might more most much must my near
    need never new next no nor not now of off often on once one only or other our out over own
    part partner partners past per place put quite rather really right same see seem she should
    show since so some soon still such sure take tell than that the their them then there these
    they thing things think this those though through time to today too under until up upon us
    very want was way we week well were what when where which while who whom whose why will with
    within without would year yet you your done finished started held start starts end ends
    involved involve participate participates taking left remain remains remaining progress
    report reported partners organise organize organises organizes co-organise co-organize
    co-organises co-organizes came come follow follow-up follow-ups steps step new york city
    ish soon-ish joke weather cook capital book flight won world cup hello thanks going doing
    """


@dataclass
class Vocabulary:
    """Entities and working groups under every name people use, as normalized text, and the
    words a question's typos are corrected towards."""

    #: normalized name -> entity acronym
    entity_names: dict[str, str]
    #: normalized name -> working group short name
    group_names: dict[str, str]
    #: short name -> full name
    group_full_names: dict[str, str] = field(default_factory=dict)
    #: Words of the items' codes, titles and descriptions: what a text filter can match.
    item_words: frozenset[str] = frozenset()
    #: A word of a code ("egm", "2019") -> the codes it is part of ("EGM-2019"). Read only;
    #: sets, not frozensets, since copying them cost a tenth of a build at 10,000 activities.
    code_parts: Mapping[str, AbstractSet[str]] = field(default_factory=dict)
    #: The initials of a title's first capitalized words ("egm": "Expert Group Meeting on
    #: ...") -> the code of the one item whose title begins so: what people call it by.
    title_acronyms: Mapping[str, str] = field(default_factory=dict)

    @property
    def group_short_names(self) -> list[str]:
        return sorted(self.group_full_names)

    @classmethod
    def load(cls, session: so.Session) -> Vocabulary:
        """The vocabulary of the workplan as it is now, built once per content version."""
        version, _ = read_content_state(session)  # a transaction's own writes come at commit
        key = (str(session.get_bind().engine.url), version)
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
        if cached is not None:
            return cached
        vocabulary = cls.build(session)
        with _CACHE_LOCK:
            _CACHE.clear()  # one version is current; older ones are not asked again
            _CACHE[key] = vocabulary
        return vocabulary

    @classmethod
    def build(cls, session: so.Session) -> Vocabulary:
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
        folded: list[str] = []
        code_parts: dict[str, set[str]] = {}
        acronyms: dict[str, str | None] = {}  # None: the initials of several items' titles
        for model in (Activity, Milestone):
            for code, title, description in session.execute(
                sa.select(model.code, model.title, model.description)
            ):
                folded.append(fold(f"{code} {title} {description}"))
                for part in _words(code):
                    code_parts.setdefault(part, set()).add(code)
                for acronym in _initials(title):
                    acronyms[acronym] = code if acronyms.get(acronym, code) == code else None
        words = set(_WORD.findall(" ".join(folded)))  # one scan, not one per item
        return cls(
            entity_names,
            group_names,
            full_names,
            frozenset(words),
            code_parts,
            {acronym: code for acronym, code in acronyms.items() if code is not None},
        )

    def codes_named(self, words: list[str]) -> list[str]:
        """Codes whose parts the words name ("the EGM 2019" names EGM-2019), best first, then
        those of items the words call by their title's initials ("the EGM")."""
        hits: dict[str, int] = {}
        for word in dict.fromkeys(w for w in words if len(w) > 1):
            for code in self.code_parts.get(word, ()):
                hits[code] = hits.get(code, 0) + 1
        named = [
            code
            for code, n in sorted(hits.items(), key=lambda pair: -pair[1])
            if n >= 2 or (n == 1 and len(_words(code)) == 1 and not code.isdigit())
        ]
        called = (self.title_acronyms.get(w) for w in words if w not in self.entity_names)
        return named + [code for code in dict.fromkeys(called) if code and code not in named]

    @cached_property
    def _name_words(self) -> frozenset[str]:
        found: set[str] = set()
        for name in (*self.entity_names, *self.group_names):
            found.update(name.split())
        return frozenset(found)

    @cached_property
    def _acronyms(self) -> list[str]:
        """Names written as one short word ("unicef", "oit", "ws1"): what an acronym's typo is
        corrected towards."""
        return sorted({n for n in (*self.entity_names, *self.group_names) if " " not in n})

    @cached_property
    def _known(self) -> dict[Language, frozenset[str]]:
        english = _english_words()
        return {
            language: frozenset(
                english | question_words(language) | self._name_words | self.item_words
            )
            for language in ("en", "fr", "es")
        }

    @cached_property
    def _candidates(self) -> dict[Language, dict[int, list[str]]]:
        """Words a typo may be, by length: the language's question words first, then titles'
        words. A slip changes the length by two at most, so a word is compared with few."""
        english = _english_words()
        found: dict[Language, dict[int, list[str]]] = {}
        for language in ("en", "fr", "es"):
            # in a fixed order: of equally close words the first wins, whatever the hash seed
            words = sorted(english | question_words(language), key=lambda w: (len(w), w))
            words += sorted(self.item_words - english, key=lambda w: (len(w), w))
            by_length: dict[int, list[str]] = {}
            for word in words:
                by_length.setdefault(len(word), []).append(word)
            found[language] = by_length
        return found

    def correct(
        self, text: str, language: Language, original: str
    ) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The question with each unknown word replaced by the known word one typing slip away
        (two for long words): "statsu" -> "status", "UNIECF" -> "unicef"."""
        known = self._known[language]
        corrections: list[tuple[str, str]] = []
        out: list[str] = []
        for word in text.split(" "):
            fixed = self._correction(word, known, language, original)
            if fixed is not None and fixed != word:
                corrections.append((_as_written(word, original), fixed))
                word = fixed
            out.append(word)
        return " ".join(out), tuple(corrections)

    def _correction(
        self, word: str, known: frozenset[str], language: Language, original: str
    ) -> str | None:
        if word in known or not word.isalpha() or len(word) < 3:
            return None
        written = _as_written(word, original)
        acronym_like = written.isupper() and len(written) <= 8
        if len(word) == 3 and not acronym_like:
            return None
        limit = 1 if len(word) <= 7 else 2
        if acronym_like:
            found = process.extractOne(
                word, self._acronyms, scorer=OSA.distance, score_cutoff=limit
            )
            if found is not None:
                return found[0]
        by_length = self._candidates[language]
        # of equally close words, those of the slip's own length first: "biene" is "viene",
        # a letter swapped, before "bien", a letter dropped
        lengths = sorted(
            range(len(word) - limit, len(word) + limit + 1), key=lambda n: abs(n - len(word))
        )
        near = [w for n in lengths for w in by_length.get(n, ())]
        matches = process.extract(word, near, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not matches:
            return None
        # of equally close words, one a neighbouring key or a sound-alike letter away first
        best = min(matches, key=lambda m: (m[1], not _near_slip(word, m[0]), m[2]))[0]
        if len(best) <= 3:
            return None  # "peru" is not a slip of "per"
        return best

    def matches_items(self, words: list[str]) -> bool:
        """Whether every word appears in some item's code, title or description."""
        return all(w in self.item_words for w in words for w in _words(w)) and bool(words)

    @cached_property
    def _entity_pattern(self) -> re.Pattern[str]:
        return _names_pattern(self.entity_names)

    @cached_property
    def _group_pattern(self) -> re.Pattern[str]:
        return _names_pattern(self.group_names)

    @cached_property
    def names_pattern(self) -> re.Pattern[str]:
        """Every entity's and working group's names of more than one word: kept whole when a
        question is read from French or Spanish ("Banco Mundial" is not "global bank")."""
        names = {n: n for n in (*self.entity_names, *self.group_names) if " " in n}
        return _names_pattern(names)

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
        close = process.extract(
            normalize(name), list(known), scorer=fuzz.ratio, limit=6, score_cutoff=60
        )
        return tuple(dict.fromkeys(known[c] for c, _, _ in close))[:3]


@functools.cache
def _english_words() -> frozenset[str]:
    """English question words: the cue patterns' own words, common words and fillers."""
    import bot.dates

    words = set(question_words("en")) | word_set(_ENGLISH) | FILLERS
    for module in (globals(), vars(bot.dates)):
        patterns: list[re.Pattern[str]] = []
        for value in module.values():
            if isinstance(value, re.Pattern):
                patterns.append(value)
            elif isinstance(value, list):
                patterns += [
                    p
                    for pair in value
                    if isinstance(pair, tuple)
                    for p in pair
                    if isinstance(p, re.Pattern)
                ]
        for pattern in patterns:
            plain = re.sub(r"\\[a-zA-Z]|\(\?[:=!<P]+(?:<\w+>)?|\[[^]]*\]", " ", pattern.pattern)
            words.update(w for w in re.findall(r"[a-z]{3,}", plain))
    return frozenset(words)


_CACHE: dict[tuple[str, int], Vocabulary] = {}
_CACHE_LOCK = threading.Lock()


_WORD = re.compile(r"[a-z0-9]+")
#: Words an acronym skips ("International Forum on Migration Statistics": IFMS).
_ACRONYM_SKIPS = frozenset({"on", "of", "the", "and", "for", "in", "to", "a", "an"})


def _initials(title: str) -> list[str]:
    """What a title's first capitalized words abbreviate to, three letters or more, from its
    first or second word: "Maintain Global Migration Data Portal" gives mgm, mgmd, mgmdp,
    gmd and gmdp."""
    letters: list[str] = []
    for word in title.split()[:8]:
        if letters and word.lower() in _ACRONYM_SKIPS:
            continue
        if not word[:1].isupper():
            break
        letters.append(word[0].lower())
    initials = "".join(letters)
    return [initials[i:n] for i in (0, 1) for n in range(i + 3, len(initials) + 1)]


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


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
        (r"\bwho'?s\b", "who is"),
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


_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
#: Each key's row and column on a keyboard, whose rows are staggered by half a key.
_KEYS = {
    key: (row, column + row / 2)
    for row, keys in enumerate(_KEY_ROWS)
    for column, key in enumerate(keys)
}
_SOUND_ALIKE = {frozenset(pair) for pair in ("bv", "sz", "ck", "cs", "iy", "gj")}


def _near_slip(typed: str, word: str) -> bool:
    """Whether `typed` is `word` with one letter struck on a neighbouring key or one that
    sounds alike ("biene" for "viene", not for "tiene")."""
    if len(typed) != len(word):
        return False
    differ = [(a, b) for a, b in zip(typed, word, strict=True) if a != b]
    if len(differ) != 1:
        return False
    a, b = differ[0]
    if frozenset((a, b)) in _SOUND_ALIKE:
        return True
    if a not in _KEYS or b not in _KEYS:
        return False
    (row_a, column_a), (row_b, column_b) = _KEYS[a], _KEYS[b]
    return abs(row_a - row_b) <= 1 and abs(column_a - column_b) <= 1


@functools.lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Lower case without accents, plain quotes and spaces, no punctuation but what codes and
    names use."""
    s = fold(unicodedata.normalize("NFKC", text))
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
            ord("«"): " ",
            ord("»"): " ",
            ord("¿"): " ",
            ord("¡"): " ",
        }
    )
    for pattern, replacement in _CONTRACTIONS:
        s = pattern.sub(replacement, s)
    s = re.sub(r"(\w)'s\b", r"\1", s)
    s = s.replace("'", " ")
    s = re.sub(r"[?!,;:*_]+", " ", s)
    s = re.sub(r"\.(?!\d)", " ", s)
    s = re.sub(r"\bmid-", "mid ", s)
    s = re.sub(r"(?<=\w)-ish\b", "", s)  # "soon-ish"
    s = re.sub(r"(?<=\w)-(led|run|organi[sz]ed)\b", r" \1", s)  # "ILO-led"
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
        ("when", r"^how long (?:does|do|did|will|is) (?P<x>.+?) (?:run|last|take|go on)$"),
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
    r"^(?:(?:sub-?)?activit(?:y|ies)|items?|milestones?|deliverables?|meetings?|deadline|task"
    r"|number|no|#)\s*(?=[\w(]*\d)"
)
_GROUP_QUALIFIER = re.compile(
    r"^(?P<x>.+)\s+(?:in|of|for|from|under|within)\s+(?:the\s+)?(?P<g>.+?)"
    r"(?:\s+(?:working group|workplan|group|programme))?$"
)


def asks_about_self(question: str) -> bool:
    """Whether the answer depends on who asks ("what do I lead", "my items")."""
    return bool(_MINE.search(normalize(question)))


def understand(
    question: str, vocabulary: Vocabulary, today: date, previous: Query | None = None
) -> Query:
    """The query a question asks; never raises, an unreadable question gives intent "unknown".

    `previous` is the conversation's last question, which a follow-up refers to.
    """
    original = question.strip()
    language = detect_language(original)
    text = normalize(prepare(original, language))
    text, corrections = vocabulary.correct(text, language, original)
    text = to_english(text, language, vocabulary.names_pattern)
    query = _understand(text, original, vocabulary, today)
    asks = _ASKS_FOR.match(text)
    if (
        language == "en"
        and query.ignored
        and asks
        and _head_word(text[asks.end() :]) in query.ignored
    ):
        # what the question asks for is the word it does not know ("who chairs WS1", "the
        # phone number of ILO", "send a reminder to IOM"): the rest is only its subject. Not
        # in French or Spanish, where a word left untranslated ("plan de travail") is as often
        # the question's own scaffolding.
        query = Query("unknown", ignored=query.ignored, subject=text)
    query = replace(query, language=language, corrections=corrections)
    if previous is not None:
        query = _follow(previous, query, text, original, vocabulary, today)
    folded = fold(original)
    words = set(re.findall(r"[a-z0-9-]+", folded))
    asked = (words & (UNSUPPORTED[language] | UNSUPPORTED["en"])) - vocabulary.item_words
    for patterns in (UNSUPPORTED_REQUESTS, JUDGEMENTS):
        for pattern in {patterns[language], patterns["en"]}:
            # the word to name: a judgement's group that matched, else a request's first word
            asked |= {
                found.group(found.lastindex or 0).split()[0] for found in pattern.finditer(folded)
            }
    if asked and query.intent != "help":
        # the words as the question wrote them ("préside"), in its order
        written = [w for w in re.findall(r"[\w-]+", original) if fold(w) in asked]
        query = replace(
            Query("unknown", ignored=tuple(dict.fromkeys(written or sorted(asked))), subject=text),
            language=language,
            corrections=corrections,
        )
    return query


_QUESTION_START = re.compile(
    r"^(?:what|which|who|when|where|how|show|list|give|tell|is|are|any|anything|due|overdue)\b"
)
#: What opens a follow-up: "and for IOM?", "the same for UNFPA", "which of them are overdue?".
_FOLLOW_UP = re.compile(
    r"^(?:and|what about|how about|only|just|also|but|then|(?:the )?same(?: thing)? (?:for|with)"
    r"|likewise|(?:which|what|any) (?:ones )?(?:of|among) (?:them|those|these))\b"
)
_MORE = re.compile(r"^(?:more|next|next page|show more|and more|more please|the rest|rest)$")
#: The whole list of the question before; French and Spanish words too, which a question of
#: one word is not told to be in ("tout" reads as English).
_ALL = re.compile(
    r"^(?:(?:show|list|give)(?: me)? )?(?:all|all of them|them all|everything|the full list"
    r"|the whole list|all items|all the items|tout|tous|toutes|todo|todos|todas"
    r"|muestralos todos)$"
)
_PRONOUN = re.compile(r"^(?:it|this|that|this one|that one|them|le|la|lo)$")


def _follow(
    previous: Query, query: Query, text: str, original: str, vocabulary: Vocabulary, today: date
) -> Query:
    """A follow-up as the full question it stands for: what the new words say, over what the
    previous question said."""
    if _MORE.match(text) and previous.intent not in ("help", "unknown", "item"):
        return replace(previous, page=previous.page + 1, follow_up="more", language=query.language)
    if _ALL.match(text) and previous.intent not in ("help", "unknown", "item"):
        # the whole list, as the answer's own "…and N more" link gives it
        language = previous.language if query.language == "en" else query.language
        return replace(previous, page=0, follow_up="all", language=language)
    marked = bool(_FOLLOW_UP.match(text))
    if (
        query.intent in ("item", "next_occurrence")
        and previous.subject
        and (not query.subject or _PRONOUN.match(query.subject))
    ):
        return replace(
            query,
            subject=previous.subject,
            working_group=previous.working_group,
            intent="item" if query.aspect != "next" else "next_occurrence",
            loose=False,
            follow_up="subject",
        )
    if previous.intent in ("help", "unknown", "item", "next_occurrence"):
        return query
    elliptical_item = marked and query.intent == "item" and query.loose
    if query.intent in ("help", "item", "next_occurrence") and not elliptical_item:
        return query
    rest = re.sub(r"^(?:for\s+)", "", _FOLLOW_UP.sub("", text).lstrip())
    fresh = _understand(rest, original, vocabulary, today) if marked else query
    changed: dict[str, object] = {}
    if fresh.entity and fresh.entity != previous.entity:
        changed.update(entity=fresh.entity, follow_up="entity")
    if fresh.working_group and fresh.working_group != previous.working_group:
        changed.update(working_group=fresh.working_group, follow_up="working_group")
    if fresh.window is not None:
        changed.update(window=fresh.window, follow_up="window")
    if fresh.overdue:
        changed.update(overdue=True, follow_up="overdue")
    if fresh.statuses:
        changed.update(statuses=fresh.statuses, follow_up="status")
    if fresh.kinds != previous.kinds and fresh.kinds != frozenset({"activity", "milestone"}):
        changed.update(kinds=fresh.kinds, follow_up="kinds")
    # "IOM?", "next month?" follow up; a whole question ("what is overdue") starts afresh
    elliptical = not _QUESTION_START.match(text) and not (query.window and _DUE.search(text))
    if not changed or not (marked or elliptical):
        return query
    intent = previous.intent
    if changed.get("overdue") and intent == "due":
        intent = "overdue"
    if "entity" in changed and intent in ("due", "overdue", "status", "working_group"):
        intent = "entity" if intent != "overdue" else intent
    return replace(
        previous,
        **changed,  # type: ignore[arg-type]
        intent=intent,
        page=0,
        language=query.language,
        corrections=query.corrections,
    )


_HOW_MANY = re.compile(r"\b(?:how many|number of|count of|count)\b")
_PARTNER = re.compile(
    r"\b(?:partners?|partnering|partnered|a partner|as (?:a )?partner|co-?operat\w*|"
    r"collaborat\w*)\b"
)
_INVOLVED = re.compile(
    r"\b(?:take part in|takes part in|taking part in|take part|involved in|involved|involve"
    r"|participate in|participates in|participate|participating in|contribute to|contributes to"
    r"|work on|works on|working on|doing|do|does|part of)\b"
)
_CO_ORGANIZE = re.compile(r"\bco-?organi[sz](?:e|es|ing|ed)\b")
_LEFT = re.compile(r"\b(?:left|remain|remains|remaining|still to do|to do|outstanding)\b")

_ASPECT_PATTERNS: list[tuple[Aspect, re.Pattern[str]]] = [
    (aspect, re.compile(pattern))
    for aspect, pattern in [
        (
            "next",
            r"^when (?:is |will |take place |be |held )*(?:the )?next (?P<x>.+?)"
            r"(?: take place| be held| happen)?$",
        ),
        (
            "time",
            r"^what time (?:does|do|is|will|did)?\s*(?:start |begin |take place |end )?"
            r"(?:the )?(?P<x>.+?)"
            r"(?: (?:start|starts|begin|begins|end|ends|take place|run|be))?"
            r"(?: in (?P<city>[a-z .-]+?))?(?: time)?$",
        ),
        (
            "partners",
            r"^(?:(?:who|what|which) (?:is|are) )?(?:the )?partners? (?:of|on|for|in) (?P<x>.+)$",
        ),
        (
            "partners",
            r"^who (?:partners|is partnering|are partnering|partner) (?:on|in|with|for) (?P<x>.+)$",
        ),
        ("partners", r"^who partner (?P<x>.+)$"),
        (
            "involved",
            r"^(?:who|(?:which|what) (?:entities|agencies|organi[sz]ations|partners))"
            r" (?:is |are )?(?:involved (?:in|with)|works? on|working on|participates? in"
            r"|participating in|takes? part in|taking part in|contributes? to|contributing to)"
            r" (?P<x>.+)$",
        ),
        (
            "where",
            # "when and where is the IFMS": the answer says both
            r"^(?:when (?:(?:and|et|y) )?where|where (?:(?:and|et|y) )?when)"
            r" (?:is |was |will |does |did )?(?:take place |be held |held )?(?:the )?(?P<x>.+?)"
            r"(?: (?:take place|be held|held|happen|taking place))?$",
        ),
        (
            "where",
            r"^where (?:is|was|were|will|does|did|are)?\s*(?:take place |held |be held )?"
            r"(?:the )?(?P<x>.+?)"
            r"(?: (?:be )?(?:held|take place|taking place|took place|happen|happening|happened"
            r"|meet|met|hosted|located|going to be held))?(?: (?:in|during) (?P<y>\d{4}))?$",
        ),
        (
            "followups",
            r"^(?:what (?:are|were) )?(?:the )?(?:follow-?ups?|follow-?up items|next steps"
            r"|outputs|results|outcomes|sub-?items|parts)(?: items)? (?:of|from|for|to|after)"
            r" (?P<x>.+)$",
        ),
        ("followups", r"^what (?:came|comes|will come) (?:out )?of (?P<x>.+)$"),
        ("followups", r"^(?:show|which) follow-?ups? (?P<x>.+)$"),
        ("when", r"^when (?:is |are |was |were |will )?(?:due |take place |start |end )(?P<x>.+)$"),
        (
            "when",
            r"^when (?P<x>.+?) (?:due|end|ends|start|starts|begin|begins|take place|took place)$",
        ),
        ("when", r"^(?:what is the )?deadline (?:of|for)? ?(?P<x>.+)$"),
        ("when", r"^when (?P<x>.+)$"),
        ("who", r"^who leads (?P<x>.+)$"),
        (
            "who",
            r"^(?:which|what) (?:agency|agencies|entity|entities|organi[sz]ations?|body|bodies"
            r"|office|partner) (?:leads|lead|is leading|runs|heads|is in charge of"
            r"|is responsible for|coordinates) (?P<x>.+)$",
        ),
        (
            "who",
            # not "who is behind schedule": that asks what is late
            r"^who(?: is|'s)? (?:behind (?!schedule\b|on\b)|heading |running |driving "
            r"|runs |heads |drives |coordinates |coordinating )(?P<x>.+)$",
        ),
        ("who", r"^who (?:is )?(?:lead|leads|responsible|in charge)(?: for| of)? (?P<x>.+)$"),
        (
            "status",
            r"^how (?:did|was|were) (?:the )?(?P<x>.+?) (?:go|going|turn out|went)$",
        ),
        (
            "status",
            r"^(?P<x>\d[\w.()-]*) (?:done|completed|finished|late|overdue|delayed"
            r"|on track)$",
        ),
        (
            "status",
            r"^(?:is )?(?:done|completed|finished|late|overdue|delayed|on track)"
            r" (?P<x>\d[\w.()-]*)$",
        ),
    ]
]
_EMPTY_ASPECT = re.compile(
    r"^(?:and )?(?:(?P<who>who leads|who is leading|who runs)|(?P<when>when (?:is )?due"
    r"|when (?:does|will) (?:it )?end|when|when is it|when is it due|when does it end)"
    r"|(?P<where>where)|(?P<status>status|status of))(?: it| this| that)?$"
)


@functools.cache
def _cities() -> re.Pattern[str]:
    """Cities that name a time zone ("new york", "paris"): where a time can be given."""
    from zoneinfo import available_timezones

    names = {z.rsplit("/", 1)[-1].replace("_", " ").lower() for z in available_timezones()}
    names = {n for n in names if len(n) > 3 and n.isascii()}
    return re.compile(r"\b(?:in |at )?(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")


def _take_city(text: str) -> tuple[str | None, str]:
    match = _cities().search(text)
    if match is None:
        return None, text
    rest = f"{text[: match.start()]} {text[match.end() :]}"
    rest = re.sub(r"\b(?:in|at|time)\s*$", "", re.sub(r"\s+", " ", rest).strip()).strip()
    return match.group(1), rest


def _understand(text: str, original: str, vocabulary: Vocabulary, today: date) -> Query:
    greeting = bool(_GREETING.match(text))
    text = _TRAILING_POLITE.sub("", _POLITE.sub("", _GREETING.sub("", text))).strip()
    if not text or _HELP.match(text):
        return Query("help", greeting=greeting)
    if round_question := read_round_question(text, vocabulary):
        return Query(round_question[0], **round_question[1])  # type: ignore[arg-type]
    empty = _EMPTY_ASPECT.match(text)
    if empty:
        aspect = next(a for a in ("who", "when", "where", "status") if empty.group(a))
        return Query("item", subject="", aspect=aspect)  # type: ignore[arg-type]

    count, text = _take(_HOW_MANY, text)
    if count:
        listing = _list_query(text, original, vocabulary, today)
        if listing is not None and listing.intent not in ("item", "unknown"):
            return replace(listing, count=True)
        return Query("unknown", count=True, ignored=tuple(text.split()))

    lists_partners = _PARTNER.search(text) and vocabulary.take_entities(text, original)[0]
    if lists_partners:  # "where does ESCAP partner", "which items is the World Bank a partner in"
        listing = _list_query(_PARTNER.sub(" ", text), original, vocabulary, today)
        if listing is not None and listing.entity:
            return replace(listing, partners_only=True, leading=False)

    for aspect, pattern in [*_ASPECT_PATTERNS[:1], *_ITEM_PATTERNS, *_ASPECT_PATTERNS[1:]]:
        match = pattern.match(text)
        if match is None:
            continue
        subject, group = _split_group(match.group("x"), vocabulary)
        if subject in FILLERS:
            continue  # "WHO leads what?"
        city = None
        if aspect == "time":
            city, subject = _take_city(subject)
        listing = _list_query(subject, original, vocabulary, today)
        listed = listing is not None and listing.intent not in ("item", "unknown")
        if listed and group is None and aspect not in ("where", "time", "partners", "followups"):
            return listing  # "status of WS1", "how is ILO doing", "when is anything due"
        if subject:
            intent: Intent = "next_occurrence" if aspect == "next" else "item"
            groups = match.groupdict()
            city = city or groups.get("city")
            year = groups.get("y")
            if year and aspect == "where":
                subject = f"{subject} {year}"
            return Query(
                intent,
                subject=subject,
                working_group=group,
                aspect=aspect,
                city=city.strip().title() if city else None,
            )

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
    co_organizes, rest = _take(_CO_ORGANIZE, rest)
    leading, rest = _take(_LEADING, rest)
    leading = leading or co_organizes
    left, rest = _take(_LEFT, rest)
    open_only = open_only or left
    if entities:
        _, rest = _take(_INVOLVED, rest)
    due, rest = _take(_DUE, rest)
    activities, rest = _take(_ACTIVITIES, rest)
    milestones, rest = _take(_MILESTONES, rest)
    kinds: frozenset[ItemKind] = frozenset({"activity", "milestone"})
    if activities != milestones:
        kinds = frozenset({"activity"} if activities else {"milestone"})

    leftovers = [w for w in _TOKEN.findall(rest) if w not in FILLERS]
    filters = bool(overdue or statuses or mine or groups or entities or open_only)
    if not (window or filters or topic or leading or due):
        return Query("item", subject=" ".join(leftovers), loose=True) if leftovers else None
    ignored: tuple[str, ...] = ()
    names = [w for w in leftovers if _looks_like_a_name(w, original)]
    if leftovers and not vocabulary.matches_items(leftovers):
        # words that are in no item's text filter nothing: they are said to be ignored, and
        # never turn a question understood otherwise into a false "no items"
        ignored = tuple(w for w in leftovers if w not in names)
        leftovers = [w for w in leftovers if w in names]
        if not (window or overdue or statuses or groups or entities) and not names:
            return Query("unknown", ignored=ignored, subject=text)

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
    if names:
        leftovers = [w for w in leftovers if not _looks_like_a_name(w, original)]
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
        ignored=ignored,
    )


#: A word of a question as the filters read it: codes keep their dots and brackets ("3.2",
#: "Output 1.2 (1)").
_TOKEN = re.compile(r"[\w./()-]+")
#: A question for one fact: "who chairs WS1", "what is the phone number of ILO".
_ASKS_FOR = re.compile(r"^(?:who|(?:what|which) (?:is|are|was|were)(?: the| an?)?)\b")


def _head_word(text: str) -> str | None:
    """The first word of a question past its scaffolding ("what is the", "show me"): what it
    asks for or asks to be done."""
    return next((w for w in _TOKEN.findall(text) if w not in FILLERS), None)


def _as_written(words: str, original: str) -> str:
    written = re.search(re.escape(words).replace(r"\ ", r"\s+"), original, re.IGNORECASE)
    return written.group(0) if written else words


def _topic_words(topic: str | None) -> str | None:
    if not topic:
        return None
    words = [w for w in _TOKEN.findall(topic) if w not in FILLERS]
    return " ".join(words) or None
