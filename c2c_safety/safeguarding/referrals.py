"""The safeguarding lead's referrals: target time, who owns them, and views of them.

Referrals are opened by the moderation pipeline (review/referrals.py: `triage.refresh` and a
moderator's escalation), which also gives each new one a named lead and a deputy, round
robin among the safeguarding leads. This package works them: the people in a referral
(people.py), what the lead records (actions.py), requests to the platform (requests.py),
the desk ordered by risk (desk.py, risk.py) and a chronology per child (chronology.py).
Notes and free-text details are sealed at rest; moderators see that an item went to
safeguarding, never these notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.review import policy
from c2c_safety.review.referrals import (
    ESCALATED as ESCALATED,
)
from c2c_safety.review.referrals import (
    ensure_referral as ensure_referral,
)
from c2c_safety.review.referrals import (
    escalate as escalate,
)
from c2c_safety.review.referrals import (
    lead_candidates as lead_candidates,
)
from c2c_safety.safeguarding.actions import SafeguardingError, require_lead
from models import User, utcnow
from models.review import ReferralStatus, SafeguardingAction, SafeguardingAlert, SafeguardingReferral


@dataclass(frozen=True)
class ReferralRow:
    referral: SafeguardingReferral
    due_at: datetime
    overdue: bool  # open, nothing recorded since it (re)opened, and past its target time
    first_action_at: datetime | None  # the target is met once the lead records something


def first_actions(session: Session, refs: list[SafeguardingReferral]) -> dict[int, datetime]:
    """When each referral was first acted on since it (re)opened."""
    if not refs:
        return {}
    rows = session.execute(select(SafeguardingAction.referral_id, SafeguardingReferral.opened_at,
                                  func.min(SafeguardingAction.at))
                           .join(SafeguardingReferral, SafeguardingReferral.id == SafeguardingAction.referral_id)
                           .where(SafeguardingAction.referral_id.in_([r.id for r in refs]),
                                  SafeguardingAction.at >= SafeguardingReferral.opened_at)
                           .group_by(SafeguardingAction.referral_id, SafeguardingReferral.opened_at)).all()
    return {rid: first for rid, _opened, first in rows if rid is not None}


def row_of(ref: SafeguardingReferral, target: timedelta, now: datetime, first: datetime | None) -> ReferralRow:
    due = ref.opened_at + target
    overdue = ref.status == ReferralStatus.OPEN and first is None and now > due
    return ReferralRow(ref, due, overdue, first)


def referral_row(session: Session, referral_id: int, now: datetime | None = None) -> ReferralRow | None:
    ref = session.get(SafeguardingReferral, referral_id)
    if ref is None:
        return None
    return row_of(ref, policy.safeguarding_target(session), now or utcnow(),
                  first_actions(session, [ref]).get(ref.id))


def was_reopened(session: Session, referral_id: int) -> bool:
    return session.scalar(select(SafeguardingAlert.id).where(SafeguardingAlert.referral_id == referral_id,
                                                             SafeguardingAlert.kind == "reopened").limit(1)) is not None


def record_view(session: Session, ref: SafeguardingReferral, *, actor: User) -> None:
    audit.record(session, "view.safeguarding_referral", actor=actor,
                 target_type="safeguarding_referral", target_id=ref.id,
                 details={"item_id": ref.item_id})


def assign(session: Session, ref: SafeguardingReferral, *, actor: User, lead_id: int | None,
           deputy_id: int | None) -> bool:
    """Name the lead who owns the referral and their deputy (both safeguarding leads, not the
    same person). Audited; returns False when nothing changed."""
    require_lead(actor)
    allowed = {u.id for u in lead_candidates(session)}
    for who in (lead_id, deputy_id):
        if who is not None and who not in allowed:
            raise SafeguardingError(_("Choose an active safeguarding lead."))
    if lead_id is not None and lead_id == deputy_id:
        raise SafeguardingError(_("The deputy must be someone other than the named lead."))
    if deputy_id is not None and lead_id is None:
        raise SafeguardingError(_("Name the lead first; the deputy covers for them."))
    if (ref.assigned_to_id, ref.deputy_id) == (lead_id, deputy_id):
        return False
    ref.assigned_to_id, ref.deputy_id = lead_id, deputy_id
    session.flush()
    audit.record(session, "safeguarding.assigned", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"lead_id": lead_id, "deputy_id": deputy_id})
    return True
