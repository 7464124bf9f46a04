"""Requests that change something on the platform: restrict a person's messaging, suspend
their account pending investigation, block a student's access (parental consent).

Each needs its reason and a second look: the lead writes why, then sees a confirmation page
naming the person, their part in the referral, their role, what the platform will do and
the reason (`prepare`), carrying a signed single-use token (confirmation.py); only the POST
from that page with that token (`send`) records the request and writes its signed webhook
delivery, in the same transaction as the audit row; the view commits, then enqueues the delivery. A
request can be withdrawn (`withdraw`, again after a confirmation page) for WITHDRAW_WINDOW:
the platform gets a signed `safeguarding.request_withdrawn` naming the request.

Payloads carry the person's platform pseudonym, their platform role, what is asked and
until when it can be withdrawn: no content, no notes, no staff identity (docs/api.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import seal_text
from c2c_safety.core.locale import N_
from c2c_safety.review import hide as hide_requests
from c2c_safety.safeguarding import confirmation
from c2c_safety.safeguarding import people as people_service
from c2c_safety.safeguarding.actions import (
    PLATFORM_KINDS,
    SafeguardingError,
    platform_kinds_for,
    rationale,
    require_lead,
    require_open,
)
from c2c_safety.webhooks import deliveries as webhook_service
from models import User, utcnow
from models.review import SafeguardingAction, SafeguardingPerson, SafeguardingReferral, WebhookDelivery

WITHDRAW_WINDOW = timedelta(hours=24)
EVENTS: dict[str, str] = {
    "request_restriction": "safeguarding.restriction_requested",
    "request_suspension": "safeguarding.suspension_requested",
    "consent_block": "safeguarding.block_requested",
    hide_requests.HIDE_KIND: hide_requests.HIDE_EVENT,  # the moderator's hide and escalate
}
WITHDRAWN_EVENT = "safeguarding.request_withdrawn"
# What the platform will do, in words the confirmation page shows.
EFFECTS: dict[str, str] = {
    "request_restriction": N_("The platform will stop this person from sending messages (chats, comments "
                              "and posts) until the investigation ends. They can still sign in and read."),
    "request_suspension": N_("The platform will suspend this person's account pending investigation: "
                             "they cannot sign in or contact anyone until it is lifted."),
    "consent_block": N_("The platform will block this student's access because parental consent was "
                        "withdrawn: they cannot sign in until consent is given again."),
}
RESTRICTION_CODES = {"request_restriction": "messaging", "request_suspension": "account_suspension"}


@dataclass(frozen=True)
class Proposal:
    """What the confirmation page shows before anything is sent."""

    kind: str
    label: str
    person: SafeguardingPerson
    who: str
    effect: str
    withdraw_hours: int


def explain(ref: SafeguardingReferral, person: SafeguardingPerson, kind: str, *, actor: User) -> Proposal:
    """Check a request may be made (raises SafeguardingError) and describe it; sends nothing."""
    require_lead(actor)
    require_open(ref)
    if kind not in PLATFORM_KINDS or kind not in platform_kinds_for(person):
        raise SafeguardingError(_("That request is not offered for this person."))
    return Proposal(kind, _(PLATFORM_KINDS[kind]), person, people_service.describe(person), _(EFFECTS[kind]),
                    int(WITHDRAW_WINDOW.total_seconds() // 3600))


def subject(ref: SafeguardingReferral, person: SafeguardingPerson, kind: str) -> confirmation.Subject:
    return confirmation.Subject(ref.id, person.id, kind)


def prepare(ref: SafeguardingReferral, person: SafeguardingPerson, kind: str, *, actor: User,
            detail: str) -> tuple[Proposal, str, str]:
    """The confirmation page's content: the proposal, the checked reason and a token bound to
    this lead, referral, person, request and reason. Sends and records nothing."""
    proposal = explain(ref, person, kind, actor=actor)
    why = rationale(detail, N_("this request"))
    return proposal, why, confirmation.issue(actor, subject(ref, person, kind), why)


def _payload(ref: SafeguardingReferral, action: SafeguardingAction, person: SafeguardingPerson,
             kind: str) -> dict[str, object]:
    assert action.withdrawable_until is not None
    common: dict[str, object] = {
        "request_id": action.id, "referral_id": ref.id, "requested_at": action.at.isoformat(),
        "withdrawable_until": action.withdrawable_until.isoformat(), "decided_by_human": True,
    }
    if kind == "consent_block":
        return {**common, "student": {"id": person.pseudonym}, "reason": "safeguarding"}
    return {**common, "person": {"id": person.pseudonym, "role": person.platform_role},
            "restriction": RESTRICTION_CODES[kind], "pending_investigation": True,
            "reason": "safeguarding_allegation"}


def send(session: Session, ref: SafeguardingReferral, person: SafeguardingPerson, kind: str, *, actor: User,
         detail: str, token: str | None) -> SafeguardingAction:
    """The confirmed request: check its reason and spend its confirmation token, then record
    it and write its webhook delivery (the caller commits, then enqueues `action.delivery_id`)."""
    explain(ref, person, kind, actor=actor)
    detail = rationale(detail, N_("this request"))
    confirmation.redeem(session, token, actor, subject(ref, person, kind), detail)
    # A second POST of the same confirmation (a double click, a reload) sends nothing twice;
    # the referral's row lock makes two at the same moment queue up (PostgreSQL; SQLite
    # serialises writers already).
    session.execute(select(SafeguardingReferral.id).where(SafeguardingReferral.id == ref.id).with_for_update())
    if session.scalar(select(SafeguardingAction.id).where(
            SafeguardingAction.referral_id == ref.id, SafeguardingAction.person_id == person.id,
            SafeguardingAction.kind == kind, SafeguardingAction.withdrawn_at.is_(None)).limit(1)) is not None:
        raise SafeguardingError(_("This request was already sent for this person; withdraw it first to "
                                  "send it again."))
    now = utcnow()
    row = SafeguardingAction(referral_id=ref.id, person_id=person.id, child_pseudonym=person.pseudonym,
                             kind=kind, detail_sealed=seal_text(detail) if detail else None, actor_id=actor.id,
                             at=now, withdrawable_until=now + WITHDRAW_WINDOW)
    session.add(row)
    session.flush()
    delivery = webhook_service.create_delivery(session, EVENTS[kind], _payload(ref, row, person, kind))
    row.delivery_id = delivery.id
    session.flush()
    audit.record(session, f"safeguarding.{kind}", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"action_id": row.id, "person_id": person.id, "part": person.part,
                                            "delivery_id": delivery.id, "confirmed": True})
    return row


def can_withdraw(action: SafeguardingAction, now: datetime | None = None) -> bool:
    return (action.kind in PLATFORM_KINDS and action.withdrawn_at is None
            and action.withdrawable_until is not None and (now or utcnow()) <= action.withdrawable_until)


def withdrawal_of(session: Session, action_id: int, *, actor: User) -> tuple[SafeguardingAction,
                                                                           SafeguardingReferral]:
    """The request and its referral, if it may still be withdrawn (else SafeguardingError)."""
    require_lead(actor)
    action = session.get(SafeguardingAction, action_id)
    if action is None or action.referral_id is None or action.kind not in PLATFORM_KINDS:
        raise LookupError(action_id)
    ref = session.get(SafeguardingReferral, action.referral_id)
    assert ref is not None
    if action.withdrawn_at is not None:
        raise SafeguardingError(_("This request was already withdrawn."))
    if not can_withdraw(action):
        raise SafeguardingError(_("The window to withdraw this request has passed. Ask the platform "
                                  "directly to lift it."))
    require_open(ref)
    return action, ref


def withdrawal_subject(action: SafeguardingAction) -> confirmation.Subject:
    return confirmation.Subject(action.referral_id or 0, action.person_id, f"withdraw:{action.id}")


def prepare_withdrawal(session: Session, action_id: int, *, actor: User,
                       detail: str) -> tuple[SafeguardingAction, SafeguardingReferral, str, str]:
    """The withdrawal's confirmation page: the request, its referral, the checked reason and a
    token bound to them. Changes nothing."""
    action, ref = withdrawal_of(session, action_id, actor=actor)
    why = rationale(detail, N_("this withdrawal"))
    return action, ref, why, confirmation.issue(actor, withdrawal_subject(action), why)


def withdraw(session: Session, action_id: int, *, actor: User, detail: str,
             token: str | None) -> SafeguardingAction:
    """Withdraw a request inside its window, with its reason and its confirmation token: a
    signed withdrawal goes to the platform (the caller commits, then enqueues
    `action.withdrawal_delivery_id`) and the reason is kept as a `request_withdrawal` record."""
    # Lock the request first so two withdrawals at once send one (PostgreSQL).
    session.execute(select(SafeguardingAction.id).where(SafeguardingAction.id == action_id).with_for_update())
    action, ref = withdrawal_of(session, action_id, actor=actor)
    why = rationale(detail, N_("this withdrawal"))
    confirmation.redeem(session, token, actor, withdrawal_subject(action), why)
    now = utcnow()
    original = session.get(WebhookDelivery, action.delivery_id) if action.delivery_id else None
    delivery = webhook_service.create_delivery(session, WITHDRAWN_EVENT, {
        "request_id": action.id, "referral_id": ref.id, "withdrawn_event": EVENTS[action.kind],
        "withdrawn_event_id": original.event_id if original else None,
        "person": {"id": action.child_pseudonym}, "withdrawn_at": now.isoformat(), "decided_by_human": True,
        **hide_requests.withdrawal_fields(session, action),
    })
    action.withdrawn_at, action.withdrawn_by_id, action.withdrawal_delivery_id = now, actor.id, delivery.id
    session.add(SafeguardingAction(referral_id=ref.id, person_id=action.person_id,
                                   child_pseudonym=action.child_pseudonym, kind="request_withdrawal",
                                   detail_sealed=seal_text(why), actor_id=actor.id, at=now))
    session.flush()
    audit.record(session, "safeguarding.request_withdrawn", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"action_id": action.id, "kind": action.kind,
                                            "delivery_id": delivery.id})
    return action
