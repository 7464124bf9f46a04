"""How the moderation pipeline hands an item to the safeguarding lead: it opens (or
extends, or reopens) the item's referral and alerts the lead.

Called by `triage.refresh` (the routing rules in priority.py) and by a moderator's
escalation. The safeguarding desk (c2c_safety/safeguarding/) works the referrals; it depends
on this module, never the other way round.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import assignment
from models import ReviewItem, Role, User, UserRole, utcnow
from models.review import Decision, ReferralStatus, SafeguardingAlert, SafeguardingReferral

ESCALATED = "escalated by a moderator"
MINOR_BANDS = frozenset({"under13", "13to15"})


ADULT_ROLES = frozenset({"teacher", "parent", "staff"})


def primary_child(item: ReviewItem) -> str:
    """A first guess at whom the referral is about, until the desk derives its people (the
    safeguarding desk keeps the column in step with the child at risk among them): a minor
    author; for an adult author, the first flagger who is not an adult (never a parent or
    teacher who flagged it); "" when no child is known yet."""
    if item.author_age_band in MINOR_BANDS:
        return item.author_pseudonym
    adult_author = item.author_age_band == "adult" or (item.author_role or "") in ADULT_ROLES
    if not adult_author:
        return item.author_pseudonym
    children = [f.flagger_pseudonym for f in item.flags
                if f.flagger_role != "system" and f.flagger_role not in ADULT_ROLES]
    return children[0] if children else ""


def people_involved(item: ReviewItem) -> list[str]:
    out = [item.author_pseudonym]
    out += [f.flagger_pseudonym for f in item.flags if f.flagger_role != "system"]
    return list(dict.fromkeys(out))


def lead_candidates(session: Session) -> list[User]:
    """Active staff holding the safeguarding lead role, by name."""
    return list(session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.SAFEGUARDING_LEAD, User.active.is_(True))
        .order_by(User.display_name, User.id)).unique())


def _assign_new(session: Session, ref: SafeguardingReferral) -> None:
    """A named lead and a deputy for a new referral, round robin among the safeguarding leads,
    so nothing waits unowned (the lead's desk reassigns)."""
    ids = [u.id for u in lead_candidates(session)]
    lead = assignment.next_in_rotation(session, "safeguarding_referral", ids)
    if lead is None:
        return
    ref.assigned_to_id, ref.deputy_id = lead, assignment.following(ids, lead)
    audit.record(session, "safeguarding.assigned", actor_label="routing", target_type="safeguarding_referral",
                 target_id=ref.id, details={"lead_id": lead, "deputy_id": ref.deputy_id, "automatic": True})


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
        _assign_new(session, ref)
        session.add(SafeguardingAlert(referral_id=ref.id, kind=kind, created_at=now))
        audit.record(session, "safeguarding.referred", actor_label="triage" if kind == "routed" else None,
                     target_type="safeguarding_referral", target_id=ref.id,
                     details={"item_id": item.id, "reasons": ref.reasons, "kind": kind})
        _notify_leads(session, ref, "opened", now)
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
        _notify_leads(session, ref, "reopened", now)
    elif kind == "escalated":
        session.add(SafeguardingAlert(referral_id=ref.id, kind=kind, created_at=now))
        _notify_leads(session, ref, "escalated", now)
    session.flush()
    return ref


def _notify_leads(session: Session, ref: SafeguardingReferral, event: str, now: datetime) -> None:
    """Every safeguarding lead hears at once, by e-mail whatever their preferences
    (notifications.triggers); the notice says only "urgent referral", its target and a link."""
    from c2c_safety.notifications import triggers
    from c2c_safety.review import policy

    session.flush()
    target = ref.opened_at + policy.safeguarding_target(session)
    triggers.safeguarding_referral(session, referral_id=ref.id, target_at=target,
                                   event=f"{event}:{now.isoformat()}", now=now)


def deadline_notices(session: Session, now: datetime | None = None) -> int:
    """Open referrals past their target time (and, when the target is longer than a day,
    those due within 24 hours): the safeguarding leads hear once per referral and target.
    A referral whose target is a day or less was announced with its target when it opened."""
    from c2c_safety.notifications import triggers
    from c2c_safety.review import policy

    now = now or utcnow()
    target = policy.safeguarding_target(session)
    cutoff = now + triggers.SOON if target > triggers.SOON else now
    made = 0
    leads = triggers.role_holders(session, Role.SAFEGUARDING_LEAD)
    for ref_id, opened_at in session.execute(
            select(SafeguardingReferral.id, SafeguardingReferral.opened_at)
            .where(SafeguardingReferral.status == ReferralStatus.OPEN,
                   SafeguardingReferral.opened_at <= cutoff - target)
            .order_by(SafeguardingReferral.id)):
        made += triggers.deadline(session, leads, link=f"/safeguarding/referrals/{ref_id}",
                                  due=opened_at + target, what=f"referral:{ref_id}", now=now)
    return made


def escalate(session: Session, item: ReviewItem, *, actor: User, decision: Decision) -> SafeguardingReferral:
    item.safeguarding = True
    ref = ensure_referral(session, item, [ESCALATED], kind="escalated")
    audit.record(session, "safeguarding.escalated", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"item_id": item.id, "decision_id": decision.id})
    return ref
