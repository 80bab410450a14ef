"""Column mappings remembered per working group, for the next import of the same document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.models import UTCDateTime, WorkingGroup, utcnow


class ImportMapping(db.Model):
    """How a document table's columns were read the last time it was imported for a group.

    "The same document" is a table with the same header words (`header_signature`): the next
    version of a group's workplan keeps its header even when its file name changes.
    """

    __tablename__ = "import_mapping"
    __table_args__ = (sa.UniqueConstraint("working_group_id", "signature"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    working_group_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("working_group.id", ondelete="CASCADE")
    )
    #: SHA-256 of the header's normalized words.
    signature: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: The header cells as written, e.g. ["ACTIVITIES (as in workplan)", "SUB-ACTIVITIES"].
    header: so.Mapped[list[Any]] = so.mapped_column(sa.JSON)
    #: A target column for each header cell, "" for an ignored one.
    mapping: so.Mapped[list[Any]] = so.mapped_column(sa.JSON)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    working_group: so.Mapped[WorkingGroup] = so.relationship()
