"""Uploaded workplan files waiting between their preview and the coordinator's "apply"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from tracker.extensions import db
from tracker.models import Person, UTCDateTime, utcnow


class ImportUpload(db.Model):
    """The files as uploaded, so "apply" imports exactly what the preview showed.

    Kept in the database rather than on disk so that any worker process can apply it.
    """

    __tablename__ = "import_upload"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    #: [{"name": "ws1.csv", "content": base64 text}]
    files: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: How documents are read: {"working_group": "WS1", "mappings": {"ws1.docx|1": [...]}}.
    options: so.Mapped[dict[str, Any] | None] = so.mapped_column(sa.JSON)
    #: Set once applied; an upload is applied at most once.
    applied_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    person: so.Mapped[Person] = so.relationship()
