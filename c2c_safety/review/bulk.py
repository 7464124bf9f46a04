"""Spam waves: one text flagged on many pieces of content, decided together.

Items get a `text_key` (review/text_keys.py: a hash of the normalised text) when they are
triaged. On an item's page the moderator sees the other waiting items with the
same key and may apply their decision to them as well. Each of those is claimed and
decided on its own: its own decision, statement of reasons, audit row and webhook. Items
under appeal, held by another moderator, or barred to this moderator are left out, and
escalations are never applied in bulk (a referral or a case needs its own facts).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from c2c_safety.review import claims, decisions
from c2c_safety.review.requests import DecisionRequest
from c2c_safety.review.text_keys import normalise as normalise
from c2c_safety.review.text_keys import text_key as text_key
from models import ItemStatus, ReviewItem, User, utcnow
from models.review import ESCALATIONS

MAX_BULK = 200


@dataclass(frozen=True)
class SameText:
    id: int
    content_type: str
    author_age_band: str
    flag_count: int
    claimed_by_other: bool


def _candidates(item: ReviewItem) -> Select[int, str, str, int, int | None, datetime | None]:
    """Other OPEN items with the same text."""
    return (select(ReviewItem.id, ReviewItem.content_type, ReviewItem.author_age_band, ReviewItem.flag_count,
                   ReviewItem.claimed_by_id, ReviewItem.claim_expires_at)
            .where(ReviewItem.text_key == item.text_key, ReviewItem.status == ItemStatus.OPEN,
                   ReviewItem.id != item.id)
            .order_by(ReviewItem.id).limit(MAX_BULK))


def same_text_waiting(session: Session, item: ReviewItem, user: User, now: datetime | None = None) -> list[SameText]:
    """What the item page lists under "Same text elsewhere" (at most MAX_BULK)."""
    if not item.text_key:
        return []
    now = now or utcnow()
    out = []
    for r in session.execute(_candidates(item)):
        other = r.claimed_by_id not in (None, user.id) and r.claim_expires_at is not None \
            and r.claim_expires_at > now
        out.append(SameText(r.id, r.content_type, r.author_age_band, r.flag_count, other))
    return out


def check(req: DecisionRequest) -> None:
    """Refuse a bulk request that cannot be applied, before anything is decided."""
    if req.appeal_outcome is not None:
        raise decisions.DecisionError("An appeal is reviewed on its own; bulk decisions are for new items.",
                                      "bulk")
    if req.action in ESCALATIONS:
        raise decisions.DecisionError("Escalations are made one item at a time, each with its own facts.",
                                      "bulk")


def decide_same_text(session: Session, user: User, req: DecisionRequest, main: decisions.DecisionResult,
                     now: datetime | None = None) -> list[decisions.DecisionResult]:
    """Apply the decision just made on `req.item_id` to the other waiting items with the same
    text. Each is claimed and decided separately inside a savepoint: one that changed hands
    meanwhile is skipped, the others still go through. Caller commits."""
    check(req)
    now = now or utcnow()
    item = session.get(ReviewItem, req.item_id)
    if item is None or not item.text_key:
        return []
    free = or_(ReviewItem.claimed_by_id.is_(None), ReviewItem.claimed_by_id == user.id,
               ReviewItem.claim_expires_at.is_(None), ReviewItem.claim_expires_at < now)
    ids = list(session.scalars(select(ReviewItem.id).where(and_(
        ReviewItem.text_key == item.text_key, ReviewItem.status == ItemStatus.OPEN,
        ReviewItem.id != item.id, free)).order_by(ReviewItem.id).limit(MAX_BULK)))
    out: list[decisions.DecisionResult] = []
    for other_id in ids:
        try:
            with session.begin_nested():
                claims.claim(session, other_id, user, now)
                other = session.get(ReviewItem, other_id, populate_existing=True)
                assert other is not None
                out.append(decisions.decide(session, user, replace(req, item_id=other_id, version=other.version),
                                            now, bulk_of=main.decision))
        except (claims.ClaimError, decisions.DecisionError):
            continue  # taken or changed meanwhile: it stays in the queue for someone to open
    return out
