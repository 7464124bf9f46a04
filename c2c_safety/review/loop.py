"""The moderator's loop: decide, then land on the next item ("decide and next").

After a decision the moderator goes to the next item they already hold (another live
claim, highest in the queue first), else the next waiting item is claimed for them
(claims.next_claimable: highest rank nobody holds, never an appeal of their own decision).
"Decide and return to the queue" skips that. A bulk request (review/bulk.py) applies the
decision to the other waiting items with the same text, each with its own statement.
Everything is one transaction: the caller commits, then enqueues the webhook deliveries.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.review import bulk, claims, decisions
from c2c_safety.review import skips as skip_service
from c2c_safety.review.requests import DecisionRequest
from c2c_safety.review.skips import SkipList
from models import ReviewItem, User, utcnow


@dataclass
class LoopResult:
    result: decisions.DecisionResult
    bulk: list[decisions.DecisionResult] = field(default_factory=list)
    next_item_id: int | None = None

    @property
    def delivery_ids(self) -> list[int]:
        return [d for r in [self.result, *self.bulk] for d in r.delivery_ids]


def next_item(session: Session, user: User, now: datetime | None = None,
              exclude: tuple[int, ...] = (), skips: SkipList | None = None) -> int | None:
    """The item to open next: one I hold already, else a newly claimed one (None: nothing);
    never one on my skip list."""
    now = now or utcnow()
    where = skips.exclusions() if skips else []
    stmt = (select(ReviewItem.id)
            .where(ReviewItem.claimed_by_id == user.id, ReviewItem.claim_expires_at > now,
                   ReviewItem.status.in_(claims.WAITING), *where)
            .order_by(ReviewItem.queue_rank.desc(), ReviewItem.id.desc()).limit(1))
    if exclude:
        stmt = stmt.where(ReviewItem.id.not_in(exclude))
    held = session.scalar(stmt)
    if held is not None:
        return held
    got = claims.next_claimable(session, user, now, exclude=exclude, where=where)
    return got.item_id if got is not None else None


def release_then_next(session: Session, user: User, release_id: int | None,
                      now: datetime | None = None, skips: SkipList | None = None) -> tuple[int | None, SkipList]:
    """"Open the next item" (and, from an item I hold, release it first so it goes back to
    the queue for someone else, and pass on it for this session: releasing twice must not
    bounce between the top two items). Returns the next item and the new skip list; the
    caller stores the list and commits."""
    now = now or utcnow()
    skips = skips or SkipList()
    if release_id is not None:
        with suppress(LookupError):  # gone meanwhile: just open the next one
            skips = skip_service.skip(session, user, release_id, "pass", skips)
    return next_item(session, user, now, skips=skips), skips


def decide(session: Session, user: User, req: DecisionRequest, *, then_next: bool, apply_to_same_text: bool,
           now: datetime | None = None, confirmed_unseen: frozenset[int] = frozenset(),
           skips: SkipList | None = None) -> LoopResult:
    """`confirmed_unseen`: same-text items the moderator confirmed, by number, deciding
    without looking (review/bulk.py)."""
    now = now or utcnow()
    if apply_to_same_text:
        bulk.check(req)  # refuse before deciding anything
        bulk.check_reveals(session, user, req, confirmed_unseen)
    out = LoopResult(decisions.decide(session, user, req, now))
    if apply_to_same_text:
        out.bulk = bulk.decide_same_text(session, user, req, out.result, now, confirmed_unseen)
    if then_next:
        out.next_item_id = next_item(session, user, now, skips=skips)
    return out


def enqueue_deliveries(result: LoopResult) -> None:
    """After commit: hand every webhook delivery row to the worker."""
    decisions.enqueue_deliveries(decisions.DecisionResult(result.result.decision, result.delivery_ids))
