"""The workplan: working groups, entities, activities, milestones, people and status history."""

from __future__ import annotations

import enum
import functools
import re
import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uid() -> str:
    return str(uuid.uuid4())


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores UTC and always hands back aware datetimes, also on SQLite which keeps no zone."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Status(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DELAYED = "delayed"
    CANCELLED = "cancelled"
    #: The workplan says nothing about progress.
    NOT_REPORTED = "not_reported"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> Status:
        """Accept the label people type ("In progress", "in-progress") as well as the value."""
        key = re.sub(r"[\s\-]+", "_", text.strip().lower())
        try:
            return cls(key)
        except ValueError:
            allowed = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown status {text!r}; use one of: {allowed}") from None


#: Statuses after which an item is no longer due, overdue or reminded about.
CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.CANCELLED})


class EntityRole(enum.StrEnum):
    LEAD = "lead"
    CO_LEAD = "co_lead"
    CO_ORGANIZER = "co_organizer"
    PARTNER = "partner"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return self.value.replace("_", "-")


#: Roles that make an entity answerable for an activity ("what does ILO lead").
LEADING_ROLES = frozenset({EntityRole.LEAD, EntityRole.CO_LEAD, EntityRole.CO_ORGANIZER})


class GroupRole(enum.StrEnum):
    LEAD = "lead"
    MEMBER = "member"


class PersonRole(enum.StrEnum):
    #: Coordinates every working group and manages entities and people.
    ADMINISTRATOR = "administrator"
    COORDINATOR = "coordinator"
    LEAD = "lead"
    MEMBER = "member"


class MilestoneKind(enum.StrEnum):
    DELIVERABLE = "deliverable"
    MEETING = "meeting"
    DEADLINE = "deadline"


class Precision(enum.StrEnum):
    """How precisely a workplan gave a date, so answers can say "June 2020", not "30 June"."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


def enum_column(cls: type[enum.Enum], name: str | None = None) -> sa.Enum:
    """A VARCHAR with a CHECK; `name` tells apart two columns of one enum in one table."""
    return sa.Enum(
        cls,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        name=name or cls.__name__.lower(),
    )


_code_number = re.compile(r"(\d+)")


def code_sort_key(code: str) -> str:
    """Sort "3.2" before "3.10": numbers are zero-padded so a plain ORDER BY works."""
    return _code_number.sub(lambda m: m.group(1).zfill(6), code.strip().lower())


class TimestampMixin:
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Entity(TimestampMixin, db.Model):
    """An organisation taking part in working groups (ILO, IOM, UN DESA ...)."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    acronym: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: A role address such as ilo@example.org, never a person's own address.
    contact_email: so.Mapped[str | None] = so.mapped_column(sa.String(254))

    aliases: so.Mapped[list[EntityAlias]] = so.relationship(
        back_populates="entity", cascade="all, delete-orphan", order_by="EntityAlias.alias"
    )

    def __repr__(self) -> str:
        return f"<Entity {self.acronym}>"


class EntityAlias(db.Model):
    """Another name people use for an entity ("UN/DESA", "DESA")."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    entity_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("entity.id", ondelete="CASCADE"))
    alias: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: Lower-cased, unique across entities, so an alias names exactly one entity.
    alias_key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)

    entity: so.Mapped[Entity] = so.relationship(back_populates="aliases")


def name_key(text: str) -> str:
    """The form in which acronyms, names and aliases are compared."""
    return re.sub(r"\s+", " ", text.strip().lower())


class WorkingGroup(TimestampMixin, db.Model):
    """A working group or programme that owns a workplan."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    short_name: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(300))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: One objective per line.
    objectives: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    contact_email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    #: Days before a due date at which reminders go out, e.g. "30,7,1,0".
    reminder_lead_days: so.Mapped[str] = so.mapped_column(sa.String(100), default="30,7,1,0")
    #: Days an item may be overdue and still get weekly overdue notices; past that it is only
    #: on the dashboard and in a digest a coordinator asks for (`tracker reminders overdue`).
    overdue_horizon_days: so.Mapped[int] = so.mapped_column(default=60, server_default="60")
    #: Whether the working group's calendar feed may be read without a token.
    feed_public: so.Mapped[bool] = so.mapped_column(default=False)
    #: Slack channel id that receives the optional weekly digest.
    slack_channel: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    entity_links: so.Mapped[list[WorkingGroupEntity]] = so.relationship(
        back_populates="working_group", cascade="all, delete-orphan"
    )
    activities: so.Mapped[list[Activity]] = so.relationship(
        back_populates="working_group", order_by="Activity.sort_key"
    )
    milestones: so.Mapped[list[Milestone]] = so.relationship(back_populates="working_group")

    def entities_with(self, role: GroupRole) -> list[Entity]:
        return sorted(
            (link.entity for link in self.entity_links if link.role == role),
            key=lambda e: e.acronym,
        )

    @property
    def lead_entities(self) -> list[Entity]:
        return self.entities_with(GroupRole.LEAD)

    @property
    def member_entities(self) -> list[Entity]:
        return self.entities_with(GroupRole.MEMBER)

    @property
    def objective_list(self) -> list[str]:
        return [line for line in self.objectives.splitlines() if line.strip()]

    @property
    def lead_days(self) -> list[int]:
        return parse_lead_days(self.reminder_lead_days)

    def __repr__(self) -> str:
        return f"<WorkingGroup {self.short_name}>"


def parse_lead_days(text: str) -> list[int]:
    """Read "30,7,1,0" into [30, 7, 1, 0]; reject anything that is not whole days."""
    days: list[int] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) > 366:
            raise ValueError(f"lead time {part!r} is not a number of days between 0 and 366")
        days.append(int(part))
    return sorted(set(days), reverse=True)


class WorkingGroupEntity(db.Model):
    working_group_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("working_group.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True
    )
    role: so.Mapped[GroupRole] = so.mapped_column(enum_column(GroupRole))

    working_group: so.Mapped[WorkingGroup] = so.relationship(back_populates="entity_links")
    entity: so.Mapped[Entity] = so.relationship()


#: A partial index's condition: only recurring rows.
RECURRING_ONLY: dict[str, Any] = {
    f"{dialect}_where": sa.text("recurrence IS NOT NULL") for dialect in ("sqlite", "postgresql")
}


class PlannedTimelineMixin:
    """The timeline as written, beside what it means (see `tracker.timeline`)."""

    #: The timeline exactly as the workplan wrote it, e.g. "Ongoing – June 2020".
    timeline_text: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    planned_start: so.Mapped[date | None] = so.mapped_column(index=True)
    planned_end: so.Mapped[date | None] = so.mapped_column(index=True)
    planned_start_precision: so.Mapped[Precision | None] = so.mapped_column(
        enum_column(Precision, "planned_start_precision")
    )
    planned_end_precision: so.Mapped[Precision | None] = so.mapped_column(
        enum_column(Precision, "planned_end_precision")
    )
    #: The workplan calls it ongoing: an open side is intended, not missing.
    ongoing: so.Mapped[bool] = so.mapped_column(default=False)
    #: An RRULE value such as "FREQ=YEARLY;INTERVAL=2", starting at the planned start.
    recurrence: so.Mapped[str | None] = so.mapped_column(sa.String(200))


class Activity(PlannedTimelineMixin, TimestampMixin, db.Model):
    """An activity or sub-activity of a workplan, numbered as the workplan numbers it."""

    __table_args__ = (
        sa.UniqueConstraint("working_group_id", "code"),
        # covers "due between", "overdue" and their counts without reading the rows
        sa.Index("ix_activity_due", "planned_end", "status", "recurrence", "working_group_id"),
        # the dashboard's counts per group and status (each a range of it, read alone), and one
        # group's items
        sa.Index(
            "ix_activity_group_status", "working_group_id", "status", "recurrence", "planned_end"
        ),
        # the few recurring items, whose occurrences every query places
        sa.Index("ix_activity_recurring", "id", **RECURRING_ONLY),
        # the list of one status across groups, soonest due first: walked in order
        sa.Index("ix_activity_status_due", "status", "recurrence", "planned_end"),
        # an item named by its code in any case ("status of 3.10", the bot's first guess): else
        # a walk of every row in due order, the slowest of the bot's answers at 10,000
        sa.Index("ix_activity_code_lower", sa.text("lower(code)")),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Stable identity for calendars and integrations; survives edits of every other field.
    uid: so.Mapped[str] = so.mapped_column(sa.String(36), unique=True, default=new_uid)
    #: indexed by ix_activity_group_status, which it leads
    working_group_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("working_group.id", ondelete="CASCADE")
    )
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("activity.id", ondelete="SET NULL"), index=True
    )
    #: "1", "3.17", "Output 1.2 (1)": the workplan's own numbering.
    code: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: `code_sort_key(code)`, so "3.2" sorts before "3.10" in SQL.
    sort_key: so.Mapped[str] = so.mapped_column(sa.String(120), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.Text)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: The entities column as written, e.g. "IOM, UN DESA (OECD) (as co-organizers)".
    entities_text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    status: so.Mapped[Status] = so.mapped_column(enum_column(Status), default=Status.NOT_REPORTED)
    progress_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    actual_start: so.Mapped[date | None]
    actual_end: so.Mapped[date | None]
    #: Raised on every change: optimistic locking for concurrent edits, and the iCalendar SEQUENCE.
    version: so.Mapped[int] = so.mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012

    working_group: so.Mapped[WorkingGroup] = so.relationship(back_populates="activities")
    parent: so.Mapped[Activity | None] = so.relationship(
        remote_side=[id], back_populates="children"
    )
    children: so.Mapped[list[Activity]] = so.relationship(
        back_populates="parent", order_by="Activity.sort_key"
    )
    entity_links: so.Mapped[list[ActivityEntity]] = so.relationship(
        back_populates="activity", cascade="all, delete-orphan"
    )
    milestones: so.Mapped[list[Milestone]] = so.relationship(
        back_populates="activity", order_by="Milestone.due_date"
    )
    history: so.Mapped[list[StatusChange]] = so.relationship(
        back_populates="activity", order_by="StatusChange.id"
    )

    def entities_with(self, roles: frozenset[EntityRole]) -> list[Entity]:
        return [link.entity for link in self.entity_links if link.role in roles]

    @property
    def lead_entities(self) -> list[Entity]:
        return self.entities_with(LEADING_ROLES)

    @property
    def due_date(self) -> date | None:
        """An activity is due on its planned end."""
        return self.planned_end

    def __repr__(self) -> str:
        return f"<Activity {self.code}>"


class ActivityEntity(db.Model):
    __table_args__ = (
        # "what an entity takes part in" and "what it leads" (its roles) read this index
        # alone: the activities' ids, to be ordered by due date
        sa.Index("ix_activity_entity_entity_role", "entity_id", "role", "activity_id"),
    )

    activity_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True
    )
    #: indexed by ix_activity_entity_entity_role, which it leads
    entity_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True
    )
    role: so.Mapped[EntityRole] = so.mapped_column(enum_column(EntityRole))

    activity: so.Mapped[Activity] = so.relationship(back_populates="entity_links")
    entity: so.Mapped[Entity] = so.relationship()


class Milestone(TimestampMixin, db.Model):
    """A dated item: a deliverable, a meeting or a deadline, under an activity or a group."""

    __table_args__ = (
        sa.UniqueConstraint("working_group_id", "code"),
        # as for activities
        sa.Index("ix_milestone_due", "due_date", "status", "recurrence", "working_group_id"),
        sa.Index(
            "ix_milestone_group_status", "working_group_id", "status", "recurrence", "due_date"
        ),
        sa.Index("ix_milestone_recurring", "id", **RECURRING_ONLY),
        # a count of the milestones of some activities (the dashboard's "led by me") reads
        # this index alone, where with the activity alone PostgreSQL scanned every milestone
        sa.Index("ix_milestone_activity_status", "activity_id", "status", "working_group_id"),
        sa.Index("ix_milestone_status_due", "status", "recurrence", "due_date"),
        sa.Index("ix_milestone_code_lower", sa.text("lower(code)")),  # as for activities
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    uid: so.Mapped[str] = so.mapped_column(sa.String(36), unique=True, default=new_uid)
    #: indexed by ix_milestone_group_status, which it leads
    working_group_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("working_group.id", ondelete="CASCADE")
    )
    #: indexed by ix_milestone_activity_status, which it leads
    activity_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("activity.id", ondelete="SET NULL")
    )
    #: Import key within the working group, e.g. "M1" or "IFMS-2020".
    code: so.Mapped[str] = so.mapped_column(sa.String(40))
    kind: so.Mapped[MilestoneKind] = so.mapped_column(enum_column(MilestoneKind))
    title: so.Mapped[str] = so.mapped_column(sa.Text)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: The entities column as written, if the workplan names any for the milestone itself.
    entities_text: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    #: The date as written, e.g. "20-21 January 2020".
    date_text: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    start_date: so.Mapped[date | None]
    end_date: so.Mapped[date | None]
    start_precision: so.Mapped[Precision | None] = so.mapped_column(
        enum_column(Precision, "start_precision")
    )
    end_precision: so.Mapped[Precision | None] = so.mapped_column(
        enum_column(Precision, "end_precision")
    )
    #: Local wall-clock times in `timezone`; both empty for all-day items.
    start_time: so.Mapped[time | None]
    end_time: so.Mapped[time | None]
    #: IANA zone name such as "Europe/Paris" (the workplan wrote "CEST").
    timezone: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    location: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    recurrence: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    #: Derived by `tracker.domain.items.milestone_due`: meetings on their first day,
    #: deliverables and deadlines on their last.
    due_date: so.Mapped[date | None] = so.mapped_column(index=True)
    status: so.Mapped[Status] = so.mapped_column(enum_column(Status), default=Status.NOT_REPORTED)
    progress_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    completed_on: so.Mapped[date | None]
    version: so.Mapped[int] = so.mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012

    working_group: so.Mapped[WorkingGroup] = so.relationship(back_populates="milestones")
    activity: so.Mapped[Activity | None] = so.relationship(back_populates="milestones")
    #: Its own entities, where the workplan names them; most milestones have none.
    entity_links: so.Mapped[list[MilestoneEntity]] = so.relationship(
        back_populates="milestone", cascade="all, delete-orphan"
    )
    history: so.Mapped[list[StatusChange]] = so.relationship(
        back_populates="milestone", order_by="StatusChange.id"
    )

    @property
    def lead_entities(self) -> list[Entity]:
        """Its own leads if it names entities; else its activity's, else its working group's
        (`tracker.domain.rules.milestone_entities`)."""
        if self.entity_links:
            return [link.entity for link in self.entity_links if link.role in LEADING_ROLES]
        if self.activity is not None:
            return self.activity.lead_entities
        return self.working_group.lead_entities

    def __repr__(self) -> str:
        return f"<Milestone {self.code}>"


class MilestoneEntity(db.Model):
    __table_args__ = (
        sa.Index("ix_milestone_entity_entity_role", "entity_id", "role", "milestone_id"),
    )

    milestone_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("milestone.id", ondelete="CASCADE"), primary_key=True
    )
    #: indexed by ix_milestone_entity_entity_role, which it leads
    entity_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True
    )
    role: so.Mapped[EntityRole] = so.mapped_column(enum_column(EntityRole))

    milestone: so.Mapped[Milestone] = so.relationship(back_populates="entity_links")
    entity: so.Mapped[Entity] = so.relationship()


person_working_group = sa.Table(
    "person_working_group",
    db.metadata,
    sa.Column("person_id", sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "working_group_id", sa.ForeignKey("working_group.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Person(TimestampMixin, db.Model):
    """Someone who signs in: a coordinator, a lead or a member."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    entity_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("entity.id", ondelete="SET NULL"), index=True
    )
    role: so.Mapped[PersonRole] = so.mapped_column(
        enum_column(PersonRole), default=PersonRole.MEMBER
    )
    #: Filled once the person is matched to Slack by e-mail.
    slack_user_id: so.Mapped[str | None] = so.mapped_column(sa.String(40), unique=True)
    reminders_enabled: so.Mapped[bool] = so.mapped_column(default=True)
    #: The person's own lead times ("7,1"); empty means the working group's.
    reminder_lead_days: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    #: Local hour (0-23) at which the person's digest may go out.
    digest_hour: so.Mapped[int] = so.mapped_column(default=8)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    #: Sessions carry the value they were signed in with; moving it on ends them all
    #: (signing out, a change of role or of being active; see `_end_sessions_on_change`).
    session_generation: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    entity: so.Mapped[Entity | None] = so.relationship()
    working_groups: so.Mapped[list[WorkingGroup]] = so.relationship(
        secondary=person_working_group, order_by="WorkingGroup.short_name"
    )

    def end_sessions(self) -> None:
        """Every session signed in as this person stops working at its next request."""
        self.session_generation = (self.session_generation or 0) + 1

    def __repr__(self) -> str:
        return f"<Person {self.email}>"


@sa.event.listens_for(Person.role, "set", active_history=True)
@sa.event.listens_for(Person.active, "set", active_history=True)
def _end_sessions_on_change(person: Person, value: Any, old: Any, _initiator: Any) -> None:
    """Whatever changes a role (the people page, an import, the CLI), sessions opened under
    the old one end: a demoted coordinator's open tab holds nothing of the old rights."""
    if old is not so.attributes.NO_VALUE and old is not None and value != old:
        person.end_sessions()


class StatusChange(db.Model):
    """One entry of an item's history, only ever added (see `_history_is_append_only`)."""

    __table_args__ = (
        sa.CheckConstraint("(activity_id IS NULL) <> (milestone_id IS NULL)", name="one_item"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    milestone_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("milestone.id", ondelete="CASCADE"), index=True
    )
    changed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    person_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    #: Who, as shown: the person's name, or "import of ws1.csv" for changes without a person.
    actor: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: web, api, slack, cli or import.
    source: so.Mapped[str] = so.mapped_column(sa.String(20))
    from_status: so.Mapped[Status | None] = so.mapped_column(enum_column(Status, "from_status"))
    to_status: so.Mapped[Status] = so.mapped_column(enum_column(Status, "to_status"))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: Other fields changed together with the status, e.g. {"actual_start": ["", "2020-01-06"]}.
    details: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)

    activity: so.Mapped[Activity | None] = so.relationship(back_populates="history")
    milestone: so.Mapped[Milestone | None] = so.relationship(back_populates="history")
    person: so.Mapped[Person | None] = so.relationship()


@sa.event.listens_for(StatusChange, "before_update")
@sa.event.listens_for(StatusChange, "before_delete")
def _history_is_append_only(_mapper: Any, _connection: Any, target: StatusChange) -> None:
    raise ValueError(f"status history is never rewritten (entry {target.id})")


#: Collections whose change is a change of the object that holds them.
_OWNED_LINKS = {Activity: "entity_links", WorkingGroup: "entity_links", Person: "working_groups"}


class TextRefused(ValueError):
    """A text no column may hold: longer than its column, or with a NUL character.

    PostgreSQL would refuse it halfway through a request and SQLite keep it whole, so neither
    is asked to (`_text_fits_its_column`); the message names the field.
    """

    def __init__(self, table: str, column: str, problem: str) -> None:
        self.field = column
        super().__init__(f"the {column.replace('_', ' ')} of a {table.replace('_', ' ')} {problem}")


@functools.cache
def _text_columns(mapper: so.Mapper[Any]) -> dict[str, tuple[str, str, int | None]]:
    """attribute -> (table, column, its length) for the mapper's text columns."""
    return {
        mapper.get_property_by_column(column).key: (
            mapper.local_table.name,
            column.name,
            column.type.length,
        )
        for column in mapper.columns
        if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum)
    }


@sa.event.listens_for(so.Session, "before_flush")
def _text_fits_its_column(session: so.Session, _context: Any, _instances: Any) -> None:
    """Whatever writes (a page, the API, the bot, an import, the CLI), a text longer than its
    String column or holding a NUL is refused on both backends before anything is sent.
    Only values set since the last load are read, so the check loads nothing."""
    for obj in (*session.new, *session.dirty):
        state = sa.inspect(obj)
        changed = state.dict if state.key is None else state.committed_state
        for key, (table, column, limit) in _text_columns(state.mapper).items():
            if key not in changed or not isinstance(value := state.dict.get(key), str):
                continue
            if "\x00" in value:
                raise TextRefused(table, column, "holds a NUL character")
            if limit is not None and len(value) > limit:
                raise TextRefused(table, column, f"is {len(value)} characters; at most {limit} fit")


@sa.event.listens_for(so.Session, "before_flush")
def _link_changes_touch_their_owner(session: so.Session, _context: Any, _instances: Any) -> None:
    """Who takes part in an activity (or a group, or who is in a group) is part of it: changing
    that raises its `updated_at` and `version` (the iCalendar SEQUENCE), so feeds, caches and
    concurrent editors see the change like any other."""
    new, deleted = session.new, session.deleted  # each a fresh set: taken once
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    owners: list[Any] = []
    with session.no_autoflush:
        for obj in (*new, *changed, *deleted):
            if isinstance(obj, ActivityEntity):
                owners.append(obj.activity)
            elif isinstance(obj, WorkingGroupEntity):
                owners.append(obj.working_group)
            elif type(obj) in _OWNED_LINKS:
                links = sa.inspect(obj).attrs[_OWNED_LINKS[type(obj)]]
                if links.history.has_changes():
                    owners.append(obj)
    for owner in owners:
        if owner is not None and owner not in new and owner not in deleted:
            owner.updated_at = utcnow()


class ContentState(db.Model):
    """One row whose `version` moves on with every commit that changes the workplan.

    Feeds (ETags, 304s) and anything else that asks "has anything changed since?" read this
    one row instead of scanning the tables. The bump is the last statement of the writing
    transaction (see `_bump_content_version`), so it commits or rolls back with the change,
    and on PostgreSQL its row lock is held only for the instant before COMMIT.
    """

    __tablename__ = "content_state"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    #: When `version` last moved: feeds' Last-Modified.
    changed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


CONTENT_STATE_ID = 1
#: What the workplan is: a change to any of these rows changes what pages and feeds show.
CONTENT_MODELS: tuple[type[Any], ...] = (
    Entity,
    EntityAlias,
    WorkingGroup,
    WorkingGroupEntity,
    Activity,
    ActivityEntity,
    Milestone,
    MilestoneEntity,
    Person,
    StatusChange,
)
_CONTENT_CHANGED = "tracker.content_changed"


def count_as_content(*models: type[Any]) -> None:
    """Feature tables whose rows pages and feeds show (the results framework, rounds)."""
    global CONTENT_MODELS
    CONTENT_MODELS = (*CONTENT_MODELS, *models)


#: The workplan's version and when it last changed, in one primary-key read.
CONTENT_STATE_READ = sa.select(ContentState.version, ContentState.changed_at).where(
    ContentState.id == CONTENT_STATE_ID
)


def read_content_state(connection: sa.Connection | so.Session) -> tuple[int, datetime]:
    """The content state (`CONTENT_STATE_READ`), also of a database made before its row."""
    row = connection.execute(CONTENT_STATE_READ).first()
    return (row.version, row.changed_at) if row else (0, datetime(2000, 1, 1, tzinfo=UTC))


def _changes_content(session: so.Session) -> bool:
    """Whether the session holds new, deleted or modified workplan rows (not yet flushed)."""
    return any(isinstance(obj, CONTENT_MODELS) for obj in (*session.new, *session.deleted)) or any(
        isinstance(obj, CONTENT_MODELS) and session.is_modified(obj) for obj in session.dirty
    )


def has_uncommitted_content(session: so.Session) -> bool:
    """Whether the session's transaction changed the workplan without committing yet: what it
    reads then is not what `read_content_state` names."""
    return bool(session.info.get(_CONTENT_CHANGED)) or _changes_content(session)


@sa.event.listens_for(so.Session, "after_flush")
def _note_content_flush(session: so.Session, _context: Any) -> None:
    if _changes_content(session):
        session.info[_CONTENT_CHANGED] = True


@sa.event.listens_for(so.Session, "do_orm_execute")
def _note_content_statement(state: so.ORMExecuteState) -> None:
    """Bulk INSERT/UPDATE/DELETE through the session (demo data, imports) bypass the flush."""
    if (state.is_insert or state.is_update or state.is_delete) and any(
        issubclass(mapper.class_, CONTENT_MODELS) for mapper in state.all_mappers
    ):
        state.session.info[_CONTENT_CHANGED] = True


def _next_changed_at(dialect: str) -> sa.ColumnElement[Any]:
    """Now, or the whole second after the last change if that is later: every version gets a
    second of its own, so that Last-Modified (whole seconds) tells versions apart and an
    If-Modified-Since never takes a change made in the same second for the one before it.
    Computed in the UPDATE, under its row lock, so concurrent writers cannot share a second."""
    now = sa.literal(utcnow(), UTCDateTime)
    if dialect == "sqlite":  # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff": compared as text
        later = sa.func.datetime(ContentState.changed_at, "+1 second", type_=sa.String)
        return sa.func.max(now, later.concat(".000000"), type_=UTCDateTime)
    if dialect == "postgresql":
        later = sa.func.date_trunc("second", ContentState.changed_at) + sa.literal_column(
            "interval '1 second'"
        )
        return sa.func.greatest(now, later, type_=UTCDateTime)
    return now


@sa.event.listens_for(so.Session, "before_commit")
def _bump_content_version(session: so.Session) -> None:
    session.flush()  # commit would flush after this hook; what it writes must count
    if not session.info.pop(_CONTENT_CHANGED, False):
        return
    dialect = session.connection().dialect.name
    bump = (
        sa.update(ContentState)
        .where(ContentState.id == CONTENT_STATE_ID)
        .values(version=ContentState.version + 1, changed_at=_next_changed_at(dialect))
        .execution_options(synchronize_session=False)
    )
    if session.execute(bump).rowcount == 0:  # a database made before the row existed
        session.execute(sa.insert(ContentState).values(id=CONTENT_STATE_ID, version=1))


@sa.event.listens_for(so.Session, "after_soft_rollback")
def _forget_content_change(session: so.Session, previous: so.SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_CONTENT_CHANGED, None)
