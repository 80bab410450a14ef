"""How much an import may read, and the checks made on a file before any parser sees it.

A parser handed a hostile file spends memory and time before it can say anything: a zip that
inflates to gigabytes, one cell of 800 MB, a million rows. So the size on disk, what a zip
member says it unpacks to (read from the zip's central directory, before inflating anything),
and the file's real kind are checked first; rows and cell lengths are then counted while
reading, and reading stops at the first one over its limit.

The web import has tighter limits than the CLI so that a request always ends well inside the
worker's timeout; larger workplans are imported with `tracker import` (with a progress bar).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    #: The size of one file as uploaded or on disk.
    file_bytes: int
    #: Data rows in one table (blank rows not counted).
    rows: int
    #: Characters in one cell.
    cell_chars: int
    #: What the members of a zip-based file (.xlsx, .docx) together say they unpack to.
    unpacked_bytes: int

    def describe(self) -> str:
        return (
            f"files up to {self.file_bytes // MB} MB (unpacking to at most "
            f"{self.unpacked_bytes // MB} MB), {self.rows:,} rows, {self.cell_chars:,} "
            "characters a cell"
        )


#: A page's import: small enough to be read, checked and written well within a request.
WEB_LIMITS = Limits(file_bytes=2 * MB, rows=300, cell_chars=20_000, unpacked_bytes=30 * MB)
#: `tracker import`: no request to time out, but still bounded memory.
CLI_LIMITS = Limits(file_bytes=50 * MB, rows=100_000, cell_chars=20_000, unpacked_bytes=300 * MB)

_ZIP_MAGIC = b"PK\x03\x04"
#: OLE2 compound files: old .doc/.xls, and also password-protected .docx/.xlsx (the encrypted
#: package is wrapped in one).
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_KINDS = {b"%PDF": "a PDF document", b"{\\rtf": "an RTF document", b"\x89PNG": "a PNG image"}


class FileRefused(ValueError):
    """The file is not read at all; the message says why, for the person who sent it."""


def check_size(size: int, limits: Limits) -> None:
    if size > limits.file_bytes:
        raise FileRefused(
            f"the file is larger than the {limits.file_bytes // MB} MB an import takes here; "
            "split it, or import it with `tracker import`"
        )


def check_file(path: Path, kind: str, limits: Limits) -> None:
    """Refuse a file too large, of another kind than its name says, or a zip bomb.

    `kind` is the format the name promises ("XLSX", "Word (.docx)", "text").
    """
    check_size(path.stat().st_size, limits)
    with path.open("rb") as f:
        head = f.read(8)
    zipped = kind != "text"
    if zipped and head.startswith(_OLE_MAGIC):
        raise FileRefused(
            f"not a {kind} file: it is password-protected (encrypted), or in the old binary "
            "format; remove the password or save it again as .docx/.xlsx"
        )
    for magic, what in _OTHER_KINDS.items():
        if head.startswith(magic):
            raise FileRefused(f"not a {kind} file: it is {what}")
    if not zipped:
        if head.startswith(_ZIP_MAGIC) or b"\x00" in head:
            raise FileRefused("not a text file: it holds binary data")
        return
    if not head.startswith(_ZIP_MAGIC):
        raise FileRefused(f"not a {kind} file (it is not a zip package); is the name right?")
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefused(f"not a readable {kind} file: the package is damaged ({exc})") from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > limits.unpacked_bytes:
        raise FileRefused(
            f"the file unpacks to {unpacked / MB:,.0f} MB, more than the "
            f"{limits.unpacked_bytes // MB} MB allowed (a file this small that inflates this "
            "much is usually a zip bomb)"
        )
