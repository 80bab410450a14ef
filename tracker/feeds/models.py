"""Feed tokens: the secret addresses of a person's calendar feeds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.models import (
    Person,
    UTCDateTime,
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


class FeedBody(db.Model):
    """A feed's body at one content version, gzip-compressed, built once for every worker.

    A row without `body` is a build under way: its `claimed_at` tells the others to wait for
    it (or serve the feed's previous version) instead of building the same bytes again.
    """

    #: The ETag of the feed at this version (see `tracker.feeds.services.validators`).
    etag: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    #: What tells the feed apart, whatever the version: its previous bodies have the same key.
    feed_key: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    version: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    last_modified: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    claimed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    built_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    #: The iCalendar, gzip-compressed; None while it is being built.
    body: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    #: Its length uncompressed, in bytes.
    size: so.Mapped[int | None] = so.mapped_column(sa.Integer)
