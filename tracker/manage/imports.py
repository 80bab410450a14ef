"""Importing uploaded files through the page: the CLI's importer, run in a savepoint.

The preview runs the real import and rolls it back; "apply" runs it again and keeps it, but
only if it would still do what the preview showed. Every object the import touches is
collected on the way (a `before_flush` listener), and the person must be allowed to change
each of them: an imported file is no back door around the pages' rules.
"""

from __future__ import annotations

import base64
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from tracker.domain.permissions import PermissionDenied, can_import
from tracker.exchange import (
    WEB_LIMITS,
    DetectedTable,
    DocumentOptions,
    ImportFailed,
    ImportReport,
    RowError,
    import_files,
)
from tracker.exchange.limits import check_size
from tracker.exchange.mappings import detect_documents, table_key
from tracker.exchange.workplan import RowReading, read_each_row
from tracker.manage.models import ImportUpload
from tracker.models import (
    Activity,
    ActivityEntity,
    Entity,
    EntityAlias,
    Milestone,
    Person,
    StatusChange,
    WorkingGroup,
    WorkingGroupEntity,
    utcnow,
)
from tracker.monitoring.models import Theme, working_group_of

#: Uploads never applied are dropped after this long.
UPLOAD_LIFETIME = timedelta(days=1)


def _read_bounded(upload: FileStorage) -> bytes:
    """The file's bytes, reading no further than one byte past the size limit."""
    data = upload.stream.read(WEB_LIMITS.file_bytes + 1)
    check_size(len(data), WEB_LIMITS)
    return data


def pasted_file(text: str) -> tuple[str, bytes]:
    """A pasted table as a file: HTML if it holds a <table>, else Markdown or plain text."""
    data = text.encode()
    check_size(len(data), WEB_LIMITS)
    return ("pasted.html" if "<table" in text.lower() else "pasted.md"), data


def store_upload(
    session: so.Session,
    person: Person,
    files: list[FileStorage] | None,
    pasted: str | None = None,
    working_group: str | None = None,
) -> ImportUpload:
    """Keep the files (and a pasted table) for the preview and the apply; `FileRefused` if
    one is too large."""
    files = files or []
    try:
        contents = [
            (secure_filename(f.filename or "") or "upload", _read_bounded(f))
            for f in files
            if f.filename
        ]
    finally:
        for f in files:  # large uploads are spooled to temporary files
            f.close()
    if pasted and pasted.strip():
        contents.append(pasted_file(pasted))
    session.execute(
        sa.delete(ImportUpload).where(ImportUpload.created_at < utcnow() - UPLOAD_LIFETIME)
    )
    upload = ImportUpload(
        person=person,
        files=[
            {"name": name, "content": base64.b64encode(data).decode()} for name, data in contents
        ],
        options={"working_group": working_group or None, "chosen": {}},
    )
    session.add(upload)
    return upload


@dataclass
class _Touched:
    groups: set[WorkingGroup] = field(default_factory=set)
    new_groups: set[WorkingGroup] = field(default_factory=set)
    directory: bool = False

    def collect(self, session: so.Session, *_args: Any) -> None:
        for obj in chain(session.new, session.dirty, session.deleted):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            if isinstance(obj, WorkingGroup):
                (self.new_groups if obj in session.new else self.groups).add(obj)
            elif isinstance(obj, Activity | Milestone):
                self.groups.add(obj.working_group)
            elif isinstance(obj, StatusChange):
                item = obj.activity or obj.milestone
                if item is not None:
                    self.groups.add(item.working_group)
            elif isinstance(obj, ActivityEntity | WorkingGroupEntity):
                # a link taken away has lost its parent, which is then changed itself
                owner = obj.activity if isinstance(obj, ActivityEntity) else obj
                if owner is not None:
                    self.groups.add(owner.working_group)
            elif isinstance(obj, Entity | EntityAlias | Person | Theme):
                self.directory = True
            elif (group := working_group_of(session, obj)) is not None:
                self.groups.add(group)


@contextmanager
def _files(upload: ImportUpload) -> Iterator[list[Path]]:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, stored in enumerate(upload.files):
            # a folder per file keeps the name as uploaded (errors name it) and apart
            path = Path(folder) / str(i) / stored["name"]
            path.parent.mkdir()
            path.write_bytes(base64.b64decode(stored["content"]))
            paths.append(path)
        yield paths


def upload_options(upload: ImportUpload, *, remember: bool = False) -> DocumentOptions:
    options = upload.options or {}
    return DocumentOptions(
        working_group=options.get("working_group"),
        chosen={k: list(v) for k, v in options.get("chosen", {}).items()},
        remember=remember,
    )


def choose_columns(upload: ImportUpload, key: str, mapping: list[str]) -> None:
    """Keep the person's mapping for one table of the upload, for its next preview."""
    options = dict(upload.options or {})
    options["chosen"] = {**options.get("chosen", {}), key: mapping}
    upload.options = options


@dataclass
class TablePreview:
    """A document's table on the preview: how it is read, and each row as the import sees it."""

    detected: DetectedTable
    readings: list[RowReading]

    @property
    def key(self) -> str:
        return table_key(self.detected.file, self.detected.table.index)


@dataclass
class Outcome:
    report: ImportReport | None = None
    errors: list[RowError] = field(default_factory=list)
    tables: list[TablePreview] = field(default_factory=list)

    @property
    def digest(self) -> str:
        lines = self.report.lines() if self.report else [str(e) for e in self.errors]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def run_upload(
    session: so.Session, upload: ImportUpload, person: Person, today: date, *, keep: bool
) -> Outcome:
    """Import the upload in a savepoint; keep it only with `keep` (the caller commits).

    Raises PermissionDenied, with nothing kept, if the files change what `person` may not.
    """
    touched = _Touched()
    options = upload_options(upload, remember=keep)
    real_session = session() if isinstance(session, so.scoped_session) else session
    savepoint = real_session.begin_nested()
    sa.event.listen(real_session, "before_flush", touched.collect)
    tables: list[TablePreview] = []
    try:
        with _files(upload) as paths:
            detected = detect_documents(real_session, paths, options, WEB_LIMITS)
            tables = [
                TablePreview(d, read_each_row(real_session, d.rows(options.working_group)))
                for d in detected
            ]
            report = import_files(
                real_session,
                paths,
                today,
                limits=WEB_LIMITS,
                documents=options,
                detected=detected,
            )
        real_session.flush()
    except ImportFailed as exc:
        savepoint.rollback()
        return Outcome(errors=exc.errors, tables=tables)
    finally:
        sa.event.remove(real_session, "before_flush", touched.collect)
    changed = touched.groups - touched.new_groups
    if not can_import(
        person,
        changed,
        creates_groups=bool(touched.new_groups),
        changes_directory=touched.directory,
    ):
        savepoint.rollback()
        names = ", ".join(sorted(g.short_name for g in changed)) or "none"
        raise PermissionDenied(
            "the files change working groups you do not coordinate, or entities and people "
            f"(working groups changed: {names})"
        )
    if keep:
        savepoint.commit()
    else:
        savepoint.rollback()
    return Outcome(report=report, tables=tables)
