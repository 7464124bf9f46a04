"""Claims: a moderator who opens an item to decide it holds a 10-minute lease on it.

Claiming is one atomic UPDATE … WHERE (unclaimed or lease expired or already mine), so two
moderators can never both hold an item; the decision itself re-checks the claim in its
own atomic UPDATE. Claims do not bump the item's version: only changes to the item's
substance (flags, scores, decisions) do, and those invalidate an open decide form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, insert, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from c2c_safety.audit import log as audit
from models import ItemStatus, ReviewItem, Role, User, utcnow
from models.review import Appeal, AppealStatus, ItemClaim

LEASE = timedelta(minutes=10)
WAITING = (ItemStatus.OPEN, ItemStatus.APPEALED)


class ClaimError(Exception):
    """The claim was refused; the message is safe to show."""


@dataclass(frozen=True)
class ClaimResult:
    item_id: int
    expires_at: datetime
    renewed: bool


def excluded_decider(session: Session, item_id: int) -> int | None:
    """The moderator who made a decision now under appeal: they may not review it."""
    return session.scalar(
        select(Appeal.original_decider_id)
        .where(Appeal.item_id == item_id, Appeal.status == AppealStatus.OPEN)
        .limit(1)
    )


def _require_moderator(user: User) -> None:
    if not user.has_role(Role.MODERATOR):
        raise ClaimError(_("Only moderators can claim items."))


def open_claim_row(session: Session, item_id: int, user: User) -> ItemClaim | None:
    return session.scalars(
        select(ItemClaim).where(ItemClaim.item_id == item_id, ItemClaim.user_id == user.id,
                                ItemClaim.ended_at.is_(None))
        .order_by(ItemClaim.id.desc()).limit(1)
    ).first()


def _record_claim(session: Session, item_id: int, user: User, now: datetime) -> bool:
    """Close other people's open claim rows and open mine unless I already have one.
    Returns True when this is a new claim (two statements, no read)."""
    session.execute(
        update(ItemClaim).where(ItemClaim.item_id == item_id, ItemClaim.ended_at.is_(None),
                                ItemClaim.user_id != user.id)
        .values(ended_at=now, end_reason="expired").execution_options(synchronize_session=False)
    )
    mine_open = exists().where(ItemClaim.item_id == item_id, ItemClaim.user_id == user.id,
                               ItemClaim.ended_at.is_(None))
    # RETURNING, not rowcount: drivers report -1 for INSERT … SELECT.
    added = session.connection().execute(
        insert(ItemClaim).from_select(
            ["item_id", "user_id", "claimed_at"],
            select(literal(item_id), literal(user.id), literal(now, type_=ItemClaim.claimed_at.type))
            .where(~mine_open))
        .returning(ItemClaim.id)
    ).first()
    return added is not None


def claim(session: Session, item_id: int, user: User, now: datetime | None = None) -> ClaimResult:
    """Claim (or renew) `item_id` for `user`. Raises ClaimError if someone else holds it."""
    _require_moderator(user)
    now = now or utcnow()
    expires = now + LEASE
    result = session.execute(
        update(ReviewItem)
        .where(
            ReviewItem.id == item_id,
            ReviewItem.status.in_(WAITING),
            or_(ReviewItem.claimed_by_id.is_(None), ReviewItem.claimed_by_id == user.id,
                ReviewItem.claim_expires_at.is_(None), ReviewItem.claim_expires_at < now),
            # whoever made a decision now under appeal may not review it
            ~exists().where(Appeal.item_id == item_id, Appeal.status == AppealStatus.OPEN,
                            Appeal.original_decider_id == user.id),
        )
        .values(claimed_by_id=user.id, claim_expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        item = session.get(ReviewItem, item_id)
        if item is None:
            raise ClaimError(_("There is no such item."))
        if item.status not in WAITING:
            raise ClaimError(_("This item has already been decided."))
        if excluded_decider(session, item_id) == user.id:
            raise ClaimError(_("You made the decision under appeal, so another moderator must review it."))
        raise ClaimError(_("Another moderator is working on this item. Pick another one."))
    new = _record_claim(session, item_id, user, now)
    if new:
        audit.record(session, "queue.item_claimed", actor=user, target_type="review_item",
                     target_id=item_id)
    _expire_item(session, item_id)
    return ClaimResult(item_id, expires, renewed=not new)


def _expire_item(session: Session, item_id: int) -> None:
    # The UPDATE bypassed the identity map; reload the claim columns on next access.
    obj = session.identity_map.get(identity_key(ReviewItem, item_id))
    if obj is not None:
        session.expire(obj, ["claimed_by_id", "claim_expires_at"])


def release(session: Session, item_id: int, user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    result = session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == item_id, ReviewItem.claimed_by_id == user.id)
        .values(claimed_by_id=None, claim_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    released = getattr(result, "rowcount", 0) == 1
    row = open_claim_row(session, item_id, user)
    if row is not None:
        row.ended_at, row.end_reason = now, "released"
    if released:
        audit.record(session, "queue.item_released", actor=user, target_type="review_item",
                     target_id=item_id)
    session.flush()
    _expire_item(session, item_id)
    return released


def finish_claim(session: Session, item_id: int, user: User, reason: str, now: datetime) -> datetime | None:
    """End my open claim row; returns when it began (for time-on-item), in one statement."""
    started = session.scalars(
        update(ItemClaim).where(ItemClaim.item_id == item_id, ItemClaim.user_id == user.id,
                                ItemClaim.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason).returning(ItemClaim.claimed_at)
        .execution_options(synchronize_session=False)
    ).all()
    return min(started) if started else None


def holds_live_claim(item: ReviewItem, user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (item.claimed_by_id == user.id and item.claim_expires_at is not None
            and item.claim_expires_at > now)


def next_claimable(session: Session, user: User, now: datetime | None = None,
                   tries: int = 5, exclude: tuple[int, ...] = (),
                   where: Sequence[ColumnElement[bool]] = ()) -> ClaimResult | None:
    """Claim the highest-ranked waiting item nobody holds (skipping appeals of my decisions,
    `exclude`: the item the moderator just stepped away from, and whatever `where` leaves
    out: the moderator's skip list, review/skips.py)."""
    now = now or utcnow()
    skip: list[int] = list(exclude)
    for _attempt in range(tries):
        stmt = (
            select(ReviewItem.id)
            .where(ReviewItem.status.in_(WAITING),
                   or_(ReviewItem.claimed_by_id.is_(None), ReviewItem.claim_expires_at < now,
                       ReviewItem.claimed_by_id == user.id),
                   ~ReviewItem.id.in_(
                       select(Appeal.item_id).where(and_(Appeal.status == AppealStatus.OPEN,
                                                         Appeal.original_decider_id == user.id))))
            .where(*where)
            .order_by(ReviewItem.queue_rank.desc(), ReviewItem.id.desc())
            .limit(1)
        )
        if skip:
            stmt = stmt.where(ReviewItem.id.not_in(skip))
        item_id = session.scalar(stmt)
        if item_id is None:
            return None
        try:
            return claim(session, item_id, user, now)
        except ClaimError:
            skip.append(item_id)  # lost a race for it: try the next one
    return None
