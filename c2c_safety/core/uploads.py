"""Files that cross the anonymous channel, either way: a reporter's uploads (report/) and the
files a handler or the safeguarding lead sends back to the reporter (cases/). Checked by
content, stripped of metadata, then sealed at rest by cases/attachments.py. In core because
both sides use it and report/ imports cases/ (the one sanitiser cannot live in either).

- The type is read from the bytes (magic numbers), never from the name or the browser's
  Content-Type: JPEG, PNG, GIF, WebP, PDF and plain UTF-8 text are accepted (text that
  looks like HTML, SVG or XML is not plain text and is refused).
- Images are decoded and re-encoded from their pixels alone, so EXIF (GPS, camera serial,
  time), XMP, ICC profiles and comments do not survive. The EXIF orientation is applied
  first so photos stay upright. JPEG stays JPEG; PNG, GIF and WebP become PNG (animations
  keep their first frame). Images over 50 megapixels (a phone's full-resolution photo fits)
  are refused from their header, before any pixel is decoded.
- PDFs are kept byte for byte (their own metadata, such as an author name, stays: the form
  tells the reporter so). pikepdf (qpdf) parses every object, those inside ASCIIHex-,
  ASCII85- or Flate-encoded object streams included, and a PDF with scripts, automatic
  actions, launch/submit/import actions, embedded files, rich media or XFA is refused.
  Staff still download PDFs rather than open them in the desk's origin.
- Both run in a sandboxed child process (core/sandbox.py): a hostile file can exhaust only
  that child. A refused file never loses the report: the caller saves the text and the other
  files and tells the reporter which file was not taken and why.
- Storing (sealed with AES-GCM, never served publicly) is cases/attachments.py.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from c2c_safety.core import sandbox
from c2c_safety.core.filetypes import image_type
from c2c_safety.core.sandbox import Deadline

log = logging.getLogger(__name__)

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf", "text/plain": ".txt"}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
MARKUP = re.compile(r"<\s*(?:script|html|svg|iframe|object|embed|body|head|meta|\?xml|!doctype)",
                    re.IGNORECASE)


@dataclass(frozen=True)
class CleanFile:
    """A file that passed `clean`: safe name, media type read from the bytes, clean bytes."""

    filename: str
    media_type: str
    data: bytes


class AttachmentRejectedError(ValueError):
    """A file was refused. `code` names the reason (a translation key suffix)."""

    def __init__(self, code: str, filename: str) -> None:
        super().__init__(code)
        self.code = code
        self.filename = filename


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are, or None if not one we accept."""
    image = image_type(data)
    if image is not None:
        return image
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if _is_plain_text(data):
        return "text/plain"
    return None


def _is_plain_text(data: bytes) -> bool:
    if not data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if MARKUP.search(text):
        return False  # HTML/SVG/XML passed off as text could run if ever opened in a browser
    return not any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text)


def safe_filename(name: str, media_type: str) -> str:
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] not in "CZ" or ch == " ").strip()
    stem = PurePosixPath(base).stem[:80].strip(" .") or "attachment"
    return stem + EXTENSIONS.get(media_type, "")


def _checked(data: bytes, media_type: str, filename: str, deadline: Deadline) -> tuple[bytes, str]:
    """Images re-encoded, PDFs scanned, in the sandbox; raises AttachmentRejectedError."""
    kind = "pdf" if media_type == "application/pdf" else media_type
    outcome = sandbox.check(kind, data, deadline)
    if not outcome.ok:
        raise AttachmentRejectedError(outcome.code, filename)
    if kind == "pdf":
        return data, media_type
    if outcome.media_type not in ("image/jpeg", "image/png") or not outcome.data:
        raise AttachmentRejectedError("broken", filename)
    return outcome.data, outcome.media_type


def clean(filename: str, data: bytes, deadline: Deadline | None = None) -> CleanFile:
    """Check one file and return what may be stored, or raise AttachmentRejectedError."""
    if len(data) > MAX_FILE_BYTES:
        raise AttachmentRejectedError("too_large", filename)
    if not data:
        raise AttachmentRejectedError("empty", filename)
    media_type = sniff(data)
    if media_type is None:
        raise AttachmentRejectedError("bad_type", filename)
    if media_type in IMAGE_TYPES or media_type == "application/pdf":
        data, media_type = _checked(data, media_type, filename, deadline or Deadline())
    return CleanFile(safe_filename(filename, media_type), media_type, data)


def read_upload(stream: IO[bytes], filename: str) -> bytes:
    """Read at most one byte past the limit, so an oversized file is never read whole."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise AttachmentRejectedError("too_large", filename)
    return data


def clean_uploads(uploads: list[tuple[str, IO[bytes]]]) -> tuple[list[CleanFile], list[AttachmentRejectedError]]:
    """Check every upload; return the good files and one refusal per bad one. All files of
    one request share one time budget (sandbox.REQUEST_SECONDS); files past it are "busy"."""
    good: list[CleanFile] = []
    bad: list[AttachmentRejectedError] = []
    deadline = Deadline()
    for index, (name, stream) in enumerate(uploads):
        if index >= MAX_FILES:
            bad.append(AttachmentRejectedError("too_many", name))
            continue
        try:
            good.append(clean(name, read_upload(stream, name), deadline))
        except AttachmentRejectedError as exc:
            bad.append(exc)
    return good, bad
