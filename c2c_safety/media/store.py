"""The life of one fetched image: due, stored (sealed, hashed), refused, failed, matched.

The worker (workers/media.py) does the network, the sandbox and the hashing; these typed
functions hold the rules and write the rows and audit entries in the worker's transaction.
Every function takes ids or rows and is safe to run twice (a row that is no longer pending is
left alone), so a retried job changes nothing that is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import seal_bytes
from c2c_safety.webhooks import deliveries as webhooks
from models import ReviewItem, WebhookDelivery, utcnow
from models.media import ListAction, MediaObject, MediaStatus

MAX_ATTEMPTS = 6
BACKOFF = timedelta(seconds=30)  # 30 s, 1, 2, 4, 8 min: about a quarter of an hour in all
HIDE_EVENT = "content.hide_requested"
# Refusals that no retry will change (a bomb stays a bomb); the others are retried.
FINAL_CODES = frozenset({"host_not_allowed", "not_image", "too_large", "too_complex", "broken", "bad_type", "bomb",
                         "empty", "http_4xx"})


@dataclass(frozen=True)
class Stored:
    media_type: str
    width: int
    height: int
    data: bytes  # re-encoded without metadata by the sandbox
    preview: bytes  # blurred, greyscale, small
    sha256: str
    pdq: bytes
    pdq_quality: int


def due(session: Session, now: datetime | None = None, limit: int = 20) -> list[int]:
    """Pending images whose next attempt is due, oldest first."""
    return list(session.scalars(
        select(MediaObject.id).where(MediaObject.status == MediaStatus.PENDING,
                                     MediaObject.next_attempt_at <= (now or utcnow()))
        .order_by(MediaObject.next_attempt_at, MediaObject.id).limit(limit)))


def pending(session: Session, media_id: int) -> MediaObject | None:
    media = session.get(MediaObject, media_id, with_for_update=True)
    return media if media is not None and media.status == MediaStatus.PENDING else None


def fail(session: Session, media: MediaObject, code: str, now: datetime | None = None) -> None:
    """A fetch that did not work: refused for good, or retried later until the attempts run out."""
    now = now or utcnow()
    media.attempts += 1
    media.error = code[:40]
    if code in FINAL_CODES:
        media.status = MediaStatus.REFUSED
        media.blob_sealed = None  # an uploaded file that failed its checks is not kept
    elif media.attempts >= MAX_ATTEMPTS:
        media.status = MediaStatus.FAILED
    else:
        media.next_attempt_at = now + BACKOFF * (2 ** (media.attempts - 1))
    audit.record(session, "media.fetch_failed", actor_label="worker", target_type="media", target_id=media.id,
                 details={"item_id": media.item_id, "code": media.error, "attempts": media.attempts,
                          "status": media.status})


def store(session: Session, media: MediaObject, got: Stored, now: datetime | None = None) -> None:
    media.status = MediaStatus.STORED
    media.attempts += 1
    media.error = None
    media.media_type, media.width, media.height = got.media_type, got.width, got.height
    media.blob_sealed = seal_bytes(got.data)
    media.preview_sealed = seal_bytes(got.preview)
    media.sha256, media.pdq, media.pdq_quality = got.sha256, got.pdq, got.pdq_quality
    media.stored_at = now or utcnow()
    same = session.scalar(select(MediaObject.id).where(
        MediaObject.sha256 == got.sha256, MediaObject.id != media.id, MediaObject.item_id != media.item_id)
        .order_by(MediaObject.id).limit(1))
    if same is not None:
        media.same_as_id = same
    audit.record(session, "media.stored", actor_label="worker", target_type="media", target_id=media.id,
                 details={"item_id": media.item_id, "bytes": len(got.data), "same_as": media.same_as_id})


def link_same(session: Session, media: MediaObject, other_id: int) -> None:
    """A near-identical picture (PDQ within the threshold) already on another item."""
    if media.same_as_id is None and other_id != media.id:
        media.same_as_id = other_id


def record_image_score(session: Session, media: MediaObject, score: float, model: str) -> bool:
    """Keep the local image model's score on the image and the item's highest on the item.
    Returns whether the item's highest changed (the caller then recomputes its priority)."""
    media.image_score, media.image_model = score, model[:40]
    item = session.get(ReviewItem, media.item_id)
    assert item is not None
    session.flush()
    best = max((s for s in session.scalars(select(MediaObject.image_score).where(
        MediaObject.item_id == item.id, MediaObject.image_score.is_not(None))) if s is not None), default=None)
    audit.record(session, "media.image_scored", actor_label="worker", target_type="media", target_id=media.id,
                 details={"item_id": item.id, "score": score, "model": model[:40]})
    if best == item.image_score:
        return False
    item.image_score = best
    return True


def record_match(session: Session, media: MediaObject, *, list_id: int, action: str, distance: int,
                 reference: str, source: str) -> WebhookDelivery | None:
    """Keep the nearest list match. A child-abuse list hides the image from everyone by default
    and asks the platform to hide the content pending a person's review (the caller opens the
    urgent referral). Returns the hide request's delivery, to enqueue after commit."""
    media.match_list_id, media.match_distance, media.match_reference = list_id, distance, reference[:120]
    delivery = None
    if action == ListAction.CHILD_ABUSE:
        media.restricted = True
        item = session.get(ReviewItem, media.item_id)
        assert item is not None
        # Only the platform's own ids go out: never the image, its hash or the list's reference.
        delivery = webhooks.create_delivery(session, HIDE_EVENT, {
            "content": {"type": item.content_type, "id": item.platform_content_id},
            "reason": "known_abuse_image", "pending_human_review": True, "decided_by_human": False,
        })
    audit.record(session, "media.matched", actor_label="worker", target_type="media", target_id=media.id,
                 details={"item_id": media.item_id, "list_id": list_id, "list_source": source, "action": action,
                          "distance": distance, "hide_delivery_id": delivery.id if delivery else None})
    return delivery
