"""Fuzzy workplan timelines: "Ongoing – June 2020", "End of 2019 – End of 2020", "every other year".

`parse_timeline` keeps the text as written beside what it means. A side that names a month
starts on the month's first day and ends on its last; a year likewise. Anything it cannot read
raises `TimelineError` naming the part it could not read, never a guess.

Seasons follow the meteorological seasons of the northern hemisphere, where most workplans are
written: spring is March-May, summer June-August, autumn September-November, and winter YEAR is
the winter that ends in YEAR (December of the year before to February), so "hiver 2021" is
December 2020 - February 2021. "Since 2017" and "from May 2021 onwards" have an open end that is
ongoing; "from March 2020" alone only has an open end. "Every three years, next in 2023" is a
series whose first occurrence is 2023. "Not dated yet" and its French and Spanish variants are
undated, not errors.
"""

from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import ClassVar

from dateutil import parser as date_parser

__all__ = ["Precision", "Timeline", "TimelineError", "format_date", "format_span", "parse_timeline"]


class TimelineError(ValueError):
    """A timeline text could not be read; the message says which part and why."""


class Precision(enum.StrEnum):
    """How precisely a side was written, so it can be written back the same way."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class Timeline:
    text: str
    start: date | None = None
    end: date | None = None
    ongoing: bool = False
    #: An RRULE value such as "FREQ=YEARLY;INTERVAL=2"; occurrences start at `start`.
    recurrence: str | None = None
    start_precision: Precision | None = None
    end_precision: Precision | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "ongoing": self.ongoing,
            "recurrence": self.recurrence,
        }


# --- words ---------------------------------------------------------------------------------

_MONTH_NAMES: list[tuple[str, ...]] = [
    ("jan", "january", "janvier", "janv", "enero", "ene"),
    ("feb", "february", "fevrier", "fevr", "fev", "febrero"),
    ("mar", "march", "mars", "marzo"),
    ("apr", "april", "avril", "avr", "abril", "abr"),
    ("may", "mai", "mayo"),
    ("jun", "june", "juin", "junio"),
    ("jul", "july", "juillet", "juil", "julio"),
    ("aug", "august", "aout", "agosto", "ago"),
    ("sep", "sept", "september", "septembre", "septiembre", "setiembre", "set"),
    ("oct", "october", "octobre", "octubre"),
    ("nov", "november", "novembre", "noviembre"),
    ("dec", "december", "decembre", "diciembre", "dic"),
]


class _ParserInfo(date_parser.parserinfo):
    """English, French and Spanish month names for dateutil, accents already removed."""

    MONTHS = _MONTH_NAMES  # type: ignore[assignment]
    JUMP: ClassVar[list[str]] = [
        *date_parser.parserinfo.JUMP,
        "de",
        "del",
        "du",
        "le",
        "el",
        "of",
        "the",
    ]

    def __init__(self) -> None:
        super().__init__(dayfirst=True)


_PARSER_INFO = _ParserInfo()

_ONGOING = {"ongoing", "on-going", "on going", "continuing", "continuous", "en cours", "en curso"}
#: "Not dated yet" in the ways workplans write it, in English, French and Spanish.
_NOT_DATED = re.compile(
    r"^(?:(?:dates?|timing|timeline) )?(?:(?:is|are) )?(?:not|no|yet to be|still to be|to be)"
    r" (?:yet )?(?:dated|scheduled|fixed|set|decided|defined|known|agreed|confirmed|determined)"
    r"(?: yet)?$"
    r"|^no (?:date|dates|timeline|timing)(?: (?:yet|set|fixed|given|available))*$"
    r"|^(?:date|dates|timing) (?:not yet|yet to be|to be) (?:set|fixed|decided|confirmed|agreed)$"
    r"|^(?:tba|pending|unscheduled|undated|not yet dated|not dated)$"
    r"|^(?:pas encore|non|non encore|pas) (?:date|datee?s?|fixee?s?|programmee?s?|planifiee?s?)"
    r"(?: pour l'instant)?$"
    r"|^(?:date|dates) (?:a (?:determiner|confirmer|definir|fixer|preciser)|non (?:fixee?s?"
    r"|definie?s?|connue?s?)|pas encore (?:fixee?s?|connue?s?))$"
    r"|^(?:sans date|a (?:determiner|confirmer|definir|preciser|fixer))$"
    r"|^(?:sin fecha|fecha (?:por|a) (?:determinar|confirmar|definir)|sin fecha (?:definida|fijada)"
    r"|(?:aun |todavia )?(?:no|sin) (?:fechad[oa]|programad[oa]|definid[oa])(?: (?:aun|todavia))?"
    r"|por (?:determinar|confirmar|definir)|a (?:determinar|confirmar|definir)|pendiente)$"
)
_UNDETERMINED = {
    "",
    "tbd",
    "tbc",
    "to be determined",
    "to be confirmed",
    "not specified",
    "n/a",
    "na",
    "-",
    "a determiner",
    "por determinar",
}

_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
}

# (pattern, rrule) pairs; the first match wins, so the longer phrases come first.
_RECURRENCES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), rule)
    for p, rule in [
        (r"\bevery (?:other|second) year\b", "FREQ=YEARLY;INTERVAL=2"),
        (r"\bbienni?al(?:ly)?\b|\bbienal\b", "FREQ=YEARLY;INTERVAL=2"),
        (r"\btous les deux ans\b|\bcada dos anos\b", "FREQ=YEARLY;INTERVAL=2"),
        (
            r"\btous les (?P<n>[0-9]+|trois|quatre|cinq) ans\b"
            r"|\bcada (?P<n2>[0-9]+|tres|cuatro|cinco) anos\b",
            "FREQ=YEARLY;INTERVAL={n}",
        ),
        (r"\bevery (?P<n>[0-9]+|two|three|four|five|six) years?\b", "FREQ=YEARLY;INTERVAL={n}"),
        (r"\bevery (?P<n>[0-9]+|two|four|six) months?\b", "FREQ=MONTHLY;INTERVAL={n}"),
        (r"\bquarterly\b|\bevery (?:quarter|three months)\b", "FREQ=MONTHLY;INTERVAL=3"),
        (r"\btrimestriel(?:le)?\b|\btrimestral\b", "FREQ=MONTHLY;INTERVAL=3"),
        (
            r"\bannual(?:ly)?\b|\byearly\b|\b(?:every|each) year\b|\bper annum\b"
            r"|\bonce a year\b|\bannuel(?:le)?\b|\bchaque annee\b|\btous les ans\b"
            r"|\banual(?:mente)?\b|\bcada ano\b",
            "FREQ=YEARLY",
        ),
        (r"\bmonthly\b|\b(?:every|each) month\b|\bmensuel(?:le)?\b|\bmensual\b", "FREQ=MONTHLY"),
        (r"\bweekly\b|\b(?:every|each) week\b|\bhebdomadaire\b|\bsemanal\b", "FREQ=WEEKLY"),
    ]
]

_OPEN_START = re.compile(
    r"^(?:until|till|til|up to|by|before|no later than|not later than|hasta|jusqu'?(?:a|au)"
    r"|avant|d'ici)\s+"
)
_OPEN_END = re.compile(
    r"^(?:from|since|starting(?: in| from)?|beginning in|as of|as from|desde|depuis|a partir de"
    r"|des|du|de|del)\s+"
)
#: An open end that says the work goes on: "since 2017", "from May 2021 onwards".
_ONGOING_FROM = re.compile(r"^(?:since|depuis|desde)\b")
_ONWARDS = re.compile(
    r"\s+(?:onwards?|and beyond|and after|et au-?dela|et apres|en adelante|y despues)$"
)
#: A span that covers the whole of what follows: "throughout 2019".
_WHOLE = re.compile(
    r"^(?:throughout|all through|all of|during|durant|pendant|tout au long de|toute l'annee"
    r"|durante(?: todo)?(?: el)?|a lo largo de)\s+"
)
#: "Ongoing (started 2015)": the start kept from the parenthesis.
_STARTED = re.compile(
    r"\((?:started|starting|begun|began|since|from|commence|commencee|debute|depuis|desde"
    r"|iniciad[oa]|empezad[oa]|comenzad[oa])(?: (?:in|en|le|el))? (?P<start>[^()]+)\)"
)
#: "every three years, next in 2023": the first occurrence of the series.
_NEXT_IN = re.compile(
    r"^(?:next|next one|next edition|the next one)(?: (?:in|on|due))?\s+"
    r"|^(?:prochaine?(?: edition)?|prochain)(?: (?:en|le|au))?\s+"
    r"|^(?:proxim[oa](?: edicion)?)(?: (?:en|el))?\s+"
)
_RANGE_SEPARATOR = re.compile(
    r"\s*-\s*|\s+(?:to|through|thru|till|until|a|au|al|hasta|jusqu'?(?:a|au))\s+"
)
_TRAILER = re.compile(r",|;|:|\s+(?:in|at|en|a|au|held in|venue)\s+")


def _normalize(text: str) -> str:
    """Lower case, no accents, one kind of dash, single spaces."""
    s = unicodedata.normalize("NFKD", text)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.lower().replace("’", "'")
    s = re.sub(r"[‐‑‒–—―−]", "-", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\bon-going\b", "ongoing", s)
    s = re.sub(r"\b1(?:er|re|ero|o|º)(?= [a-z])(?! (?:trimestre|semestre))", "1", s)
    return s.rstrip(".").strip()


def _iso_to_words(s: str) -> str:
    """Rewrite ISO dates so their hyphens cannot be mistaken for a range's dash."""

    def full(m: re.Match[str]) -> str:
        y, mo, d = (int(g) for g in m.groups())
        try:
            date(y, mo, d)
        except ValueError as exc:
            raise TimelineError(f"{m.group(0)!r} is not a real date ({exc})") from None
        return f"{d} {_MONTH_NAMES[mo - 1][1]} {y}"

    def month(m: re.Match[str]) -> str:
        y, mo = int(m.group(1)), int(m.group(2))
        return f"{_MONTH_NAMES[mo - 1][1]} {y}" if 1 <= mo <= 12 else m.group(0)

    s = re.sub(r"\b([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\b", full, s)
    s = re.sub(r"\b([0-9]{4})-([0-9]{2})\b(?!-)", month, s)
    s = re.sub(r"\b([0-9]{4})/([0-9]{4})\b", r"\1 - \2", s)
    return re.sub(r"\b(mid|early|late|end|beginning|start|fin|mi|debut)-(?=[a-z0-9])", r"\1 ", s)


def _extract_recurrence(s: str) -> tuple[str | None, str]:
    for pattern, rule in _RECURRENCES:
        m = pattern.search(s)
        if m:
            if "{n}" in rule:
                raw = m.group("n") or m.groupdict().get("n2")
                n = _NUMBER_WORDS.get(raw) or int(raw)
                if n < 1 or n > 100:
                    raise TimelineError(f"cannot repeat every {raw}")
                rule = rule.format(n=n)
                if rule.endswith("INTERVAL=1"):
                    rule = rule.removesuffix(";INTERVAL=1")
            return rule, (s[: m.start()] + s[m.end() :])
    return None, s


# --- one side of a range -------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    """One side as read: missing year or month is filled from the other side of a range."""

    year: int | None
    month: int | None
    day: int | None
    precision: Precision
    #: For spans wider than the precision says (a quarter, "early 2020"): (first, last) month.
    months: tuple[int, int] | None = None

    def first_day(self) -> date:
        assert self.year is not None
        if self.day is not None:
            return _make_date(self.year, self.month or 1, self.day)
        if self.months is not None:
            first, last = self.months
            return date(self.year - 1 if first > last else self.year, first, 1)
        return date(self.year, self.month or 1, 1)

    def last_day(self) -> date:
        assert self.year is not None
        if self.day is not None:
            return _make_date(self.year, self.month or 1, self.day)
        last = self.months[1] if self.months is not None else self.month or 12
        return date(self.year, last, calendar.monthrange(self.year, last)[1])


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise TimelineError(
            f"{day} {_MONTH_NAMES[month - 1][1].title()} {year} does not exist"
        ) from None


_ONGOING_SIDE = object()

_QUARTER = re.compile(
    r"^(?:q([1-4])|([1-4])(?:st|nd|rd|th)? quarter|(first|second|third|fourth) quarter)"
    r"(?:(?: of)? ([0-9]{4}))?$"
)
_QUARTER_FR_ES = re.compile(
    r"^(?:t([1-4])|(premier|1er|deuxieme|2e|2eme|second|troisieme|3e|3eme|quatrieme|4e|4eme"
    r"|primer|1o|segundo|2o|tercer|3er|3o|cuarto|4o) trimestre)(?:(?: de| del)? ([0-9]{4}))?$"
)
_HALF = re.compile(
    r"^(?:h([12])|s([12])|(first|second|1st|2nd) half"
    r"|(premier|1er|second|deuxieme|2e|2eme|primer|1o|segundo|2o) semestre)"
    r"(?:(?: of| de| del)? ([0-9]{4}))?$"
)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2}
_ORDINALS_FR_ES = {
    **dict.fromkeys(("premier", "1er", "primer", "1o"), 1),
    **dict.fromkeys(("deuxieme", "2e", "2eme", "second", "segundo", "2o"), 2),
    **dict.fromkeys(("troisieme", "3e", "3eme", "tercer", "3er", "3o"), 3),
    **dict.fromkeys(("quatrieme", "4e", "4eme", "cuarto", "4o"), 4),
}
#: Meteorological seasons (northern hemisphere): (first month, last month); winter crosses
#: into its year from December of the year before.
_SEASONS = {
    **dict.fromkeys(("spring", "printemps", "primavera"), (3, 5)),
    **dict.fromkeys(("summer", "ete", "verano"), (6, 8)),
    **dict.fromkeys(("autumn", "fall", "automne", "otono"), (9, 11)),
    **dict.fromkeys(("winter", "hiver", "invierno"), (12, 2)),
}
_SEASON = re.compile(
    r"^(?:(?:the )?(?P<s>" + "|".join(_SEASONS) + r"))(?:(?: of| de| del| d')? ?(?P<y>[0-9]{4}))?$"
)
#: "2020, first half", "2020 Q3": a year written before its part, as reporting periods are named.
_YEAR_FIRST = re.compile(r"^(?P<y>[0-9]{4}),? (?P<part>[a-z].*)$")
_QUALIFIED = re.compile(
    r"^(?P<q>early|beginning of|beginning|start of|the start of|the beginning of|debut|debut de"
    r"|principios de|inicios de|comienzos de|mid|middle of|the middle of|mi|mediados de"
    r"|late|end|end of|the end of|fin|fin de|finales de|fines de|start)\s+(?P<rest>.+)$"
)
_THIRDS = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}
_QUALIFIER_KIND = {
    "early": "early",
    "beginning of": "first",
    "beginning": "first",
    "start of": "first",
    "the start of": "first",
    "the beginning of": "first",
    "debut": "first",
    "debut de": "first",
    "principios de": "first",
    "inicios de": "first",
    "comienzos de": "first",
    "mid": "mid",
    "middle of": "mid",
    "the middle of": "mid",
    "mi": "mid",
    "mediados de": "mid",
    "late": "late",
    "end": "last",
    "start": "first",
    "end of": "last",
    "the end of": "last",
    "fin": "last",
    "fin de": "last",
    "finales de": "last",
    "fines de": "last",
}

_DEFAULT_A = datetime(2004, 1, 1)
_DEFAULT_B = datetime(2008, 2, 2)


def _read_side(raw: str) -> _Side | object:
    text = raw.strip(" ,;.")
    if text in _ONGOING:
        return _ONGOING_SIDE
    if re.fullmatch(r"[0-9]{4}", text):
        return _Side(_check_year(int(text), text), None, None, Precision.YEAR)
    if m := _QUARTER.match(text):
        q = int(m.group(1) or m.group(2) or _ORDINALS[m.group(3)])
        return _Side(
            _year_or_none(m.group(4), text), None, None, Precision.MONTH, (3 * q - 2, 3 * q)
        )
    if m := _QUARTER_FR_ES.match(text):
        q = int(m.group(1) or _ORDINALS_FR_ES[m.group(2)])
        return _Side(
            _year_or_none(m.group(3), text), None, None, Precision.MONTH, (3 * q - 2, 3 * q)
        )
    if m := _SEASON.match(text):
        return _Side(
            _year_or_none(m.group("y"), text), None, None, Precision.MONTH, _SEASONS[m.group("s")]
        )
    if m := _YEAR_FIRST.match(text):
        moved = f"{m.group('part')} {m.group('y')}"
        if any(p.match(moved) for p in (_QUARTER, _QUARTER_FR_ES, _SEASON, _HALF)):
            return _read_side(moved)
    if m := _HALF.match(text):
        word = m.group(3) or m.group(4)
        number = m.group(1) or m.group(2)
        first = ("first", "1st", "premier", "1er", "primer", "1o")
        h = int(number or (1 if word in first else 2))
        return _Side(
            _year_or_none(m.group(5), text),
            None,
            None,
            Precision.MONTH,
            (1, 6) if h == 1 else (7, 12),
        )
    if m := _QUALIFIED.match(text):
        inner = _read_side(m.group("rest"))
        if not isinstance(inner, _Side) or inner.day is not None:
            raise TimelineError(f"cannot read {raw.strip()!r}: a qualifier needs a month or year")
        kind = _QUALIFIER_KIND[m.group("q")]
        if inner.month is not None or inner.months is not None:
            return replace(inner, precision=Precision.MONTH)  # "end of March 2020" is March
        if kind in _THIRDS:
            return replace(inner, precision=Precision.MONTH, months=_THIRDS[kind])
        if kind == "first":
            return replace(inner, month=1, precision=Precision.MONTH)
        if kind == "last":
            return replace(inner, month=12, precision=Precision.MONTH)
        return replace(inner, precision=Precision.MONTH, months=_THIRDS["mid"])
    return _read_with_dateutil(raw, text)


def _check_year(year: int, text: str) -> int:
    if not 1900 <= year <= 2200:
        raise TimelineError(f"year {year} in {text!r} is out of range (1900-2200)")
    return year


def _year_or_none(digits: str | None, text: str) -> int | None:
    return None if digits is None else _check_year(int(digits), text)


def _read_with_dateutil(raw: str, text: str) -> _Side:
    try:
        a = date_parser.parse(text, parserinfo=_PARSER_INFO, default=_DEFAULT_A)
        b = date_parser.parse(text, parserinfo=_PARSER_INFO, default=_DEFAULT_B)
    except (ValueError, ArithmeticError) as exc:  # dateutil can raise decimal errors too
        if "out of range" in str(exc) or "must be in" in str(exc):
            raise TimelineError(f"{raw.strip()!r} is not a real date") from None
        raise TimelineError(f"cannot read {raw.strip()!r} as a date") from None
    year = a.year if a.year == b.year else None
    month = a.month if a.month == b.month else None
    day = a.day if a.day == b.day else None
    if year is None and month is None and day is None:
        raise TimelineError(f"cannot read {raw.strip()!r} as a date")
    if year is not None:
        if not re.search(r"(?<![0-9])[0-9]{4}(?![0-9])", text):
            raise TimelineError(f"write the year in {raw.strip()!r} with four digits")
        _check_year(year, text)
    if day is not None and month is None and year is not None:
        raise TimelineError(f"no month for the day in {raw.strip()!r}")
    if day is not None:
        precision = Precision.DAY
    elif month is not None:
        precision = Precision.MONTH
    else:
        precision = Precision.YEAR
    return _Side(year, month, day, precision)


def _complete(side: _Side, other: _Side, raw: str) -> _Side:
    """Fill a side's missing month and year from the other side ("20-21 January 2020")."""
    if side.day is not None and side.month is None:
        if other.month is None:
            raise TimelineError(f"no month for the day in {raw.strip()!r}")
        side = replace(side, month=other.month)
    if side.year is None:
        if other.year is None:
            raise TimelineError(f"no year in {raw.strip()!r}")
        side = replace(side, year=other.year)
    return side


def _read_single(raw: str) -> _Side | object:
    """A side with possible trailing words: "21 January 2020, Cairo"."""
    try:
        return _read_side(raw)
    except TimelineError as first_error:
        for cut in reversed(list(_TRAILER.finditer(raw))):
            head, tail = raw[: cut.start()], raw[cut.end() :]
            if re.search(r"[0-9]", tail) or not head.strip():
                continue
            try:
                return _read_side(head)
            except TimelineError:
                continue
        raise first_error from None


# --- the whole text -------------------------------------------------------------------------


#: The longest timeline read (the length the database keeps); reading is not linear in the
#: length of hostile text such as thousands of parentheses, so longer text is refused unread.
MAX_TIMELINE_CHARS = 300


def parse_timeline(text: str) -> Timeline:
    """Read a timeline as a workplan writes it; see the module docstring for the rules."""
    if not isinstance(text, str):
        raise TimelineError(f"a timeline is text, not {type(text).__name__}")
    if len(text) > MAX_TIMELINE_CHARS:
        raise TimelineError(
            f"a timeline of {len(text):,} characters is too long; at most {MAX_TIMELINE_CHARS}"
        )
    try:
        return _parse(text)
    except TimelineError as exc:
        if repr(text) in str(exc):
            raise
        raise TimelineError(f"{exc} in {text!r}") from None


def _parse(text: str) -> Timeline:
    original = text
    s = _iso_to_words(_normalize(text))
    recurrence, s = _extract_recurrence(s)
    started = _STARTED.search(s)
    s = _STARTED.sub(" ", s) if started else s
    s = re.sub(r"\([^)]*\)", " ", s)  # what is left in parentheses is commentary
    if "(" in s or ")" in s:
        raise TimelineError(f"unbalanced parenthesis in {original!r}")
    s = re.sub(r"\s+", " ", s).strip(" ,;.")
    if s in _UNDETERMINED or _NOT_DATED.match(s):
        return Timeline(original, recurrence=recurrence)
    if started:
        if s not in _ONGOING:
            raise TimelineError(f"cannot read {original!r}: '(started ...)' goes with 'ongoing'")
        s = f"{started.group('start').strip()} - ongoing"
    if recurrence and (next_in := _NEXT_IN.match(s)):
        s = s[next_in.end() :]
    s = _WHOLE.sub("", s, count=1)
    onwards = _ONWARDS.search(s)
    if onwards:
        s = s[: onwards.start()]
        if not _OPEN_END.match(s):
            s = f"from {s}"

    open_start = bool(_OPEN_START.match(s))
    if open_start:
        s = _OPEN_START.sub("", s, count=1)
    from_prefix = _OPEN_END.match(s)
    if from_prefix and not open_start:
        s = s[from_prefix.end() :]

    parts = _RANGE_SEPARATOR.split(s, maxsplit=1)
    if len(parts) == 2 and not open_start:
        return _range(original, parts[0], parts[1], recurrence)
    if len(parts) == 2:
        raise TimelineError(f"{original!r} gives a range after 'until' or 'by'")

    side = _read_single(parts[0])
    if side is _ONGOING_SIDE:
        if open_start or from_prefix:
            raise TimelineError(f"cannot read {original!r}: 'ongoing' needs no 'from' or 'until'")
        return Timeline(original, ongoing=True, recurrence=recurrence)
    assert isinstance(side, _Side)
    if side.year is None:
        raise TimelineError(f"no year in {parts[0].strip()!r}")
    if open_start:
        return Timeline(
            original, end=side.last_day(), end_precision=side.precision, recurrence=recurrence
        )
    if from_prefix:
        return Timeline(
            original,
            start=side.first_day(),
            ongoing=bool(onwards or _ONGOING_FROM.match(from_prefix.group(0))),
            recurrence=recurrence,
            start_precision=side.precision,
        )
    return Timeline(
        original,
        side.first_day(),
        side.last_day(),
        False,
        recurrence,
        side.precision,
        side.precision,
    )


def _range(original: str, left_raw: str, right_raw: str, recurrence: str | None) -> Timeline:
    if not left_raw.strip() or not right_raw.strip():
        raise TimelineError(f"{original!r} has a dash with nothing on one side")
    if _RANGE_SEPARATOR.search(right_raw):
        raise TimelineError(f"{original!r} has more than one range")
    left = _read_side(left_raw)
    right = _read_single(right_raw)
    ongoing = left is _ONGOING_SIDE or right is _ONGOING_SIDE
    if left is _ONGOING_SIDE and right is _ONGOING_SIDE:
        return Timeline(original, ongoing=True, recurrence=recurrence)
    if left is _ONGOING_SIDE:
        assert isinstance(right, _Side)
        if right.year is None:
            raise TimelineError(f"no year in {right_raw.strip()!r}")
        return Timeline(original, None, right.last_day(), True, recurrence, None, right.precision)
    assert isinstance(left, _Side)
    if right is _ONGOING_SIDE:
        if left.year is None:
            raise TimelineError(f"no year in {left_raw.strip()!r}")
        return Timeline(original, left.first_day(), None, True, recurrence, left.precision, None)
    assert isinstance(right, _Side)

    borrowed_year = left.year is None
    left = _complete(left, right, left_raw)
    right = _complete(right, left, right_raw)
    start, end = left.first_day(), right.last_day()
    if start > end and borrowed_year and left.month is not None:
        # "November – March 2020" runs from November 2019
        left = replace(left, year=left.year - 1)  # type: ignore[operator]
        start = left.first_day()
    if start > end:
        raise TimelineError(
            f"{original!r} ends ({format_date(end, right.precision)}) before it starts "
            f"({format_date(start, left.precision)})"
        )
    return Timeline(original, start, end, ongoing, recurrence, left.precision, right.precision)


# --- writing dates back as people write them ------------------------------------------------


def format_date(value: date, precision: Precision | str | None = Precision.DAY) -> str:
    """ "20 January 2020", "January 2020" or "2020"."""
    if precision == Precision.YEAR:
        return str(value.year)
    if precision == Precision.MONTH:
        return f"{calendar.month_name[value.month]} {value.year}"
    return f"{value.day} {calendar.month_name[value.month]} {value.year}"


def format_span(
    start: date | None,
    end: date | None,
    start_precision: Precision | str | None = Precision.DAY,
    end_precision: Precision | str | None = Precision.DAY,
    *,
    ongoing: bool = False,
) -> str:
    """Write a span the way a workplan would: "20-21 January 2020", "November 2019 – March 2020"."""
    if start is None and end is None:
        return "ongoing" if ongoing else "no date"
    if start is None:
        assert end is not None
        written = format_date(end, end_precision)
        return f"ongoing – {written}" if ongoing else f"until {written}"
    if end is None:
        written = format_date(start, start_precision)
        return f"{written} – ongoing" if ongoing else f"from {written}"
    sp = Precision(start_precision or Precision.DAY)
    ep = Precision(end_precision or Precision.DAY)
    if sp == ep == Precision.DAY:
        if start == end:
            return format_date(start)
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}-{end.day} {calendar.month_name[end.month]} {end.year}"
        if start.year == end.year:
            return f"{start.day} {calendar.month_name[start.month]} – {format_date(end)}"
    if sp == ep == Precision.MONTH:
        if (start.year, start.month) == (end.year, end.month):
            return format_date(start, sp)
        if start.year == end.year:
            return f"{calendar.month_name[start.month]} – {format_date(end, ep)}"
    if sp == ep == Precision.YEAR and start.year == end.year:
        return str(start.year)
    return f"{format_date(start, sp)} – {format_date(end, ep)}"
