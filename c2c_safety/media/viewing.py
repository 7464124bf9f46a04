"""Seeing an item's images with care: blurred and grey until revealed, one at a time, on purpose.

- Every stored image is shown first as its preview: a tiny, blurred, greyscale picture made by
  the worker. The image itself is never sent to the browser until the viewer reveals it (a
  POST, so it works without JavaScript and is recorded).
- A reveal is for one image, one viewer, for `REVEAL_WINDOW`; it writes a `MediaView`, an audit
  entry and counts in the viewer's exposure figures (review/wellbeing.py).
- An image that matched a child-abuse hash list is `restricted`: no preview for anyone, and only
  `VIEW_RESTRICTED_ROLES` may view it, after a second confirmation with a reason, audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import open_bytes
from models import User, utcnow
from models.media import HashList, MediaObject, MediaStatus, MediaView
from models.review import ReviewerExposure

REVEAL_WINDOW = timedelta(minutes=15)
VIEW_ROLES = frozenset({"moderator", "safeguarding_lead", "independent_reviewer"})
VIEW_RESTRICTED_ROLES = frozenset({"safeguarding_lead"})
MIN_REASON = 10
# workers/image_model.py THRESHOLD (the web process never imports the workers' model code).
IMAGE_THRESHOLD = 0.5


class MediaAccessError(PermissionError):
    """Not allowed (or no such image): the views answer 404/403 without saying which."""


@dataclass(frozen=True)
class ImageView:
    id: int
    position: int
    status: str
    error: str | None
    restricted: bool
    revealed: bool  # this viewer revealed it within the window: the page may load the image
    may_view_restricted: bool
    match_source: str | None
    same_as_item: int | None
    width: int | None
    height: int | None
    image_score: float | None = None  # the local image model's nudity score (assistive)
    image_model: str | None = None

    @property
    def image_score_high(self) -> bool:
        return self.image_score is not None and self.image_score >= IMAGE_THRESHOLD


def _revealed_ids(session: Session, user: User, media_ids: list[int], now: datetime) -> set[int]:
    if not media_ids:
        return set()
    return set(session.scalars(select(MediaView.media_id).where(
        MediaView.user_id == user.id, MediaView.media_id.in_(media_ids), MediaView.at >= now - REVEAL_WINDOW)))


def for_item(session: Session, item_id: int, user: User, now: datetime | None = None) -> list[ImageView]:
    now = now or utcnow()
    rows = list(session.scalars(select(MediaObject).where(MediaObject.item_id == item_id)
                                .order_by(MediaObject.position, MediaObject.id)))
    if not rows:
        return []
    revealed = _revealed_ids(session, user, [m.id for m in rows], now)
    sources = {h.id: h.source for h in session.scalars(select(HashList).where(
        HashList.id.in_([m.match_list_id for m in rows if m.match_list_id is not None])))}
    same_items = dict(session.execute(select(MediaObject.id, MediaObject.item_id).where(
        MediaObject.id.in_([m.same_as_id for m in rows if m.same_as_id is not None]))).all())
    may_restricted = bool(user.role_names & VIEW_RESTRICTED_ROLES)
    return [ImageView(
        m.id, m.position, m.status, m.error, m.restricted, m.id in revealed, may_restricted,
        sources.get(m.match_list_id) if m.match_list_id is not None else None,
        same_items.get(m.same_as_id) if m.same_as_id is not None else None, m.width, m.height,
        m.image_score, m.image_model) for m in rows]


def _stored(session: Session, media_id: int, user: User) -> MediaObject:
    if not user.role_names & VIEW_ROLES:
        raise MediaAccessError("not allowed")
    media = session.get(MediaObject, media_id)
    if media is None or media.status != MediaStatus.STORED or media.blob_sealed is None:
        raise MediaAccessError("no such image")
    return media


def reveal(session: Session, user: User, media_id: int, *, confirmed: bool = False, reason: str = "",
           now: datetime | None = None) -> MediaObject:
    """Record that this person looks at this one image now (the caller commits)."""
    now = now or utcnow()
    media = _stored(session, media_id, user)
    reason = " ".join(reason.split())
    if media.restricted:
        if not user.role_names & VIEW_RESTRICTED_ROLES:
            raise MediaAccessError("restricted")
        if not confirmed or len(reason) < MIN_REASON:
            raise ValueError(_("Confirm, and say why you need to see it (at least %(num)d characters).",
                               num=MIN_REASON))
    session.add(MediaView(media_id=media.id, user_id=user.id, at=now, restricted=media.restricted))
    day = now.date()
    if session.scalar(select(ReviewerExposure.id).where(ReviewerExposure.user_id == user.id,
                                                        ReviewerExposure.day == day,
                                                        ReviewerExposure.item_id == media.item_id)) is None:
        session.add(ReviewerExposure(user_id=user.id, item_id=media.item_id, day=day, at=now))
    audit.record(session, "view.media_restricted_revealed" if media.restricted else "view.media_revealed",
                 actor=user, target_type="media", target_id=media.id,
                 details={"item_id": media.item_id, **({"reason_length": len(reason)} if media.restricted else {})})
    session.flush()
    return media


def image_bytes(session: Session, user: User, media_id: int, now: datetime | None = None) -> tuple[bytes, str]:
    """The image itself, only to someone who revealed it within the window."""
    media = _stored(session, media_id, user)
    if media.id not in _revealed_ids(session, user, [media.id], now or utcnow()):
        raise MediaAccessError("not revealed")
    return open_bytes(media.blob_sealed or b""), media.media_type or "application/octet-stream"


def preview_bytes(session: Session, user: User, media_id: int) -> bytes:
    """The blurred greyscale preview; none for a restricted image."""
    media = _stored(session, media_id, user)
    if media.restricted or media.preview_sealed is None:
        raise MediaAccessError("no preview")
    return open_bytes(media.preview_sealed)
