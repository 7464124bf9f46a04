"""What an uploaded file really is, by its first bytes (never by its name or declared type).

Shared by the reporters' uploads (core/uploads.py) and the platform's images (media/intake.py):
a door check only; images are then decoded and re-encoded in the sandbox."""

from __future__ import annotations


def image_type(data: bytes) -> str | None:
    """The image media type the bytes are, or None if not an image type the desk accepts."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
