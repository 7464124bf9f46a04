"""Fetching, checking, hashing and matching a flag's images (the periodic job "media-fetch").

For each due image (c2c_safety/media/store.py): fetch it from the configured media host only
(no proxy, no redirect off the host, a timeout, at most `MAX_BYTES`), decode and re-encode it
without metadata in the upload sandbox (c2c_safety/core/sandbox.py: pixel budget, memory and
CPU limits, so a decompression bomb ends a child process, not the worker), hash it (PDQ +
SHA-256), make the blurred greyscale preview, seal both, and match the PDQ hash against the
active hash lists. A child-abuse list match hides the image, asks the platform to hide the
content pending review, and opens an urgent safeguarding referral: a person decides the rest.

One image per transaction: a failure is recorded on that image (retried with backoff, or
refused for good) and never touches the flag or its item.
"""

from __future__ import annotations

import io
import logging
import urllib.error
import urllib.request
from datetime import datetime

from PIL import Image, ImageFilter, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.core import sandbox
from c2c_safety.core.crypto import open_bytes, open_text
from c2c_safety.core.uploads import sniff
from c2c_safety.media import intake as media_intake
from c2c_safety.media import store
from c2c_safety.review import collapse, referrals, triage
from c2c_safety.safeguarding import hotline_records
from c2c_safety.webhooks import deliveries as webhooks
from models import ReviewItem, utcnow
from models.media import ListAction, MediaObject, MediaStatus
from workers import image_model, media_reports
from workers.context import get_app, job_session
from workers.media_hash import MIN_QUALITY, hash_image
from workers.media_index import DEFAULT_THRESHOLD, PdqIndex
from workers.media_match import match
from workers.periodic import tracked

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PREVIEW_SIDE = 320
SANDBOX_SECONDS = 30.0
REFERRAL_REASON = "known_abuse_image"


class FetchError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, host: str) -> None:
        self.host = host

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not media_intake.is_allowed(newurl, self.host):
            raise FetchError("host_not_allowed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, host: str, timeout: float) -> bytes:
    if not media_intake.is_allowed(url, host):
        raise FetchError("host_not_allowed")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _SameHostRedirects(host))
    request = urllib.request.Request(url, headers={"User-Agent": "c2c-safety-media"})  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as resp:
            data: bytes = resp.read(MAX_BYTES + 1)
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        raise FetchError("http_4xx" if 400 <= exc.code < 500 else "http_5xx") from None
    except TimeoutError:
        raise FetchError("timeout") from None
    except (urllib.error.URLError, OSError, ValueError):
        raise FetchError("network") from None
    if len(data) > MAX_BYTES:
        raise FetchError("too_large")
    if not data:
        raise FetchError("empty")
    return data


def preview(data: bytes) -> bytes:
    """A small, blurred, greyscale picture: enough to know roughly what it is, not to see it."""
    with Image.open(io.BytesIO(data)) as img:
        small = ImageOps.grayscale(img.convert("RGB"))
        small.thumbnail((24, 24))
        big = small.resize((PREVIEW_SIDE, max(1, PREVIEW_SIDE * small.height // max(1, small.width))))
        out = io.BytesIO()
        big.filter(ImageFilter.GaussianBlur(8)).save(out, "JPEG", quality=60)
        return out.getvalue()


def checked(data: bytes) -> store.Stored:
    kind = sniff(data)
    if kind not in IMAGE_TYPES:
        raise FetchError("not_image")
    outcome = sandbox.check(kind, data, sandbox.Deadline(SANDBOX_SECONDS))
    if not outcome.ok:
        raise FetchError(outcome.code or "broken")
    clean = outcome.data
    with Image.open(io.BytesIO(clean)) as img:
        width, height = img.size
    hashes = hash_image(clean)
    return store.Stored(outcome.media_type, width, height, clean, preview(clean), hashes.sha256, hashes.pdq,
                        hashes.quality)


_seen: dict[str, tuple[int, PdqIndex, list[int]]] = {}


def _same_pictures(session: Session, media: MediaObject) -> list[int]:
    """Other items' stored images that are the same picture: identical bytes, or PDQ within the
    threshold (the index of stored images is rebuilt when images were added since); oldest first."""
    found = set(session.scalars(select(MediaObject.id).where(
        MediaObject.sha256 == media.sha256, MediaObject.id != media.id, MediaObject.item_id != media.item_id)))
    if media.pdq is not None and (media.pdq_quality or 0) >= MIN_QUALITY:
        top = session.scalar(select(MediaObject.id).order_by(MediaObject.id.desc()).limit(1)) or 0
        cached = _seen.get("stored")
        if cached is None or cached[0] != top:
            rows = session.execute(select(MediaObject.id, MediaObject.pdq).where(
                MediaObject.status == MediaStatus.STORED, MediaObject.pdq.is_not(None))).all()
            cached = (top, PdqIndex([bytes(p) for _, p in rows if p is not None]),
                      [i for i, p in rows if p is not None])
            _seen["stored"] = cached
        _, index, ids = cached
        for m in index.search(media.pdq, DEFAULT_THRESHOLD):
            other = session.get(MediaObject, ids[m.row])
            if other is not None and other.id != media.id and other.item_id != media.item_id:
                found.add(other.id)
    return sorted(found)


def _collapse(session: Session, media: MediaObject, others: list[int]) -> ReviewItem:
    """Link the image to the same picture elsewhere and, when that is on an open item, let this
    flag's item join it (review/collapse.py). Returns the item the flags now sit on."""
    item = session.get(ReviewItem, media.item_id)
    assert item is not None
    if others and media.same_as_id is None:
        store.link_same(session, media, others[0])
    for other_id in others:
        other = session.get(MediaObject, other_id)
        target = session.get(ReviewItem, other.item_id) if other is not None else None
        if target is not None and collapse.collapse(session, item, collapse.live(session, target),
                                                    media_id=media.id) >= 0:
            media.same_as_id = other_id
            break
    return collapse.live(session, item)


def _score_image(session: Session, media: MediaObject, live: ReviewItem, data: bytes) -> None:
    """The local image model's score on the image, its item and the item its flags now sit on;
    with a minor involved a high score puts "sexual" in play, so their priority is recomputed."""
    scored = image_model.score(data)
    if scored is None:
        return
    changed = store.record_image_score(session, media, scored.score, scored.model)
    item = session.get(ReviewItem, media.item_id)
    assert item is not None
    if changed:
        triage.refresh(session, item)
    if live.id != item.id and (live.image_score is None or live.image_score < scored.score):
        live.image_score = scored.score
        triage.refresh(session, live)


def process(media_id: int, now: datetime | None = None) -> str:
    """Fetch and store one image (idempotent); returns what happened."""
    app = get_app()
    cfg = app.config["C2C"]
    to_send: list[int] = []
    with job_session() as s:
        media = store.pending(s, media_id)
        if media is None:
            return "not pending"
        try:
            if media.origin == "uploaded":  # sent with the flag, kept sealed and unchecked until now
                raw = open_bytes(media.blob_sealed or b"")
            else:
                raw = fetch(open_text(media.url_sealed) or "", cfg.media_host, cfg.media_fetch_timeout)
            got = checked(raw)
        except FetchError as exc:
            store.fail(s, media, exc.code, now)
            s.commit()
            log.info("media %s: %s (attempt %s)", media_id, exc.code, media.attempts)
            return exc.code
        store.store(s, media, got, now)
        s.flush()
        live = _collapse(s, media, _same_pictures(s, media))
        outcome = "stored"
        _score_image(s, media, live, got.data)
        if got.pdq_quality >= MIN_QUALITY:
            found = match(s, got.pdq)
            if found:
                best = min(found, key=lambda m: (m.action != ListAction.CHILD_ABUSE, m.distance))
                delivery = store.record_match(s, media, list_id=best.list_id, action=best.action,
                                              distance=best.distance, reference=best.external_id,
                                              source=best.source)
                if delivery is not None:
                    to_send.append(delivery.id)
                if best.action == ListAction.CHILD_ABUSE:
                    # The referral is on the item the flags sit on (the one this item joined, if any).
                    ref = referrals.ensure_referral(s, live, [REFERRAL_REASON], kind="escalated")
                    hotline_records.known_image_matched(s, ref, hotline_records.entry(
                        image=f"flag image {media.id}", pdq=got.pdq, sha256=got.sha256, list_name=best.list_name,
                        source=best.source, list_reference=best.external_id, distance=best.distance,
                        at=media.stored_at or utcnow()))
                outcome = f"matched:{best.action}"
        s.commit()
    for delivery_id in to_send:  # committed first, then enqueued; the reconciler covers a Redis outage
        webhooks.enqueue(delivery_id, app)
    log.info("media %s: %s", media_id, outcome)
    return outcome


@tracked("media-fetch")
def fetch_due() -> int:
    """Every image whose fetch is due, then reporters' images due to be hashed; one transaction each."""
    with job_session() as s:
        ids = store.due(s)
    for media_id in ids:
        process(media_id)
    return len(ids) + media_reports.due()
