"""What signing in keeps: e-mailed sign-in links, personal API tokens, and request counts for
rate limits. Secrets are stored only as SHA-256 digests, so a copy of the database signs no
one in."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.models import Person, UTCDateTime, utcnow


class SignInLink(db.Model):
    """One e-mailed sign-in link: single use, expires."""

    __tablename__ = "sign_in_link"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the link's secret part.
    secret_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    #: Set when the link is used; a used link never works again.
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    person: so.Mapped[Person] = so.relationship()


class ApiToken(db.Model):
    """A personal token for the JSON API; it acts with its owner's rights."""

    __tablename__ = "api_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    #: What the owner calls it, e.g. "reporting script".
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: The first characters of the token, so the owner can tell tokens apart.
    prefix: so.Mapped[str] = so.mapped_column(sa.String(12))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    person: so.Mapped[Person] = so.relationship()


class RateLimitHit(db.Model):
    """One counted request. Counting rows in the database holds across worker processes."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (sa.Index("ix_rate_limit_hit_key_at", "key", "at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: What is limited and for whom, e.g. "sign-in:ip:127.0.0.1" (addresses only as digests).
    key: so.Mapped[str] = so.mapped_column(sa.String(120))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
