"""Which of a flag's media addresses the desk may fetch, and recording them to be fetched.

Only addresses on the configured media host (`C2C_MEDIA_HOST`, https in production) are ever
fetched; anything else stays a link the desk never opens, exactly as before. Registering an
address is one INSERT per new address in the ingest transaction (nothing at all for a flag
without media), and the fetch happens later in a worker (workers/media.py), so ingest never
waits on the network and a failed fetch never loses the flag.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.core.crypto import seal_bytes, seal_text
from c2c_safety.core.filetypes import image_type
from models import ReviewItem
from models.media import MediaObject

MAX_URL = 2048


def media_host() -> str:
    cfg = current_app.config.get("C2C")
    return str(getattr(cfg, "media_host", "") or "")


def is_allowed(url: str, host: str) -> bool:
    """Exactly the configured scheme, host and port; no credentials, no other host."""
    if not host or len(url) > MAX_URL:
        return False
    try:
        got, want = urlsplit(url), urlsplit(host)
        got_port, want_port = got.port, want.port
    except ValueError:
        return False
    return (got.scheme == want.scheme and got.scheme in {"https", "http"} and got.username is None
            and got.password is None and (got.hostname or "") == (want.hostname or "")
            and got_port == want_port and bool(got.hostname))


def url_key(url: str) -> str:
    """A keyed hash of an address: lets one address be fetched once per item, not stored in clear."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"media-url:" + url.encode(), hashlib.sha256).hexdigest()


def register(session: Session, item: ReviewItem) -> int:
    """Record the item's fetchable media addresses not recorded yet; returns how many were new."""
    host = media_host()
    if not host or not item.media_urls:
        return 0
    wanted = [(pos, u, url_key(u)) for pos, u in enumerate(item.media_urls) if is_allowed(u, host)]
    if not wanted:
        return 0
    known = set(session.scalars(select(MediaObject.url_key).where(MediaObject.item_id == item.id)))
    added = 0
    for pos, url, key in wanted:
        if key in known:
            continue
        session.add(MediaObject(item_id=item.id, position=pos, url_sealed=seal_text(url), url_key=key))
        known.add(key)
        added += 1
    if added:
        session.flush()
    return added


UPLOAD_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

MAX_MEDIA_PER_ITEM = 50


class UploadRefusedError(ValueError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def accept_upload(session: Session, item: ReviewItem, data: bytes, declared_type: str) -> tuple[MediaObject, bool]:
    """An image the platform sends with a flag: kept sealed, unchecked, until the worker decodes
    and re-encodes it in the sandbox like a fetched one. Returns (row, whether it is new)."""
    if declared_type not in UPLOAD_TYPES:
        raise UploadRefusedError(415, "unsupported_media_type", "Send a JPEG, PNG, GIF or WebP image.")
    if not data:
        raise UploadRefusedError(400, "empty", "The body is empty.")
    if image_type(data) != declared_type:
        raise UploadRefusedError(400, "not_an_image", f"The body is not a {declared_type} image.")
    key = hashlib.sha256(b"upload:" + data).hexdigest()  # 64 characters, like an address key
    found = session.scalar(select(MediaObject).where(MediaObject.item_id == item.id, MediaObject.url_key == key))
    if found is not None:
        return found, False
    count = len(list(session.scalars(select(MediaObject.id).where(MediaObject.item_id == item.id))))
    if count >= MAX_MEDIA_PER_ITEM:
        raise UploadRefusedError(422, "too_many_images", f"An item holds at most {MAX_MEDIA_PER_ITEM} images.")
    media = MediaObject(item_id=item.id, position=count, url_key=key, origin="uploaded",
                        blob_sealed=seal_bytes(data))
    session.add(media)
    session.flush()
    return media, True
