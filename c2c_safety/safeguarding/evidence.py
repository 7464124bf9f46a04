"""Evidence preserved for the police: a legal hold on a referral and its item (issue 19, item 9).

While a hold is in place, retention (retention/sweep.py) skips the referral, its item and the
item's conversation, whatever their age. Placing and releasing a hold each need a reason
(sealed), are audited, and appear in the referral's actions and the child's chronology as
records of their own. A closed referral can still be held (the police often ask after the
desk's work is done) and released. There is at most one hold in place per referral.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import seal_text
from c2c_safety.core.locale import N_
from c2c_safety.safeguarding.actions import SafeguardingError, rationale, require_lead
from models import CaseFile, User, utcnow
from models.cases import LegalHold
from models.review import SafeguardingAction, SafeguardingReferral
from models.safeguarding_records import SafeguardingHold


def active_hold(session: Session, referral_id: int) -> SafeguardingHold | None:
    return session.scalars(select(SafeguardingHold).where(
        SafeguardingHold.referral_id == referral_id, SafeguardingHold.released_at.is_(None))
        .order_by(SafeguardingHold.id.desc()).limit(1)).first()


def _lock(session: Session, ref: SafeguardingReferral) -> None:
    # Two leads pressing at once make one hold (PostgreSQL; SQLite serialises writers).
    session.execute(select(SafeguardingReferral.id).where(SafeguardingReferral.id == ref.id).with_for_update())


def place(session: Session, ref: SafeguardingReferral, *, actor: User, reason: str) -> SafeguardingHold:
    """Preserve the referral and its item as evidence until released."""
    require_lead(actor)
    why = rationale(reason, N_("this legal hold"))
    _lock(session, ref)
    if active_hold(session, ref.id) is not None:
        raise SafeguardingError(_("The evidence of this referral is already preserved."))
    now = utcnow()
    hold = SafeguardingHold(referral_id=ref.id, reason_sealed=seal_text(why), placed_by_id=actor.id, placed_at=now)
    session.add(hold)
    session.add(SafeguardingAction(referral_id=ref.id, child_pseudonym=ref.child_pseudonym,
                                   kind="evidence_preserved", detail_sealed=seal_text(why), actor_id=actor.id, at=now))
    session.flush()
    audit.record(session, "safeguarding.evidence_preserved", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"hold_id": hold.id, "item_id": ref.item_id})
    return hold


def release(session: Session, ref: SafeguardingReferral, *, actor: User, reason: str) -> SafeguardingHold:
    """Release the hold: retention applies again from the referral's own clock."""
    require_lead(actor)
    why = rationale(reason, N_("releasing the legal hold"))
    _lock(session, ref)
    hold = active_hold(session, ref.id)
    if hold is None:
        raise SafeguardingError(_("No legal hold is in place on this referral."))
    now = utcnow()
    hold.released_at, hold.released_by_id, hold.release_reason_sealed = now, actor.id, seal_text(why)
    session.add(SafeguardingAction(referral_id=ref.id, child_pseudonym=ref.child_pseudonym, kind="hold_released",
                                   detail_sealed=seal_text(why), actor_id=actor.id, at=now))
    session.flush()
    audit.record(session, "safeguarding.hold_released", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"hold_id": hold.id, "held_since": hold.placed_at.isoformat()})
    return hold


def place_automatic(session: Session, ref: SafeguardingReferral, *, why: str, actor_label: str) -> SafeguardingHold:
    """The desk preserves the evidence by itself (a known abuse image matched a list): a hold on
    the referral and, for a report, on its case file, so retention cannot anonymise either.
    Idempotent; audited as `actor_label` (a system actor, no person) in the caller's transaction.
    Only a lead releases it, with a reason, as any hold."""
    _lock(session, ref)
    hold = active_hold(session, ref.id)
    if hold is None:
        hold = SafeguardingHold(referral_id=ref.id, reason_sealed=seal_text(why), placed_by_id=None, placed_at=utcnow())
        session.add(hold)
        session.flush()
        audit.record(session, "safeguarding.evidence_preserved", actor_label=actor_label,
                     target_type="safeguarding_referral", target_id=ref.id,
                     details={"hold_id": hold.id, "item_id": ref.item_id, "case_id": ref.case_id, "automatic": True})
    case = session.get(CaseFile, ref.case_id) if ref.case_id is not None else None
    if case is not None and not case.legal_hold:
        case_hold = LegalHold(case_id=case.id, reason_sealed=seal_text(why), placed_by_id=None, placed_at=utcnow())
        session.add(case_hold)
        case.legal_hold = True
        session.flush()
        audit.record(session, "case.legal_hold_placed", actor_label=actor_label, target_type="legal_hold",
                     target_id=case_hold.id, case_id=case.id, details={"automatic": True})
    return hold
