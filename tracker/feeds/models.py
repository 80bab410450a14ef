"""Feed tokens, and the record of deletions that conditional requests need."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.models import (
    Activity,
    ActivityEntity,
    Entity,
    Milestone,
    Person,
    UTCDateTime,
    WorkingGroup,
    WorkingGroupEntity,
    utcnow,
)


class FeedToken(db.Model):
    """One secret feed address of a person, named for the device it is for.

    Only the SHA-256 of the token is kept: the token is 256 random bits, so a plain hash is
    as good as a slow one, and it can be looked up by index. The owner sees the token once,
    when it is made or rotated.
    """

    __table_args__ = (sa.UniqueConstraint("person_id", "name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    #: What the owner calls it: "Outlook at the office", "phone".
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: When the current token was issued (created or rotated).
    issued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: Updated at most hourly, so that reading a feed rarely writes.
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    person: so.Mapped[Person] = so.relationship()

    def __repr__(self) -> str:
        return f"<FeedToken {self.name!r} of person {self.person_id}>"


class FeedDeletion(db.Model):
    """When something a feed shows was deleted.

    Feeds answer If-Modified-Since from the newest `updated_at` of what they show; a deletion
    leaves no such trace, so it is written here (see `_note_deletions`).
    """

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    deleted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The table a row was deleted from, for whoever reads this table.
    table: so.Mapped[str] = so.mapped_column(sa.String(40))


#: Rows whose deletion changes what some feed shows.
SHOWN_IN_FEEDS = (
    Activity,
    Milestone,
    ActivityEntity,
    WorkingGroup,
    WorkingGroupEntity,
    Entity,
    Person,
)


@sa.event.listens_for(so.Session, "after_flush")
def _note_deletions(session: so.Session, _context: Any) -> None:
    tables = sorted(
        {type(obj).__tablename__ for obj in session.deleted if isinstance(obj, SHOWN_IN_FEEDS)}
    )
    if tables:
        session.connection().execute(
            sa.insert(FeedDeletion), [{"deleted_at": utcnow(), "table": t} for t in tables]
        )
