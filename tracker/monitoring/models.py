"""The results framework of a working group: outcomes and outputs, their indicators with
baselines, targets and actuals, cross-cutting themes and the risks raised.

Objectives are the working group's own (the registry's `objectives`, numbered by their
order); outcomes may name the objective they serve, outputs the outcome they serve. Each
activity serves at most one output (`ActivityOutput` is keyed on the activity); its
sub-activities serve their parent's output unless linked themselves.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.models import (
    Activity,
    Entity,
    Milestone,
    Person,
    TimestampMixin,
    UTCDateTime,
    WorkingGroup,
    code_sort_key,
    count_as_content,
    enum_column,
    utcnow,
)


class ResultLevel(enum.StrEnum):
    OUTCOME = "outcome"
    OUTPUT = "output"


class Result(TimestampMixin, db.Model):
    """An outcome or an output of a working group's results chain."""

    __tablename__ = "result"
    __table_args__ = (sa.UniqueConstraint("working_group_id", "code"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    working_group_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("working_group.id", ondelete="CASCADE")
    )
    level: so.Mapped[ResultLevel] = so.mapped_column(enum_column(ResultLevel, "result_level"))
    #: "Output 1.2", "Outcome 1": the document's own numbering.
    code: so.Mapped[str] = so.mapped_column(sa.String(40))
    sort_key: so.Mapped[str] = so.mapped_column(sa.String(120))
    title: so.Mapped[str] = so.mapped_column(sa.Text)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: An output's outcome; outcomes have none.
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("result.id", ondelete="SET NULL")
    )
    #: An outcome's objective: its 1-based number among the working group's objectives.
    objective_number: so.Mapped[int | None]

    working_group: so.Mapped[WorkingGroup] = so.relationship()
    parent: so.Mapped[Result | None] = so.relationship(remote_side=[id], back_populates="children")
    children: so.Mapped[list[Result]] = so.relationship(
        back_populates="parent", order_by="Result.sort_key"
    )
    indicators: so.Mapped[list[Indicator]] = so.relationship(
        back_populates="result", cascade="all, delete-orphan", order_by="Indicator.sort_key"
    )
    activity_links: so.Mapped[list[ActivityOutput]] = so.relationship(
        back_populates="output", cascade="all, delete-orphan"
    )

    def set_code(self, code: str) -> None:
        self.code, self.sort_key = code, code_sort_key(code)

    def __repr__(self) -> str:
        return f"<Result {self.code}>"


class ActivityOutput(db.Model):
    """The output an activity serves: one per activity, many activities per output."""

    __tablename__ = "activity_output"

    activity_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True
    )
    output_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("result.id", ondelete="CASCADE"), index=True
    )

    activity: so.Mapped[Activity] = so.relationship()
    output: so.Mapped[Result] = so.relationship(back_populates="activity_links")


class Indicator(TimestampMixin, db.Model):
    """A measure of an outcome or output (IATI's result indicator): baseline, target, actuals."""

    __tablename__ = "indicator"
    __table_args__ = (sa.UniqueConstraint("result_id", "code"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    result_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("result.id", ondelete="CASCADE"))
    code: so.Mapped[str] = so.mapped_column(sa.String(40))
    sort_key: so.Mapped[str] = so.mapped_column(sa.String(120))
    name: so.Mapped[str] = so.mapped_column(sa.Text)
    #: "percent", "countries", "text" ...; every unit but "text" takes numbers only.
    unit: so.Mapped[str] = so.mapped_column(sa.String(60))
    baseline_value: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: When, as written ("1990 census round"), and the last day that names.
    baseline_when: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    baseline_date: so.Mapped[date | None]
    target_value: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    target_when: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    target_date: so.Mapped[date | None]

    result: so.Mapped[Result] = so.relationship(back_populates="indicators")
    actuals: so.Mapped[list[IndicatorActual]] = so.relationship(
        back_populates="indicator",
        cascade="all, delete-orphan",
        order_by="IndicatorActual.period_end",
    )

    def set_code(self, code: str) -> None:
        self.code, self.sort_key = code, code_sort_key(code)


class IndicatorActual(db.Model):
    """The value an indicator reached in one reporting period, with where it comes from."""

    __tablename__ = "indicator_actual"
    __table_args__ = (sa.UniqueConstraint("indicator_id", "period"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    indicator_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("indicator.id", ondelete="CASCADE")
    )
    #: The period as written ("2010 census round", "2020 H1") and the days it covers.
    period: so.Mapped[str] = so.mapped_column(sa.String(200))
    period_start: so.Mapped[date | None]
    period_end: so.Mapped[date | None]
    value: so.Mapped[str] = so.mapped_column(sa.String(200))
    source: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: Who recorded it: a person's name, or "import of results.csv".
    recorded_by: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    recorded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    indicator: so.Mapped[Indicator] = so.relationship(back_populates="actuals")


class Theme(db.Model):
    """A cross-cutting theme or marker (gender, capacity building ...), shared by all groups."""

    __tablename__ = "theme"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: "gender", "capacity-building": what filters and files name.
    key: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))


class ActivityTheme(db.Model):
    """A theme an activity is tagged with; its sub-activities are filtered with it."""

    __tablename__ = "activity_theme"
    __table_args__ = (sa.Index("ix_activity_theme_theme", "theme_id", "activity_id"),)

    activity_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True
    )

    activity: so.Mapped[Activity] = so.relationship()
    theme: so.Mapped[Theme] = so.relationship()


class GroupTheme(db.Model):
    """What a working group says its work brings to a theme (the report's "synergies")."""

    __tablename__ = "group_theme"

    working_group_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("working_group.id", ondelete="CASCADE"), primary_key=True
    )
    theme_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True
    )
    synergy: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    theme: so.Mapped[Theme] = so.relationship()


class Risk(TimestampMixin, db.Model):
    """A risk or dependency of an output or an activity, with who raised it and when."""

    __tablename__ = "risk"
    __table_args__ = (
        sa.UniqueConstraint("working_group_id", "code"),
        sa.CheckConstraint("(result_id IS NULL) <> (activity_id IS NULL)", name="one_subject"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    working_group_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("working_group.id", ondelete="CASCADE")
    )
    code: so.Mapped[str] = so.mapped_column(sa.String(40))
    result_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("result.id", ondelete="CASCADE")
    )
    activity_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    #: Who raised it: an entity, a person or a document ("GMG-DR 2014 work programme").
    raised_by: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: When, as written, and the last day that names.
    raised_when: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    raised_on: so.Mapped[date | None]

    working_group: so.Mapped[WorkingGroup] = so.relationship()
    result: so.Mapped[Result | None] = so.relationship()
    activity: so.Mapped[Activity | None] = so.relationship()

    @property
    def subject(self) -> str:
        """The code of what is at risk: the activity's, or the output's."""
        if self.activity is not None:
            return self.activity.code
        return self.result.code if self.result is not None else ""


class ReportingRound(TimestampMixin, db.Model):
    """A coordinator's call for progress reports: one working group, one period, a due date.

    Who reports is derived from the workplan when the round opens (`RoundItem`); the summary
    paragraphs the coordinator writes for the progress report are kept here.
    """

    __tablename__ = "reporting_round"
    __table_args__ = (
        sa.UniqueConstraint("working_group_id", "label"),
        sa.CheckConstraint("period_end >= period_start", name="period_in_order"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    working_group_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("working_group.id", ondelete="CASCADE"), index=True
    )
    #: "2020, first half": how requests, pages and the report name the period.
    label: so.Mapped[str] = so.mapped_column(sa.String(100))
    period_start: so.Mapped[date]
    period_end: so.Mapped[date]
    due_date: so.Mapped[date] = so.mapped_column(index=True)
    #: The tracker's today when it opened: chasers go out only at lead times after it.
    opened_on: so.Mapped[date]
    opened_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: The coordinator's paragraphs for the report, by section ("highlights", "findings" ...).
    summaries: so.Mapped[dict[str, str]] = so.mapped_column(sa.JSON, default=dict)

    working_group: so.Mapped[WorkingGroup] = so.relationship()
    opened_by: so.Mapped[Person | None] = so.relationship()
    items: so.Mapped[list[RoundItem]] = so.relationship(
        back_populates="round", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class RoundItem(db.Model):
    """One item one lead entity reports on in a round, and its report once there is one: an
    activity, or a meeting or milestone of the group itself, which no activity's report covers."""

    __tablename__ = "round_item"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "activity_id", "entity_id"),
        sa.UniqueConstraint("round_id", "milestone_id", "entity_id"),
        sa.CheckConstraint("(activity_id IS NULL) <> (milestone_id IS NULL)", name="one_item"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reporting_round.id", ondelete="CASCADE")
    )
    activity_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    milestone_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("milestone.id", ondelete="CASCADE"), index=True
    )
    entity_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("entity.id", ondelete="CASCADE"), index=True
    )
    #: What the lead typed, kept between visits; the report's fields (see `ReportFields`).
    draft: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    draft_saved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: Set once submitted: the report as submitted, who and when, and its history entry.
    report: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    submitted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: The tracker's today when submitted: on time or late is judged by it.
    submitted_on: so.Mapped[date | None]
    submitted_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL")
    )
    status_change_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("status_change.id", ondelete="SET NULL")
    )

    round: so.Mapped[ReportingRound] = so.relationship(back_populates="items")
    activity: so.Mapped[Activity | None] = so.relationship()
    milestone: so.Mapped[Milestone | None] = so.relationship()
    entity: so.Mapped[Entity] = so.relationship()
    submitted_by: so.Mapped[Person | None] = so.relationship()

    @property
    def subject(self) -> Activity | Milestone:
        """What is reported on."""
        subject = self.activity or self.milestone
        assert subject is not None, "a round item is of an activity or a milestone"
        return subject

    @property
    def timeline_text(self) -> str:
        """Its timeline or date as the workplan writes it."""
        if self.activity is not None:
            return self.activity.timeline_text
        assert self.milestone is not None
        return self.milestone.date_text

    @property
    def sort_key(self) -> tuple[int, str, str]:
        """Workplan order: the activities, then the group's own events by date."""
        if self.activity is not None:
            return (0, self.activity.sort_key, "")
        assert self.milestone is not None
        due = self.milestone.due_date
        return (1, due.isoformat() if due else "9999", code_sort_key(self.milestone.code))

    @property
    def achievable_milestones(self) -> list[Milestone]:
        """The milestones a report on it may mark achieved: an activity's own; none for a
        meeting or milestone of the group, which is itself what is reported on."""
        return list(self.activity.milestones) if self.activity else []


class RoundMessage(db.Model):
    """A request or chaser sent for a round: the unique key makes each one at most once."""

    __tablename__ = "round_message"
    __table_args__ = (
        sa.UniqueConstraint(
            "round_id", "entity_id", "recipient", "step", name="uq_round_message_once"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    round_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reporting_round.id", ondelete="CASCADE")
    )
    entity_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("entity.id", ondelete="CASCADE"))
    #: Lower-cased address, or "slack:U123" for a direct message.
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254))
    #: "request", "chaser-7" (seven days before the due date), "chaser-after".
    step: so.Mapped[str] = so.mapped_column(sa.String(20))
    outbox_message_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("outbox_message.id", ondelete="SET NULL")
    )
    sent_on: so.Mapped[date]
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


count_as_content(
    Result,
    ActivityOutput,
    Indicator,
    IndicatorActual,
    Theme,
    ActivityTheme,
    GroupTheme,
    Risk,
    ReportingRound,
    RoundItem,
)


def working_group_of(session: so.Session, obj: object) -> WorkingGroup | None:
    """The working group a results-framework row belongs to, for checks of who may change it
    (an import may change only groups its importer coordinates); None for other rows."""
    with session.no_autoflush:
        if isinstance(obj, Result | Risk | GroupTheme):
            return session.get(WorkingGroup, obj.working_group_id) if obj.working_group_id else None
        if isinstance(obj, Indicator):
            result = obj.result or (session.get(Result, obj.result_id) if obj.result_id else None)
            return working_group_of(session, result) if result else None
        if isinstance(obj, IndicatorActual):
            indicator = obj.indicator or session.get(Indicator, obj.indicator_id)
            return working_group_of(session, indicator) if indicator else None
        if isinstance(obj, ActivityOutput | ActivityTheme):
            activity = obj.activity or session.get(Activity, obj.activity_id)
            return activity.working_group if activity else None
    return None
