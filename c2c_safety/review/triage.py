"""Triage state of a review item: who must see it and how urgently.

Called after every change that can move an item (a new flag at ingest, new scores from a
worker, an appeal, a reopening). It never decides anything: it only orders the human queue
and routes items where a minor may be at risk to the safeguarding lead as well.

The rules live in review/priority.py; this module is the single entry point the intake,
scoring and appeal code call. The caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.review import priority
from models import ItemScore, ReviewItem, utcnow
from models.review import Appeal, AppealStatus, ItemTriage

MINOR_BANDS = priority.MINOR_BANDS


def latest_score(session: Session, item_id: int | None) -> ItemScore | None:
    if item_id is None:
        return None
    return session.scalars(
        select(ItemScore)
        .where(ItemScore.subject_type == "item", ItemScore.subject_id == item_id)
        .order_by(ItemScore.created_at.desc(), ItemScore.id.desc())
        .limit(1)
    ).first()


def _open_appeal_received_at(session: Session, item: ReviewItem) -> datetime | None:
    if item.id is None or item.status != "appealed":
        return None
    return session.scalar(
        select(Appeal.received_at)
        .where(Appeal.item_id == item.id, Appeal.status == AppealStatus.OPEN)
        .order_by(Appeal.received_at)
        .limit(1)
    )


def refresh(session: Session, item: ReviewItem) -> None:
    """Recompute minor/safeguarding/priority/queue_rank and store the explanation."""
    from c2c_safety.review import referrals as safeguarding

    item.minor_involved = item.author_age_band in MINOR_BANDS or (
        item.audience_min_age_band in MINOR_BANDS
    )
    score = latest_score(session, item.id)
    scores = score.scores if score is not None else None
    sg_reasons = priority.safeguarding_reasons(item, scores)
    if sg_reasons:
        item.safeguarding = True  # sticky: once routed, it stays on the lead's desk
    p = priority.compute(session, item, scores)
    since = priority.waiting_since(item, _open_appeal_received_at(session, item))
    if item.priority != p.score:
        item.priority = p.score
    new_rank = priority.rank(p.score, since)
    if item.queue_rank != new_rank:
        item.queue_rank = new_rank
    if item.id is None:
        session.add(item)
        session.flush()
    note = session.get(ItemTriage, item.id)
    components = [[label, points] for label, points in p.components]
    if note is None:
        session.add(ItemTriage(item_id=item.id, components=components,
                               safeguarding_reasons=sg_reasons))
    elif note.components != components or note.safeguarding_reasons != sg_reasons:
        note.components, note.safeguarding_reasons, note.computed_at = components, sg_reasons, utcnow()
    if sg_reasons:
        safeguarding.ensure_referral(session, item, sg_reasons)
