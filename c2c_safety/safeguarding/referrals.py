"""The safeguarding lead's desk: referrals where a minor may be at risk, alerts, actions,
notes, target times and a chronology per child.

Referrals are opened by the moderation pipeline (review/referrals.py: `triage.refresh` and a
moderator's escalation); this module works them. Alerts carry no content, only the referral they point to.
Notes and free-text details are sealed at rest; moderators see that an item went to
safeguarding, never these notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.review import policy
from c2c_safety.review.referrals import (
    ESCALATED as ESCALATED,
)
from c2c_safety.review.referrals import (
    MINOR_BANDS as MINOR_BANDS,
)
from c2c_safety.review.referrals import (
    ensure_referral as ensure_referral,
)
from c2c_safety.review.referrals import (
    escalate as escalate,
)
from c2c_safety.review.referrals import (
    people_involved as people_involved,
)
from c2c_safety.review.referrals import (
    primary_child as primary_child,
)
from c2c_safety.webhooks import deliveries as webhook_service
from models import Role, User, utcnow
from models.review import (
    ReferralStatus,
    SafeguardingAction,
    SafeguardingAlert,
    SafeguardingReferral,
)

MAX_DETAIL = 5000

ACTION_KINDS: dict[str, str] = {
    "note": "Note",
    "contact_teacher": "Contacted the teacher",
    "contact_school": "Contacted the school",
    "refer_external": "Referred to an external authority",
    "consent_block": "Asked the platform to block the student's access",
    "close": "Closed with an outcome",
}
OUTCOMES: dict[str, str] = {
    "no_concern": "No safeguarding concern found",
    "resolved_with_school": "Resolved with the teacher or school",
    "referred_externally": "Referred to an external authority",
    "access_blocked": "The student's access was blocked",
    "other": "Other (see the note)",
}


class SafeguardingError(ValueError):
    """A safeguarding rule was broken; the message is safe to show."""


@dataclass(frozen=True)
class ReferralRow:
    referral: SafeguardingReferral
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class Desk:
    alerts: list[SafeguardingAlert]
    open: list[ReferralRow]
    closed: list[SafeguardingReferral]
    target_hours: int
    overdue_count: int


def _row(ref: SafeguardingReferral, target: timedelta, now: datetime) -> ReferralRow:
    due = ref.opened_at + target
    return ReferralRow(ref, due, ref.status == ReferralStatus.OPEN and now > due)


def desk(session: Session, now: datetime | None = None, limit: int = 200) -> Desk:
    now = now or utcnow()
    target = policy.safeguarding_target(session)
    alerts = list(session.scalars(
        select(SafeguardingAlert).where(SafeguardingAlert.seen_at.is_(None))
        .order_by(SafeguardingAlert.id.desc()).limit(limit)))
    opened = [_row(r, target, now) for r in session.scalars(
        select(SafeguardingReferral).where(SafeguardingReferral.status == ReferralStatus.OPEN)
        .order_by(SafeguardingReferral.opened_at).limit(limit))]
    closed = list(session.scalars(
        select(SafeguardingReferral).where(SafeguardingReferral.status == ReferralStatus.CLOSED)
        .order_by(SafeguardingReferral.closed_at.desc()).limit(20)))
    return Desk(alerts, opened, closed, policy.safeguarding_target_hours(session),
                sum(1 for r in opened if r.overdue))


def referral_row(session: Session, referral_id: int, now: datetime | None = None) -> ReferralRow | None:
    ref = session.get(SafeguardingReferral, referral_id)
    if ref is None:
        return None
    return _row(ref, policy.safeguarding_target(session), now or utcnow())


def record_view(session: Session, ref: SafeguardingReferral, *, actor: User) -> None:
    audit.record(session, "view.safeguarding_referral", actor=actor,
                 target_type="safeguarding_referral", target_id=ref.id,
                 details={"item_id": ref.item_id})


def record_action(session: Session, ref: SafeguardingReferral, *, actor: User, kind: str,
                  child: str, detail: str = "", outcome: str | None = None) -> tuple[SafeguardingAction, int | None]:
    """Record one action with who and when; returns the webhook delivery id for a block."""
    if not actor.has_role(Role.SAFEGUARDING_LEAD):
        raise SafeguardingError("Only the safeguarding lead can act here.")
    if kind not in ACTION_KINDS:
        raise SafeguardingError("Choose what you did.")
    if child not in people_involved(ref.item):
        raise SafeguardingError("Choose one of the people involved in this item.")
    detail = detail.strip()
    if len(detail) > MAX_DETAIL:
        raise SafeguardingError(f"Keep the details under {MAX_DETAIL} characters.")
    if kind in {"note", "refer_external"} and not detail:
        raise SafeguardingError("Name the authority you referred to." if kind == "refer_external"
                                else "Write the note.")
    if kind == "close" and outcome not in OUTCOMES:
        raise SafeguardingError("Choose the outcome.")
    if ref.status == ReferralStatus.CLOSED:
        raise SafeguardingError("This referral is closed; new flags or an escalation reopen it.")
    now = utcnow()
    row = SafeguardingAction(referral_id=ref.id, child_pseudonym=child, kind=kind,
                             detail_sealed=seal_text(detail) if detail else None,
                             outcome=outcome if kind == "close" else None, actor_id=actor.id, at=now)
    session.add(row)
    session.flush()
    delivery_id = None
    if kind == "consent_block":
        delivery = webhook_service.create_delivery(session, "safeguarding.block_requested", {
            "request_id": row.id, "student": {"id": child}, "requested_at": now.isoformat(),
            "reason": "safeguarding", "decided_by_human": True,
        })
        row.delivery_id = delivery_id = delivery.id
    if kind == "close":
        ref.status, ref.closed_at, ref.closed_by_id, ref.outcome = (
            ReferralStatus.CLOSED, now, actor.id, outcome)
    audit.record(session, f"safeguarding.{kind}", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"action_id": row.id, "outcome": row.outcome,
                                            "delivery_id": delivery_id})
    session.flush()
    return row, delivery_id


def mark_alert_seen(session: Session, alert_id: int, *, actor: User) -> bool:
    alert = session.get(SafeguardingAlert, alert_id)
    if alert is None or alert.seen_at is not None:
        return False
    alert.seen_at, alert.seen_by_id = utcnow(), actor.id
    session.flush()
    return True


def actions_for(session: Session, ref: SafeguardingReferral) -> list[tuple[SafeguardingAction, str]]:
    rows = session.scalars(select(SafeguardingAction).where(SafeguardingAction.referral_id == ref.id)
                           .order_by(SafeguardingAction.at, SafeguardingAction.id))
    return [(a, open_text(a.detail_sealed) or "") for a in rows]
