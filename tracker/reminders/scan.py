"""The daily scan's plan: which reminders are due today, and for whom.

What "due" and "overdue" mean comes from `tracker.domain.items`; this module decides only
which lead time applies. On a given day an item's reminder for a recipient is the tightest
lead time that has been reached (due in 5 days with lead times 30, 7, 1, 0: the 7-day one),
or, once it is overdue, an overdue notice. A reminder is sent unless that one or a tighter
one was already claimed for the same item, recipient and due date; an overdue notice unless
one went out in the last seven days, which makes them weekly, and only while the item is
overdue by no more than its working group's horizon (`overdue_horizon_days`, 60 by default):
the first scan of old workplans (a fresh seed, an import, a restore) sends no backlog of
items years overdue, which stay on the dashboard and in `tracker reminders overdue`.
So a missed day (the scheduler was down, the clock jumped) is caught up by the next run with
the reminder that is true on that day, once; a run for an earlier day never sends stale ones.

Writing the digests and their claims is `tracker.reminders.run`'s.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from tracker.domain.item import Item
from tracker.domain.items import ItemFilter, due_between, overdue
from tracker.models import Entity, Person, PersonRole, WorkingGroup, parse_lead_days
from tracker.reminders.models import ReminderClaim, ReminderOptOut

log = logging.getLogger(__name__)

#: The outbox `kind` of reminder digests (unsubscribing withdraws pending ones).
DIGEST_KIND = "reminders"
#: How often an overdue item's notice repeats.
OVERDUE_EVERY_DAYS = 7

#: (item kind, item id, recipient, due date): the reminders of one item for one recipient.
Slot = tuple[str, int, str, date]


#: An item overdue for longer than its working group says gets no more notices.
DEFAULT_OVERDUE_HORIZON_DAYS = 60


def reminder_due(
    item: Item,
    today: date,
    lead_days: Iterable[int],
    horizon_days: int = DEFAULT_OVERDUE_HORIZON_DAYS,
) -> int | None:
    """Today's reminder as days before the due date; for an overdue item, minus its days late
    (None once it is late by more than `horizon_days`)."""
    if item.due is None:
        return None
    days_left = (item.due - today).days
    if days_left < 0:
        return days_left if item.is_overdue(today) and -days_left <= horizon_days else None
    reached = [lead for lead in lead_days if lead >= days_left]
    return min(reached) if reached else None


def already_covered(days_before_due: int, tightest_claimed: int | None) -> bool:
    """Whether a claim makes this reminder redundant: the same or a tighter lead time, or an
    overdue notice less than a week ago (or later: a run for an earlier day)."""
    if tightest_claimed is None:
        return False
    if days_before_due < 0:
        return tightest_claimed < 0 and tightest_claimed < days_before_due + OVERDUE_EVERY_DAYS
    return tightest_claimed <= days_before_due


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    #: The person's own lead times; None for the working group's.
    lead_days: tuple[int, ...] | None
    digest_hour: int
    person_id: int | None = None

    @functools.cached_property
    def key(self) -> str:
        return self.email.lower()


@dataclass(frozen=True)
class Reminder:
    item: Item
    days_before_due: int

    @property
    def overdue(self) -> bool:
        return self.days_before_due < 0

    @property
    def due(self) -> date:
        assert self.item.due is not None
        return self.item.due

    def slot(self, recipient: Recipient) -> Slot:
        return (self.item.kind, self.item.id, recipient.key, self.due)


@dataclass
class Digest:
    """Everything one recipient is reminded of in one run: one e-mail."""

    recipient: Recipient
    today: date
    reminders: list[Reminder] = field(default_factory=list)
    #: The entities the recipient hears for: as their contact address or as one of their leads.
    entities: tuple[str, ...] = ()
    #: The digest's first line, before "as of DATE".
    intro: str = "Deadlines in the workplans you lead"


@dataclass(frozen=True)
class Skip:
    """An item a scan sends no reminder of, and why (`tracker reminders run --verbose`)."""

    item: Item
    recipient: str | None
    reason: str


@dataclass
class Audience:
    """Who hears about an entity's items: its contact address and its leads, minus opt-outs."""

    by_entity: dict[str, list[Recipient]]
    group_lead_days: dict[str, tuple[int, ...]]
    group_horizon: dict[str, int] = field(default_factory=dict)
    #: Recipients per set of lead entities: thousands of items share a few such sets.
    _by_leads: dict[tuple[str, ...], list[Recipient]] = field(
        default_factory=dict, init=False, repr=False
    )

    @classmethod
    def load(cls, session: so.Session, contact_digest_hour: int) -> Audience:
        people = session.execute(
            sa.select(Person, Entity.acronym).outerjoin(Entity, Person.entity_id == Entity.id)
        ).all()
        muted = set(session.scalars(sa.select(ReminderOptOut.email)))
        muted |= {p.email.lower() for p, _ in people if not p.reminders_enabled}

        by_entity: dict[str, dict[str, Recipient]] = defaultdict(dict)
        for entity in session.scalars(sa.select(Entity).where(Entity.contact_email.is_not(None))):
            address = (entity.contact_email or "").strip()
            if address and address.lower() not in muted:
                contact = Recipient(address, entity.name, None, contact_digest_hour)
                by_entity[entity.acronym][contact.key] = contact
        for person, acronym in people:
            if (
                acronym is None
                or person.role != PersonRole.LEAD
                or not person.active
                or person.email.lower() in muted
            ):
                continue
            lead = Recipient(
                person.email,
                person.name,
                _own_lead_days(person),
                person.digest_hour,
                person.id,
            )
            by_entity[acronym][lead.key] = lead  # a lead's own settings win over the contact's
        groups = session.execute(
            sa.select(
                WorkingGroup.short_name,
                WorkingGroup.reminder_lead_days,
                WorkingGroup.overdue_horizon_days,
            )
        ).all()
        return cls(
            {acronym: list(found.values()) for acronym, found in by_entity.items()},
            {name: _group_lead_days(name, days) for name, days, _ in groups},
            {name: horizon for name, _, horizon in groups},
        )

    def recipients_of(self, item: Item) -> list[Recipient]:
        if item.leads not in self._by_leads:
            found: dict[str, Recipient] = {}
            for acronym in item.leads:
                for recipient in self.by_entity.get(acronym, ()):
                    found.setdefault(recipient.key, recipient)
            self._by_leads[item.leads] = list(found.values())
        return self._by_leads[item.leads]

    def entities_of(self, recipient: Recipient) -> tuple[str, ...]:
        return tuple(
            sorted(
                acronym
                for acronym, recipients in self.by_entity.items()
                if any(r.key == recipient.key for r in recipients)
            )
        )

    def lead_days(self, recipient: Recipient, item: Item) -> tuple[int, ...]:
        if recipient.lead_days is not None:
            return recipient.lead_days
        return self.group_lead_days.get(item.working_group, ())

    def horizon(self, item: Item) -> int:
        return self.group_horizon.get(item.working_group, DEFAULT_OVERDUE_HORIZON_DAYS)

    @property
    def widest_lead(self) -> int:
        every = [*self.group_lead_days.values()]
        every += [r.lead_days for rs in self.by_entity.values() for r in rs if r.lead_days]
        return max((max(days) for days in every if days), default=0)


def _group_lead_days(name: str, text: str) -> tuple[int, ...]:
    try:
        return tuple(parse_lead_days(text))
    except ValueError as exc:  # the importer never stores this; one bad group stops no scan
        default = WorkingGroup.__table__.c.reminder_lead_days.default.arg  # type: ignore[union-attr]
        log.error("working group %s: %s; using the default lead times %s", name, exc, default)
        return tuple(parse_lead_days(default))


def _own_lead_days(person: Person) -> tuple[int, ...] | None:
    if not (person.reminder_lead_days or "").strip():
        return None
    try:
        return tuple(parse_lead_days(person.reminder_lead_days or ""))
    except ValueError as exc:  # the preferences page never stores this; an import might
        log.warning("%s: %s; using the working group's lead times", person.email, exc)
        return None


def claimed_slots(
    session: so.Session, today: date, recipient: str | None = None
) -> dict[Slot, int]:
    """The tightest reminder already claimed per slot, for every slot that can matter today."""
    query = sa.select(
        ReminderClaim.item_kind,
        ReminderClaim.item_id,
        ReminderClaim.recipient,
        ReminderClaim.due_date,
        sa.func.min(ReminderClaim.days_before_due),
    ).where(
        sa.or_(
            ReminderClaim.due_date >= today,
            ReminderClaim.remind_on > today - timedelta(days=OVERDUE_EVERY_DAYS),
        )
    )
    if recipient is not None:
        query = query.where(ReminderClaim.recipient == recipient)
    query = query.group_by(
        ReminderClaim.item_kind,
        ReminderClaim.item_id,
        ReminderClaim.recipient,
        ReminderClaim.due_date,
    )
    return {
        (kind, id_, who, due): tightest for kind, id_, who, due, tightest in session.execute(query)
    }


def _why_not(item: Item, today: date, lead_days: tuple[int, ...], horizon: int) -> str:
    """Why `reminder_due` found no reminder for the item today."""
    assert item.due is not None
    days_left = (item.due - today).days
    if days_left < 0:
        return (
            f"overdue {-days_left} days, past {item.working_group}'s horizon of {horizon} days "
            "(still on the dashboard and in `tracker reminders overdue`)"
        )
    leads = ", ".join(str(d) for d in lead_days) or "none"
    return f"due in {days_left} days, before the first lead time (lead times {leads})"


def plan(session: so.Session, today: date, skipped: list[Skip] | None = None) -> list[Digest]:
    """The digests today's run sends; reads only, in a fixed number of queries.

    `skipped`, when given, hears of each item and recipient left out, with the reason.
    """
    audience = Audience.load(session, current_app.config["DIGEST_HOUR"])
    window_end = today + timedelta(days=audience.widest_lead)
    soon = due_between(session, today, window_end, today, ItemFilter(open_only=True)).items
    # past every group's horizon nothing is sent: read those only to say why they are skipped
    horizon = max(audience.group_horizon.values(), default=DEFAULT_OVERDUE_HORIZON_DAYS)
    recent = ItemFilter(due_from=today - timedelta(days=horizon)) if skipped is None else None
    late = overdue(session, today, recent).items
    claimed = claimed_slots(session, today)

    def skip(item: Item, recipient: Recipient | None, reason: str) -> None:
        if skipped is not None:
            skipped.append(Skip(item, recipient.email if recipient else None, reason))

    digests: dict[str, Digest] = {}
    for item in [*late, *soon]:
        recipients = audience.recipients_of(item)
        if not recipients:
            leads = ", ".join(item.leads)
            skip(
                item,
                None,
                f"nobody to remind: {leads} has no contact address or lead"
                if leads
                else "nobody to remind: no entity leads it",
            )
        for recipient in recipients:
            lead_days, horizon = audience.lead_days(recipient, item), audience.horizon(item)
            days = reminder_due(item, today, lead_days, horizon)
            if days is None:
                if skipped is not None:
                    skip(item, recipient, _why_not(item, today, lead_days, horizon))
                continue
            reminder = Reminder(item, days)
            if already_covered(days, claimed.get(reminder.slot(recipient))):
                skip(item, recipient, "already reminded" + (" this week" if days < 0 else ""))
                continue
            digest = digests.get(recipient.key)
            if digest is None:
                digest = Digest(recipient, today, entities=audience.entities_of(recipient))
                digests[recipient.key] = digest
            digest.reminders.append(reminder)
    return sorted(digests.values(), key=lambda d: d.recipient.key)


#: The outbox `kind` of the digest of everything overdue a coordinator asks for.
OVERDUE_REPORT_KIND = "overdue-report"


def overdue_digest(
    session: so.Session, person: Person, today: date, groups: Iterable[WorkingGroup]
) -> Digest:
    """Everything overdue in `groups`, however long, for a coordinator who asked: no horizon,
    and nothing claimed, so the daily reminders go on as before."""
    names = {g.short_name for g in groups}
    late = [i for i in overdue(session, today).items if i.working_group in names]
    recipient = Recipient(person.email, person.name, None, person.digest_hour, person.id)
    assert all(i.due is not None for i in late)
    return Digest(
        recipient,
        today,
        [Reminder(i, (i.due - today).days) for i in late],  # type: ignore[operator]
        entities=tuple(sorted(names)),
        intro="Everything overdue in " + ", ".join(sorted(names)) + ", as you asked",
    )
