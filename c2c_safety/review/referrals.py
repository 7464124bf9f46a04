"""How the moderation pipeline hands an item to the safeguarding lead: it opens (or
extends, or reopens) the item's referral and alerts the lead.

Called by `triage.refresh` (the routing rules in priority.py) and by a moderator's
escalation. The safeguarding desk (c2c_safety/safeguarding/) works the referrals; it depends
on this module, never the other way round.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from models import ReviewItem, User, utcnow
from models.review import Decision, ReferralStatus, SafeguardingAlert, SafeguardingReferral

ESCALATED = "escalated by a moderator"
MINOR_BANDS = frozenset({"under13", "13to15"})


def primary_child(item: ReviewItem) -> str:
    """Whom the referral is about: a minor author, else the first person who flagged it
    (in a one-to-one chat that is the other child), else the author."""
    if item.author_age_band in MINOR_BANDS:
        return item.author_pseudonym
    humans = [f.flagger_pseudonym for f in item.flags if f.flagger_role != "system"]
    return humans[0] if humans else item.author_pseudonym


def people_involved(item: ReviewItem) -> list[str]:
    out = [item.author_pseudonym]
    out += [f.flagger_pseudonym for f in item.flags if f.flagger_role != "system"]
    return list(dict.fromkeys(out))


def _referral_for(session: Session, item_id: int | None) -> SafeguardingReferral | None:
    if item_id is None:
        return None
    return session.scalars(
        select(SafeguardingReferral).where(SafeguardingReferral.item_id == item_id)
    ).first()


def ensure_referral(session: Session, item: ReviewItem, reasons: list[str], *,
                    kind: str = "routed") -> SafeguardingReferral:
    """Open (or extend, or reopen) the item's referral and alert the lead when it is news."""
    ref = _referral_for(session, item.id)
    now = utcnow()
    if ref is None:
        ref = SafeguardingReferral(item=item, child_pseudonym=primary_child(item),
                                   reasons=list(dict.fromkeys(reasons)), opened_at=now)
        session.add(ref)
        session.flush()
        session.add(SafeguardingAlert(referral_id=ref.id, kind=kind, created_at=now))
        audit.record(session, "safeguarding.referred", actor_label="triage" if kind == "routed" else None,
                     target_type="safeguarding_referral", target_id=ref.id,
                     details={"item_id": item.id, "reasons": ref.reasons, "kind": kind})
        return ref
    new = [r for r in reasons if r not in ref.reasons]
    if new:
        ref.reasons = [*ref.reasons, *new]
    reopen = ref.status == ReferralStatus.CLOSED and ref.closed_at is not None and (
        kind == "escalated" or item.last_flagged_at > ref.closed_at)
    if reopen:
        ref.status, ref.closed_at, ref.closed_by_id, ref.outcome = ReferralStatus.OPEN, None, None, None
        ref.opened_at = now
        session.add(SafeguardingAlert(referral_id=ref.id, kind="reopened", created_at=now))
        audit.record(session, "safeguarding.reopened", target_type="safeguarding_referral",
                     target_id=ref.id, details={"item_id": item.id, "kind": kind})
    elif kind == "escalated":
        session.add(SafeguardingAlert(referral_id=ref.id, kind=kind, created_at=now))
    session.flush()
    return ref


def escalate(session: Session, item: ReviewItem, *, actor: User, decision: Decision) -> SafeguardingReferral:
    item.safeguarding = True
    ref = ensure_referral(session, item, [ESCALATED], kind="escalated")
    audit.record(session, "safeguarding.escalated", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"item_id": item.id, "decision_id": decision.id})
    return ref
