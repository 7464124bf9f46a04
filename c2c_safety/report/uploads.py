"""Files a reporter attaches: checked by content, stripped of metadata, sealed at rest.

- The type is read from the bytes (magic numbers), never from the name or the browser's
  Content-Type: JPEG, PNG, GIF, WebP, PDF and plain UTF-8 text are accepted (text that
  looks like HTML, SVG or XML is not plain text and is refused).
- Images are decoded and re-encoded from their pixels alone, so EXIF (GPS, camera serial,
  time), XMP, ICC profiles and comments do not survive. The EXIF orientation is applied
  first so photos stay upright. JPEG stays JPEG; PNG, GIF and WebP become PNG (animations
  keep their first frame). Images over MAX_PIXELS, and anything Pillow flags as a
  decompression bomb, are refused.
- PDFs are kept byte for byte (their own metadata, such as an author name, stays: the form
  tells the reporter so). PDFs with active content (JavaScript, launch actions, embedded
  files, rich media) are refused; the scan also looks inside Flate-compressed streams, but
  it is a best effort, so staff download PDFs rather than open them in the desk's origin.
- Storing (sealed with AES-GCM, never served publicly) is cases/attachments.py.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import warnings
import zlib
from pathlib import PurePosixPath
from typing import IO

from PIL import Image, ImageOps

from c2c_safety.cases.attachments import CleanFile as CleanFile

log = logging.getLogger(__name__)

MAX_FILES = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; well below Pillow's own bomb limit
MAX_INFLATE = 20 * 1024 * 1024  # bytes of PDF streams inflated for the active-content scan
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf", "text/plain": ".txt"}
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia)(?![A-Za-z0-9])")
PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
MARKUP = re.compile(r"<\s*(?:script|html|svg|iframe|object|embed|body|head|meta|\?xml|!doctype)",
                    re.IGNORECASE)


class AttachmentRejectedError(ValueError):
    """A file was refused. `code` names the reason (a translation key suffix)."""

    def __init__(self, code: str, filename: str) -> None:
        super().__init__(code)
        self.code = code
        self.filename = filename


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are, or None if not one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
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


def _reencode(data: bytes, media_type: str, filename: str) -> tuple[bytes, str]:
    try:
        with warnings.catch_warnings():
            # Pillow warns before it errors; either means "possible decompression bomb".
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format != PIL_FORMATS[media_type]:
                    raise AttachmentRejectedError("bad_type", filename)
                if img.width * img.height > MAX_PIXELS:
                    raise AttachmentRejectedError("bomb", filename)
                img.load()
                upright = ImageOps.exif_transpose(img) or img
                out_type = "image/jpeg" if media_type == "image/jpeg" else "image/png"
                has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
                if out_type == "image/jpeg":
                    mode = "L" if upright.mode == "L" else "RGB"
                else:
                    mode = "RGBA" if has_alpha else ("L" if upright.mode == "L" else "RGB")
                pixels = upright.convert(mode)
                # A new image from the raw pixels carries no info dict: no EXIF, XMP, ICC, text.
                fresh = Image.frombytes(mode, pixels.size, pixels.tobytes())
                buf = io.BytesIO()
                if out_type == "image/jpeg":
                    fresh.save(buf, format="JPEG", quality=90, optimize=True)
                else:
                    fresh.save(buf, format="PNG", optimize=True)
                return buf.getvalue(), out_type
    except AttachmentRejectedError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise AttachmentRejectedError("bomb", filename) from None
    except Exception as exc:  # hostile files make Pillow raise almost anything
        log.info("image refused: %s", type(exc).__name__)
        raise AttachmentRejectedError("broken", filename) from None


def _pdf_has_active_content(data: bytes) -> bool:
    def active(chunk: bytes) -> bool:
        # Names may hide letters as #xx escapes (/J#61vaScript).
        plain = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), chunk)
        return PDF_ACTIVE.search(plain) is not None

    if active(data):
        return True
    budget = MAX_INFLATE
    for match in PDF_STREAM.finditer(data):
        if budget <= 0:
            return True  # too much to inspect: refuse rather than guess
        try:
            inflated = zlib.decompressobj().decompress(match.group(1), budget)
        except zlib.error:
            continue  # not Flate (e.g. an image stream)
        budget -= len(inflated)
        if active(inflated):
            return True
    return False


def clean(filename: str, data: bytes) -> CleanFile:
    """Check one file and return what may be stored, or raise AttachmentRejectedError."""
    if len(data) > MAX_FILE_BYTES:
        raise AttachmentRejectedError("too_large", filename)
    if not data:
        raise AttachmentRejectedError("empty", filename)
    media_type = sniff(data)
    if media_type is None:
        raise AttachmentRejectedError("bad_type", filename)
    if media_type in PIL_FORMATS:
        data, media_type = _reencode(data, media_type, filename)
    elif media_type == "application/pdf" and _pdf_has_active_content(data):
        raise AttachmentRejectedError("pdf_active", filename)
    return CleanFile(safe_filename(filename, media_type), media_type, data)


def read_upload(stream: IO[bytes], filename: str) -> bytes:
    """Read at most one byte past the limit, so an oversized file is never read whole."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise AttachmentRejectedError("too_large", filename)
    return data


def clean_uploads(uploads: list[tuple[str, IO[bytes]]]) -> tuple[list[CleanFile], list[AttachmentRejectedError]]:
    """Check every upload; return the good files and one refusal per bad one."""
    good: list[CleanFile] = []
    bad: list[AttachmentRejectedError] = []
    if len(uploads) > MAX_FILES:
        return [], [AttachmentRejectedError("too_many", "")]
    for name, stream in uploads:
        try:
            good.append(clean(name, read_upload(stream, name)))
        except AttachmentRejectedError as exc:
            bad.append(exc)
    return good, bad
