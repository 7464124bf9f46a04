"""Spam waves: one text flagged on many pieces of content, decided together.

Items get a `text_key` (review/text_keys.py: a hash of the normalised text) when they are
triaged. On an item's page the moderator sees the other waiting items with the
same key and may apply their decision to them as well. Each of those is claimed and
decided on its own: its own decision, statement of reasons, audit row and webhook. Items
under appeal, held by another moderator, or barred to this moderator are left out, and
escalations are never applied in bulk (a referral or a case needs its own facts).

Reveal is respected (issue 22.1): a sibling whose content is sensitive (wellbeing.is_sensitive)
is decided in bulk only when this moderator revealed it or confirmed, for that item by its
number, that they decide it without looking. Otherwise the whole request is refused before
anything is saved (`BulkUnrevealedError`, listing them), and decisions.decide re-checks each
child, so a sibling that turned sensitive meanwhile is skipped, never decided unseen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
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
    categories: tuple[str, ...] = ()
    sensitive: bool = False
    revealed: bool = False  # by this moderator

    @property
    def needs_confirmation(self) -> bool:
        return self.sensitive and not self.revealed and not self.claimed_by_other


class BulkUnrevealedError(decisions.DecisionError):
    """Sensitive siblings this moderator has not looked at nor confirmed by name."""

    def __init__(self, ids: list[int]) -> None:
        names = ", ".join(f"#{i}" for i in ids)
        super().__init__(ngettext("Nothing was saved. %(num)d item with the same text (%(names)s) may be "
                                  "distressing and you have not looked at it. Open and show it, tick \"decide "
                                  "without looking\" for each by number, or untick \"also apply\".",
                                  "Nothing was saved. %(num)d items with the same text (%(names)s) may be "
                                  "distressing and you have not looked at them. Open and show them, tick \"decide "
                                  "without looking\" for each by number, or untick \"also apply\".",
                                  len(ids), names=names), "bulk")
        self.ids = ids


def _sibling_facts(session: Session, ids: list[int], user: User) -> dict[int, tuple[tuple[str, ...], bool, bool]]:
    """Per sibling: categories in play, sensitive, revealed by `user` (three queries in all)."""
    from sqlalchemy.orm import selectinload

    from c2c_safety.review import priority, wellbeing
    from models import ItemScore
    from models.review import ContentReveal

    if not ids:
        return {}
    items = session.scalars(select(ReviewItem).where(ReviewItem.id.in_(ids))
                            .options(selectinload(ReviewItem.flags))).all()
    latest: dict[int, dict[str, float]] = {}
    for subject_id, scores in session.execute(
            select(ItemScore.subject_id, ItemScore.scores)
            .where(ItemScore.subject_type == "item", ItemScore.subject_id.in_(ids))
            .order_by(ItemScore.created_at, ItemScore.id)):
        latest[subject_id] = scores  # the last one wins: the latest score
    seen = set(session.scalars(select(ContentReveal.item_id).where(
        ContentReveal.item_id.in_(ids), ContentReveal.user_id == user.id)))
    out = {}
    for it in items:
        sc: dict[str, float] | None = latest.get(it.id) if priority.is_scored(it) else None
        out[it.id] = (tuple(sorted(priority.categories_in_play(it, sc))), wellbeing.is_sensitive(it, sc),
                      it.id in seen)
    return out


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
    rows = session.execute(_candidates(item)).all()
    facts = _sibling_facts(session, [r.id for r in rows], user)
    out = []
    for r in rows:
        other = r.claimed_by_id not in (None, user.id) and r.claim_expires_at is not None \
            and r.claim_expires_at > now
        cats, sensitive, seen = facts.get(r.id, ((), False, False))
        out.append(SameText(r.id, r.content_type, r.author_age_band, r.flag_count, other, cats, sensitive, seen))
    return out


def check_reveals(session: Session, user: User, req: DecisionRequest, confirmed: frozenset[int]) -> None:
    """Refuse (before anything is decided) a bulk request that would decide sensitive
    siblings this moderator neither revealed nor confirmed by number."""
    item = session.get(ReviewItem, req.item_id)
    if item is None:
        return
    missing = [o.id for o in same_text_waiting(session, item, user) if o.needs_confirmation and o.id not in confirmed]
    if missing:
        raise BulkUnrevealedError(missing)


def check(req: DecisionRequest) -> None:
    """Refuse a bulk request that cannot be applied, before anything is decided."""
    if req.appeal_outcome is not None:
        raise decisions.DecisionError(_("An appeal is reviewed on its own; bulk decisions are for new items."),
                                      "bulk")
    if req.action in ESCALATIONS:
        raise decisions.DecisionError(_("Escalations are made one item at a time, each with its own facts."),
                                      "bulk")


def decide_same_text(session: Session, user: User, req: DecisionRequest, main: decisions.DecisionResult,
                     now: datetime | None = None, confirmed: frozenset[int] = frozenset()
                     ) -> list[decisions.DecisionResult]:
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
                # Deciding unseen is confirmed per item, never carried over from the item open.
                child = replace(req, item_id=other_id, version=other.version,
                                confirm_unrevealed=other_id in confirmed)
                out.append(decisions.decide(session, user, child, now, bulk_of=main.decision))
        except (claims.ClaimError, decisions.DecisionError):
            continue  # taken or changed meanwhile: it stays in the queue for someone to open
    return out
