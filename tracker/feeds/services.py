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
from tracker.domain.items import ItemFilter, ItemKind, find_items
from tracker.feeds.calendar import build_calendar
from tracker.feeds.models import FeedToken
from tracker.models import (
    Entity,
    Person,
    Status,
    WorkingGroup,
    utcnow,
)
from tracker.timeline import format_date

#: Raise when the calendar output changes shape, so clients fetch it again after a deploy.
FORMAT_VERSION = "1"
#: How often `last_used_at` may be written: reading a feed should rarely write.
USE_RECORDED_EVERY = timedelta(hours=1)
TOKEN_NAME_LENGTH = 80


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


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _flag(args: Mapping[str, list[str]], name: str) -> bool:
    value = (args.get(name) or [""])[-1].strip().lower()
    if value not in _TRUE | _FALSE:
        raise FeedOptionError(f"{name}={value!r}: use 1 or 0")
    return value in _TRUE


def _day(args: Mapping[str, list[str]], name: str) -> date | None:
    value = (args.get(name) or [""])[-1].strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FeedOptionError(f"{name}={value!r} is not an ISO date such as 2020-01-15") from None


def _words(args: Mapping[str, list[str]], name: str) -> list[str]:
    """Repeated parameters and comma-separated values alike: status=planned,delayed."""
    return [part.strip() for value in args.get(name, []) for part in value.split(",") if part]


@dataclass(frozen=True)
class FeedOptions:
    """The list pages' filters and the feed's own option, as a feed address carries them.

    Query parameters, named as `tracker items` names its options: status (repeat it, or
    separate with commas), due_from, due_to, overdue=1, upcoming=DAYS, open=1, kind
    (activity, milestone), text, working_group, entity, leading=1; and spans=1 to show
    activities over their whole planned span instead of on the day they are due.
    """

    statuses: frozenset[Status] = frozenset()
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False
    #: Open items due in the next so many days, counted from the day the feed is read.
    upcoming: int | None = None
    open_only: bool = False
    kinds: frozenset[ItemKind] = frozenset()
    text: str | None = None
    working_group: str | None = None
    entity: str | None = None
    leading: bool = False
    spans: bool = False

    @classmethod
    def from_query(cls, args: Mapping[str, list[str]]) -> FeedOptions:
        """Read `request.args.to_dict(flat=False)`; unknown parameters are left alone, as
        people add them to make a client fetch a feed anew."""
        try:
            statuses = frozenset(Status.parse(s) for s in _words(args, "status"))
        except ValueError as exc:
            raise FeedOptionError(f"status: {exc}") from None
        kinds = frozenset(_words(args, "kind"))
        if not kinds <= {"activity", "milestone"}:
            raise FeedOptionError(f"kind: use activity or milestone, not {sorted(kinds)}")
        upcoming_text = (args.get("upcoming") or [""])[-1].strip()
        if upcoming_text and not (upcoming_text.isdigit() and 0 < int(upcoming_text) <= 3660):
            raise FeedOptionError(f"upcoming={upcoming_text!r}: a number of days up to 3660")
        options = cls(
            statuses=statuses,
            due_from=_day(args, "due_from"),
            due_to=_day(args, "due_to"),
            overdue=_flag(args, "overdue"),
            upcoming=int(upcoming_text) if upcoming_text else None,
            open_only=_flag(args, "open"),
            kinds=kinds,  # type: ignore[arg-type]
            text=" ".join(" ".join(args.get("text", [])).split()) or None,
            working_group=(args.get("working_group") or [""])[-1].strip() or None,
            entity=(args.get("entity") or [""])[-1].strip() or None,
            leading=_flag(args, "leading"),
            spans=_flag(args, "spans"),
        )
        if options.due_from and options.due_to and options.due_from > options.due_to:
            raise FeedOptionError("due_from is after due_to")
        return options

    def query(self) -> list[tuple[str, str]]:
        """The parameters in one canonical order: for addresses, and for telling feeds apart."""
        pairs: list[tuple[str, str]] = [("status", s.value) for s in sorted(self.statuses)]
        pairs += [("kind", k) for k in sorted(self.kinds)]
        for name, value in (
            ("due_from", self.due_from.isoformat() if self.due_from else None),
            ("due_to", self.due_to.isoformat() if self.due_to else None),
            ("upcoming", str(self.upcoming) if self.upcoming else None),
            ("text", self.text),
            ("working_group", self.working_group),
            ("entity", self.entity),
        ):
            if value:
                pairs.append((name, value))
        for name, on in (
            ("overdue", self.overdue),
            ("open", self.open_only),
            ("leading", self.leading),
            ("spans", self.spans),
        ):
            if on:
                pairs.append((name, "1"))
        return pairs

    @property
    def depends_on_today(self) -> bool:
        """Whether the feed can change at midnight with no change to the data."""
        return bool(self.overdue or self.upcoming or self.due_from or self.due_to)

    def narrow(self, flt: ItemFilter, today: date) -> ItemFilter:
        flt = replace(
            flt,
            statuses=self.statuses or flt.statuses,
            due_from=self.due_from,
            due_to=self.due_to,
            overdue=self.overdue,
            open_only=self.open_only,
            kinds=self.kinds or flt.kinds,
            text=self.text,
            working_group=self.working_group or flt.working_group,
            entity=self.entity or flt.entity,
            leading_only=self.leading,
            series=True,
        )
        if self.upcoming:
            flt = replace(
                flt, due_from=today, due_to=today + timedelta(days=self.upcoming), open_only=True
            )
        return flt

    def label(self) -> str:
        """The filters in words, for a feed's name: "planned or delayed · due from 1 June 2020".

        No commas or semicolons, which calendar clients that do not unescape names would show
        with their backslashes."""
        parts = []
        if self.statuses:
            parts.append(" or ".join(s.label for s in sorted(self.statuses)))
        if self.kinds:
            parts.append(" and ".join(f"{k}s" for k in sorted(self.kinds)))
        if self.working_group:
            parts.append(self.working_group)
        if self.entity:
            parts.append(f"{self.entity}{' leads' if self.leading else ''}")
        if self.overdue:
            parts.append("overdue")
        if self.upcoming:
            parts.append(f"due in the next {self.upcoming} days")
        if self.due_from or self.due_to:
            low = f"from {format_date(self.due_from)}" if self.due_from else ""
            high = f"until {format_date(self.due_to)}" if self.due_to else ""
            parts.append(" ".join(p for p in ("due", low, high) if p))
        if self.open_only and not self.upcoming:
            parts.append("open")
        if self.text:
            parts.append(f"“{self.text}”")
        return " · ".join(parts)

    def check_names(self, session: so.Session) -> None:
        """Raise `UnknownName` for a working group or entity that does not exist."""
        if self.working_group:
            resolve_working_group(session, self.working_group)
        if self.entity:
            EntityDirectory.load(session).resolve(self.entity)


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
    if options.working_group:
        raise FeedOptionError(f"working_group: this is already the {group.short_name} feed")
    return _feed(
        group.short_name,
        f"Activities, milestones and meetings of the {group.name}.",
        ItemFilter(working_group=group.short_name),
        options,
    )


def entity_feed(entity: Entity, options: FeedOptions) -> Feed:
    if options.entity:
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
    return build_calendar(
        items,
        name=feed.name,
        base_url=base_url,
        spans=feed.options.spans,
        description=feed.description,
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
def validators(
    address: str,
    state: tuple[int, datetime],
    *,
    base_url: str,
    today: date | None,
    zone: str,
) -> Validators:
    """ETag and Last-Modified of the feed at `address`, from the workplan's content state.

    The state (`read_content_state`) moves on with every change to the workplan, so a change
    anywhere costs every feed one rebuild, where a per-feed answer would cost a query as large
    as the feed, and missing a change would leave a calendar wrong. `today` is given for feeds
    that change at midnight with no change to the data (`FeedOptions.depends_on_today`).
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
