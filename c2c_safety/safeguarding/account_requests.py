"""A restriction asked from an author's account page (issue 22.5), by a moderator or the
safeguarding lead, when the account as a whole (not one item, not a referral) calls for it.

The same path as the lead's requests on a referral (safeguarding/requests.py): a reason that
is required (`actions.rationale`), a confirmation page naming the account and what the
platform will do, carrying a signed single-use token bound to this person, this account and
this reason (confirmation.py); only the POST from that page with that token records the
request (a `SafeguardingAction` on no referral, which the account page lists as standing)
and writes the same signed `safeguarding.restriction_requested` delivery, with `referral_id`
null and `reason: "account_review"`, in the transaction of its audit row. The view commits,
then enqueues the delivery. Inside the same window as the lead's requests it can be withdrawn
(again with a reason and a confirmation page): the platform gets the signed
`safeguarding.request_withdrawn`. The payload carries the account's pseudonym and platform role
only: no content, no reason text, no staff identity (docs/api.md).

It lives here, not in review/, because the confirmation tokens and the platform-request
contract are the safeguarding desk's, and review/ must not import this package.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import seal_text
from c2c_safety.safeguarding import confirmation
from c2c_safety.safeguarding.actions import ACCOUNT_RESTRICTION, MIN_RATIONALE, SafeguardingError, rationale
from c2c_safety.safeguarding.requests import EVENTS, RESTRICTION_CODES, WITHDRAW_WINDOW, WITHDRAWN_EVENT
from c2c_safety.webhooks import deliveries as webhook_service
from models import ReviewItem, Role, User, utcnow
from models.review import SafeguardingAction, WebhookDelivery

EVENT = EVENTS["request_restriction"]  # the platform applies it as any messaging restriction
EFFECT = _l("The platform will stop this account from sending messages (chats, comments and posts) "
            "until the request is withdrawn or the platform lifts it. The account can still sign in and read.")


@dataclass(frozen=True)
class AccountProposal:
    item: ReviewItem  # the item the account page was opened from
    effect: object  # a lazy gettext string, rendered in the page's language
    withdraw_hours: int


def _require_staff(actor: User) -> None:
    if not (actor.has_role(Role.MODERATOR) or actor.has_role(Role.SAFEGUARDING_LEAD)):
        raise PermissionError(_("Only moderators and safeguarding leads ask for an account restriction."))


def _standing(session: Session, pseudonym: str) -> SafeguardingAction | None:
    return session.scalars(select(SafeguardingAction).where(
        SafeguardingAction.child_pseudonym == pseudonym, SafeguardingAction.kind == ACCOUNT_RESTRICTION,
        SafeguardingAction.withdrawn_at.is_(None)).limit(1)).first()


def _reason(detail: str, what: str) -> str:
    """The referral's rule for a reason (`actions.rationale`), in words that fit an account."""
    if len((detail or "").strip()) < MIN_RATIONALE:
        raise SafeguardingError(_("Write why (at least %(n)s characters): it is kept on the desk for anyone "
                                  "who reviews it later.", n=MIN_RATIONALE))
    return rationale(detail, what)


def explain(session: Session, item_id: int, *, actor: User) -> AccountProposal:
    """Check the request may be made (PermissionError, LookupError, SafeguardingError) and
    describe it; sends nothing."""
    _require_staff(actor)
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise LookupError(item_id)
    if _standing(session, item.author_pseudonym) is not None:
        raise SafeguardingError(_("A restriction of this account was already asked for and stands; "
                                  "it is listed on the account page."))
    return AccountProposal(item, EFFECT, int(WITHDRAW_WINDOW.total_seconds() // 3600))


def subject(item: ReviewItem) -> confirmation.Subject:
    return confirmation.Subject(0, None, f"account:{item.id}:restrict")


def prepare(session: Session, item_id: int, *, actor: User, detail: str) -> tuple[AccountProposal, str, str]:
    """The confirmation page's content: the proposal, the checked reason and a token bound
    to this person, account and reason. Records nothing."""
    proposal = explain(session, item_id, actor=actor)
    why = _reason(detail, "this request")
    return proposal, why, confirmation.issue(actor, subject(proposal.item), why)


def send(session: Session, item_id: int, *, actor: User, detail: str, token: str | None) -> SafeguardingAction:
    """The confirmed request: spend its token, record it and write its signed webhook delivery
    with its audit row (the caller commits, then enqueues `action.delivery_id`)."""
    _require_staff(actor)
    # Two confirmations at once for one account queue up here (PostgreSQL; SQLite serialises writers).
    session.execute(select(ReviewItem.id).where(ReviewItem.id == item_id).with_for_update())
    proposal = explain(session, item_id, actor=actor)
    why = _reason(detail, "this request")
    confirmation.redeem(session, token, actor, subject(proposal.item), why)
    item, now = proposal.item, utcnow()
    row = SafeguardingAction(child_pseudonym=item.author_pseudonym, kind=ACCOUNT_RESTRICTION,
                             detail_sealed=seal_text(why), actor_id=actor.id, at=now,
                             withdrawable_until=now + WITHDRAW_WINDOW)
    session.add(row)
    session.flush()
    delivery = webhook_service.create_delivery(session, EVENT, {
        "request_id": row.id, "referral_id": None, "requested_at": now.isoformat(),
        "withdrawable_until": (now + WITHDRAW_WINDOW).isoformat(), "decided_by_human": True,
        "person": {"id": item.author_pseudonym, "role": item.author_role},
        "restriction": RESTRICTION_CODES["request_restriction"], "pending_investigation": False,
        "reason": "account_review",
    })
    row.delivery_id = delivery.id
    session.flush()
    audit.record(session, "account.restriction_requested", actor=actor, target_type="review_item",
                 target_id=item.id, details={"action_id": row.id, "delivery_id": delivery.id, "confirmed": True})
    return row


# -- withdrawing it, inside the window, after its own confirmation page ------------------------

def withdrawal_of(session: Session, item_id: int, action_id: int, *, actor: User) -> SafeguardingAction:
    """The account request, if it is this account's and may still be withdrawn."""
    _require_staff(actor)
    item = session.get(ReviewItem, item_id)
    action = session.get(SafeguardingAction, action_id)
    if (item is None or action is None or action.kind != ACCOUNT_RESTRICTION
            or action.child_pseudonym != item.author_pseudonym):
        raise LookupError(action_id)
    if action.withdrawn_at is not None:
        raise SafeguardingError(_("This request was already withdrawn."))
    if action.withdrawable_until is None or utcnow() > action.withdrawable_until:
        raise SafeguardingError(_("The window to withdraw this request has passed. Ask the platform "
                                  "directly to lift it."))
    return action


def withdrawal_subject(action: SafeguardingAction) -> confirmation.Subject:
    return confirmation.Subject(0, None, f"account-withdraw:{action.id}")


def prepare_withdrawal(session: Session, item_id: int, action_id: int, *, actor: User,
                       detail: str) -> tuple[SafeguardingAction, str, str]:
    """The withdrawal's confirmation page: the request, the checked reason and its token."""
    action = withdrawal_of(session, item_id, action_id, actor=actor)
    why = _reason(detail, "this withdrawal")
    return action, why, confirmation.issue(actor, withdrawal_subject(action), why)


def withdraw(session: Session, item_id: int, action_id: int, *, actor: User, detail: str,
             token: str | None) -> SafeguardingAction:
    """Withdraw it: the platform gets the signed `safeguarding.request_withdrawn` naming the
    request (the caller commits, then enqueues `action.withdrawal_delivery_id`)."""
    session.execute(select(SafeguardingAction.id).where(SafeguardingAction.id == action_id).with_for_update())
    action = withdrawal_of(session, item_id, action_id, actor=actor)
    why = _reason(detail, "this withdrawal")
    confirmation.redeem(session, token, actor, withdrawal_subject(action), why)
    now = utcnow()
    original = session.get(WebhookDelivery, action.delivery_id) if action.delivery_id else None
    delivery = webhook_service.create_delivery(session, WITHDRAWN_EVENT, {
        "request_id": action.id, "referral_id": None, "withdrawn_event": EVENT,
        "withdrawn_event_id": original.event_id if original else None,
        "person": {"id": action.child_pseudonym}, "withdrawn_at": now.isoformat(), "decided_by_human": True,
    })
    action.withdrawn_at, action.withdrawn_by_id, action.withdrawal_delivery_id = now, actor.id, delivery.id
    session.add(SafeguardingAction(child_pseudonym=action.child_pseudonym, kind="request_withdrawal",
                                   detail_sealed=seal_text(why), actor_id=actor.id, at=now))
    session.flush()
    audit.record(session, "account.restriction_withdrawn", actor=actor, target_type="review_item",
                 target_id=item_id, details={"action_id": action.id, "delivery_id": delivery.id})
    return action
