"""One picture, one item: a flag whose image is the same picture as one on an open item joins it.

An item's images are hashed by a worker after the flag arrived (workers/media.py), so the
collapse happens then: when a newly stored image is byte-identical (SHA-256) or within the PDQ
threshold of an image on another open item, the new item's flags join that item and the new
item is closed as merged (`merged_into_id`). Later flags on its content join the item it was
merged into (intake/flags.py). Nothing is lost: every flag stays a row and is counted on the
item it sits on; a flagger who flagged both pieces of content keeps both flags (their second
stays on the merged item, which the surviving item lists). The merged item keeps its content,
its images and its own hide request; retention anonymises it with the item it joined.

Only a fresh item collapses: open, never decided, nobody holding it, no safeguarding referral
of its own. Anything further along is linked ("the same picture is on item #N") instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.review import triage
from models import Flag, ItemStatus, ReviewItem
from models.review import SafeguardingReferral

SYSTEM_ACTOR = "system:same-image"
MAX_HOPS = 5


@dataclass(frozen=True)
class Merged:
    id: int
    content_type: str
    flags_left: int  # flags that could not join (their flagger had flagged the surviving item too)


def live(session: Session, item: ReviewItem) -> ReviewItem:
    """The item a merged item's flags go to (following at most MAX_HOPS merges)."""
    for _ in range(MAX_HOPS):
        if item.merged_into_id is None:
            break
        nxt = session.get(ReviewItem, item.merged_into_id, with_for_update=True)
        if nxt is None:
            break
        item = nxt
    return item


def _has_referral(session: Session, item_id: int) -> bool:
    return session.scalar(select(SafeguardingReferral.id).where(SafeguardingReferral.item_id == item_id)) is not None


def can_join(session: Session, source: ReviewItem, target: ReviewItem) -> bool:
    fresh = (source.status == ItemStatus.OPEN and source.decided_at is None and source.claimed_by_id is None
             and source.merged_into_id is None and not _has_referral(session, source.id))
    return fresh and source.id != target.id and target.status == ItemStatus.OPEN and target.merged_into_id is None


def collapse(session: Session, source: ReviewItem, target: ReviewItem, *, media_id: int) -> int:
    """Move `source`'s flags to `target` and close `source` as merged; returns the flags moved
    (-1 when the items may not be collapsed). Audited in the caller's transaction."""
    if not can_join(session, source, target):
        return -1
    taken = set(session.scalars(select(Flag.flagger_pseudonym).where(Flag.item_id == target.id)))
    flags = list(session.scalars(select(Flag).where(Flag.item_id == source.id)))
    moving = [f for f in flags if f.flagger_pseudonym not in taken]
    if moving:
        session.execute(update(Flag).where(Flag.id.in_([f.id for f in moving])).values(item_id=target.id)
                        .execution_options(synchronize_session=False))
    target.flag_count += len(moving)
    target.first_flagged_at = min([target.first_flagged_at, *(f.flagged_at for f in moving)])
    target.last_flagged_at = max([target.last_flagged_at, *(f.flagged_at for f in moving)])
    source.flag_count -= len(moving)
    source.status, source.merged_into_id = ItemStatus.CLOSED, target.id
    source.waiting_since = source.promote_at = None
    session.expire(source, ["flags"])
    session.expire(target, ["flags"])
    session.flush()
    triage.refresh(session, target)
    audit.record(session, "review.items_collapsed", actor_label=SYSTEM_ACTOR, target_type="review_item",
                 target_id=target.id, details={"merged_item_id": source.id, "media_id": media_id,
                                               "flags_moved": len(moving), "flags_left": len(flags) - len(moving)})
    return len(moving)


def merged_into(session: Session, item_id: int) -> list[Merged]:
    """The items collapsed into this one, for its page."""
    rows = session.execute(select(ReviewItem.id, ReviewItem.content_type, ReviewItem.flag_count)
                           .where(ReviewItem.merged_into_id == item_id).order_by(ReviewItem.id)).all()
    return [Merged(i, ct, n) for i, ct, n in rows]
