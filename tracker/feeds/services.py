"""Feeds: what each address shows, its tokens, and the validators of conditional requests.

Every feed is `find_items` with a filter (a person's, a working group's, an entity's, or the
whole programme's, narrowed by the list pages' filters) rendered by `build_calendar`. The web
routes and `tracker calendar export` both go through `render`, so a file and a feed of the
same filter are the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.domain.entities import EntityDirectory, resolve_working_group
from tracker.domain.items import find_items
from tracker.domain.monitoring import rounds_coordinated_by
from tracker.domain.query import ItemFilter, QueryError, parse_query, query_pairs, read_flag
from tracker.feeds.models import FeedToken
from tracker.ical.calendar import build_calendar, round_event
from tracker.models import (
    Entity,
    Person,
    WorkingGroup,
    utcnow,
)
from tracker.timeline import format_date

#: Raise when the calendar output changes shape, so clients fetch it again after a deploy.
FORMAT_VERSION = "1"
#: How often `last_used_at` may be written: reading a feed should rarely write.
USE_RECORDED_EVERY = timedelta(hours=1)
TOKEN_NAME_LENGTH = 80
#: A feed without a due window of its own shows what is due from the first day of the month
#: this many months back, and everything later: a subscriber's calendar needs the coming
#: months, not a decade (a personal feed of a large programme: 17 MB in full, which calendar
#: clients take badly). `past=all` or `past=MONTHS` in the address asks for more.
DEFAULT_PAST_MONTHS = 12
MAX_PAST_MONTHS = 1200


# --- tokens ----------------------------------------------------------------------------------


class TokenError(ValueError):
    """A token name that cannot be used; the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def _clean_name(session: so.Session, person: Person, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise TokenError("name the device this address is for, e.g. 'Outlook at the office'")
    if len(name) > TOKEN_NAME_LENGTH:
        raise TokenError(f"a name of at most {TOKEN_NAME_LENGTH} characters, please")
    taken = session.scalar(
        sa.select(FeedToken.id).where(
            FeedToken.person_id == person.id, sa.func.lower(FeedToken.name) == name.lower()
        )
    )
    if taken is not None:
        raise TokenError(f"you already have an address named {name!r}; rotate or revoke it")
    return name


def create_token(session: so.Session, person: Person, name: str) -> tuple[FeedToken, str]:
    """A new address for one of the person's devices; the token is returned only this once."""
    token, digest = _new_secret()
    row = FeedToken(person=person, name=_clean_name(session, person, name), token_hash=digest)
    session.add(row)
    session.flush()
    return row, token


def rotate_token(row: FeedToken) -> str:
    """A new token under the same name; the old one stops working at once."""
    token, row.token_hash = _new_secret()
    row.issued_at = utcnow()
    row.last_used_at = None
    return token


def revoke_token(session: so.Session, row: FeedToken) -> None:
    session.delete(row)
    session.flush()


def tokens_of(session: so.Session, person: Person) -> list[FeedToken]:
    return list(
        session.scalars(
            sa.select(FeedToken).where(FeedToken.person_id == person.id).order_by(FeedToken.name)
        )
    )


def token_named(session: so.Session, person: Person, name: str) -> FeedToken | None:
    return session.scalars(
        sa.select(FeedToken).where(
            FeedToken.person_id == person.id,
            sa.func.lower(FeedToken.name) == " ".join(name.split()).lower(),
        )
    ).first()


def find_token(session: so.Session, token: str) -> FeedToken | None:
    """The token row with its person, in one query; None for unknown, rotated or revoked."""
    return session.scalars(
        sa.select(FeedToken)
        .where(FeedToken.token_hash == hash_token(token))
        .options(so.joinedload(FeedToken.person))
    ).first()


def use_to_record(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a use of a token is written: at most once per `USE_RECORDED_EVERY`."""
    return last_used_at is None or now - last_used_at >= USE_RECORDED_EVERY


def note_use(row: FeedToken, now: datetime) -> bool:
    """Record that the token was used, if `use_to_record`."""
    if not use_to_record(row.last_used_at, now):
        return False
    row.last_used_at = now
    return True


# --- what a feed shows ----------------------------------------------------------------------


class FeedOptionError(ValueError):
    """A query parameter of a feed address that cannot be read; the message names it."""


@dataclass(frozen=True)
class FeedOptions:
    """What a feed address's query parameters ask: the list pages' item query (the same
    parameters, `tracker.domain.query.PARAMETERS`, older names such as `text` and
    `upcoming` included) and the feed's own option, `spans=1`, to show activities over their
    whole planned span instead of on the day they are due; and `past=MONTHS` or `past=all`,
    how far back a feed without a due window of its own reaches (`DEFAULT_PAST_MONTHS`)."""

    filter: ItemFilter = field(default_factory=ItemFilter)
    spans: bool = False
    #: Months back from which a feed without a due window of its own starts (`window_from`);
    #: None for everything.
    past_months: int | None = DEFAULT_PAST_MONTHS

    @classmethod
    def from_query(cls, args: Mapping[str, list[str]]) -> FeedOptions:
        """Read `request.args.to_dict(flat=False)`; an unknown parameter is an error naming
        it, so a filter that would be ignored is never served as if it applied."""
        try:
            flt = parse_query(args, extra=FEED_PARAMETERS)
            spans = read_flag(args, "spans")
        except QueryError as exc:
            raise FeedOptionError(str(exc)) from None
        return cls(flt, spans, _past_months(args))

    def query(self) -> list[tuple[str, str]]:
        """The parameters in one canonical order: for addresses, and for telling feeds apart."""
        pairs = query_pairs(self.filter) + ([("spans", "1")] if self.spans else [])
        if self.past_months != DEFAULT_PAST_MONTHS:
            pairs.append(("past", "all" if self.past_months is None else str(self.past_months)))
        return pairs

    @property
    def depends_on_today(self) -> bool:
        """Whether the feed can change at midnight with no change to the data."""
        return self.filter.depends_on_today

    def window_from(self, today: date) -> date | None:
        """Where the default window starts: the first of the month `past_months` back; None
        when the address names a due window of its own or asks for everything."""
        if self.depends_on_today or self.past_months is None:
            return None
        months = today.year * 12 + today.month - 1 - self.past_months
        return date(months // 12, months % 12 + 1, 1)

    def dated_by(self, today: date) -> date | None:
        """The day the feed's content depends on besides the data, for its validators: today
        for a window counted from today, the window's first day for the default window."""
        return today if self.depends_on_today else self.window_from(today)

    def narrow(self, scope: ItemFilter, today: date) -> ItemFilter:
        """The feed's own scope (a person, a group, an entity) narrowed by these options and
        the default window; recurring items as series, which calendars repeat by their RRULE."""
        flt = self.filter
        if (start := self.window_from(today)) is not None:
            flt = replace(flt, due_from=start)
        return replace(
            flt,
            statuses=flt.statuses or scope.statuses,
            kinds=flt.kinds if flt.kinds != ItemFilter().kinds else scope.kinds,
            working_group=flt.working_group or scope.working_group,
            entity=flt.entity or scope.entity,
            person_id=scope.person_id,
            activity_ids=scope.activity_ids,
            milestone_ids=scope.milestone_ids,
            series=True,
        )

    def label(self) -> str:
        """The filters in words, for a feed's name: "planned or delayed · due from 1 June 2020".

        No commas or semicolons, which calendar clients that do not unescape names would show
        with their backslashes."""
        flt = self.filter
        parts = []
        if flt.statuses:
            parts.append(" or ".join(s.label for s in sorted(flt.statuses)))
        if flt.kinds != ItemFilter().kinds:
            parts.append(" and ".join(f"{k}s" for k in sorted(flt.kinds)))
        if flt.working_group:
            parts.append(flt.working_group)
        if flt.entity:
            parts.append(f"{flt.entity}{' leads' if flt.leading_only else ''}")
        if flt.overdue:
            parts.append("overdue")
        if flt.upcoming:
            parts.append(f"due in the next {flt.upcoming} days")
        if flt.due_from or flt.due_to:
            low = f"from {format_date(flt.due_from)}" if flt.due_from else ""
            high = f"until {format_date(flt.due_to)}" if flt.due_to else ""
            parts.append(" ".join(p for p in ("due", low, high) if p))
        if flt.open_only and not flt.upcoming:
            parts.append("open")
        if flt.text:
            parts.append(f"“{flt.text}”")
        if self.past_months != DEFAULT_PAST_MONTHS and not self.depends_on_today:
            parts.append(
                "all dates" if self.past_months is None else f"from {self.past_months} months back"
            )
        return " · ".join(parts)

    def check_names(self, session: so.Session) -> None:
        """Raise `UnknownName` for a working group or entity that does not exist."""
        if self.filter.working_group:
            resolve_working_group(session, self.filter.working_group)
        if self.filter.entity:
            EntityDirectory.load(session).resolve(self.filter.entity)


#: The feeds' own parameters beside the item query's.
FEED_PARAMETERS = ("spans", "past")


def _past_months(args: Mapping[str, list[str]]) -> int | None:
    past = (args.get("past") or [""])[-1].strip().lower()
    if not past:
        return DEFAULT_PAST_MONTHS
    if past == "all":
        return None
    if not (past.isdigit() and int(past) <= MAX_PAST_MONTHS):
        raise FeedOptionError(f"past: all, or a number of months up to {MAX_PAST_MONTHS}")
    return int(past)


@dataclass(frozen=True)
class Feed:
    """What one feed address shows."""

    name: str
    description: str
    filter: ItemFilter
    options: FeedOptions = field(default_factory=FeedOptions)

    def item_filter(self, today: date) -> ItemFilter:
        return self.options.narrow(self.filter, today)


SUFFIX = "Workplan Tracker"


def _feed(title: str | None, description: str, flt: ItemFilter, options: FeedOptions) -> Feed:
    label = options.label()
    name = " – ".join(
        p for p in (f"{title} ({label})" if title and label else title or label, SUFFIX) if p
    )
    return Feed(name, description, flt, options)


def person_feed(person: Person, options: FeedOptions) -> Feed:
    groups = ", ".join(g.short_name for g in person.working_groups)
    scope = " and ".join(p for p in (groups, person.entity.acronym if person.entity else "") if p)
    return _feed(
        person.name,
        f"Activities, milestones and meetings of {scope or 'no working group yet'}.",
        ItemFilter(person_id=person.id),
        options,
    )


def group_feed(group: WorkingGroup, options: FeedOptions) -> Feed:
    if options.filter.working_group:
        raise FeedOptionError(f"working_group: this is already the {group.short_name} feed")
    return _feed(
        group.short_name,
        f"Activities, milestones and meetings of the {group.name}.",
        ItemFilter(working_group=group.short_name),
        options,
    )


def entity_feed(entity: Entity, options: FeedOptions) -> Feed:
    if options.filter.entity:
        raise FeedOptionError(f"entity: this is already the {entity.acronym} feed")
    return _feed(
        entity.acronym,
        f"Activities, milestones and meetings in which {entity.name} takes part.",
        ItemFilter(entity=entity.acronym),
        options,
    )


def programme_feed(options: FeedOptions) -> Feed:
    return _feed(
        None,
        "Activities, milestones and meetings of every working group.",
        ItemFilter(),
        options,
    )


def render(session: so.Session, feed: Feed, *, base_url: str, today: date) -> bytes:
    """The feed's iCalendar: its items (recurring ones as series) through `build_calendar`."""
    items = find_items(session, feed.item_filter(today), today).items
    person_id = feed.filter.person_id
    rounds = rounds_coordinated_by(session, person_id) if person_id is not None else []
    return build_calendar(
        items,
        name=feed.name,
        base_url=base_url,
        spans=feed.options.spans,
        description=feed.description,
        extra_events=[round_event(r, base_url) for r in rounds],
    )


# --- addresses ------------------------------------------------------------------------------


def feed_path(token: str | None, scope: str | None = None, name: str | None = None) -> str:
    """The path of a feed: a person's (`scope` None), "all", a "working-groups" or an
    "entities" one; without a token, a public working group's."""
    if token is None:
        return f"/calendar/public/working-groups/{quote(name or '', safe='')}.ics"
    if scope is None:
        return f"/calendar/{token}.ics"
    if scope == "all":
        return f"/calendar/{token}/all.ics"
    return f"/calendar/{token}/{scope}/{quote(name or '', safe='')}.ics"


def feed_url(base_url: str, path: str, options: FeedOptions | None = None) -> str:
    query = urlencode(options.query()) if options else ""
    return base_url.rstrip("/") + path + (f"?{query}" if query else "")


def webcal(url: str) -> str:
    """The same address for clients that subscribe when a webcal:// link is followed."""
    return "webcal://" + url.split("://", 1)[1]


# --- conditional requests -------------------------------------------------------------------


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: datetime


@functools.lru_cache(maxsize=1024)
def address_of(path: str, options: FeedOptions) -> str:
    """What tells one feed apart from every other: its path and its options, in one spelling."""
    return f"{path}?{urlencode(options.query())}"


@functools.lru_cache(maxsize=1024)
def feed_key(address: str, base_url: str) -> str:
    """What tells a feed's stored bodies apart from other feeds', whatever their version."""
    return hashlib.sha256(repr((FORMAT_VERSION, base_url, address)).encode()).hexdigest()


@functools.lru_cache(maxsize=1024)
def validators(
    address: str,
    state: tuple[int, datetime],
    *,
    base_url: str,
    today: date | None,
    zone: str,
) -> Validators:
    """ETag and Last-Modified of the feed at `address`, from the workplan's content state.

    Each content version has a Last-Modified of its own whole second (`_bump_content_version`
    moves `changed_at` to a later second than the version before), so an If-Modified-Since
    names one version, as an ETag does.

    The state (`read_content_state`) moves on with every change to the workplan, so a change
    anywhere costs every feed one rebuild, where a per-feed answer would cost a query as large
    as the feed, and missing a change would leave a calendar wrong. `today` is the day a feed's
    content depends on besides the data (`FeedOptions.dated_by`), if any.
    Kept per process, as `address_of`: every poll of an unchanged feed asks the same again.
    """
    version, changed_at = state
    key: tuple[object, ...] = (FORMAT_VERSION, base_url, address, version, changed_at.isoformat())
    last = changed_at
    if today is not None:
        midnight = datetime.combine(today, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)
        last = max(last, midnight)
        key += (today.isoformat(),)
    digest = hashlib.sha256(repr(key).encode()).hexdigest()
    return Validators(etag=digest[:32], last_modified=last)
