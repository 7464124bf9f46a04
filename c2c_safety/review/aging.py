"""The one change to the queue's order over time: waiting past PROMOTE_AFTER lifts an item
one severity level (review/priority.py). Run every minute by the workers' desk tick
(workers/desk_tick.py) and by `flask review age-queue`.

One UPDATE over the partial index `ix_review_items_promote`: it touches only items whose
lift is due and clears `promote_at`, so a second run (or two workers at once) lifts nothing
twice. It changes the sort key only, never the item's substance, so the item's version
stays and no open decide form goes stale. Should the job not run, the queue still orders
by severity first; lifts only come late.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from c2c_safety.review.priority import LEVEL_SPAN
from c2c_safety.review.queue_filters import WAITING_STATES
from models import ReviewItem, utcnow


def promote_due(session: Session, now: datetime | None = None) -> int:
    """Lift every waiting item whose time has come (caller commits). Returns how many."""
    now = now or utcnow()
    done = session.execute(
        update(ReviewItem)
        .where(ReviewItem.promote_at.is_not(None), ReviewItem.promote_at <= now,
               ReviewItem.status.in_(WAITING_STATES))
        .values(queue_rank=ReviewItem.queue_rank + LEVEL_SPAN, promote_at=None)
        .execution_options(synchronize_session=False))
    return int(getattr(done, "rowcount", 0) or 0)
