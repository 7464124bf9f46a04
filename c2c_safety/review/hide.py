"""Hide and escalate (issue 19.4): a moderator who escalates an item to the safeguarding lead
can ask the platform to hide the content at once, so grooming does not stay in front of
the child while the lead looks at it.

It uses the platform-request contract the lead's own requests use (safeguarding/requests.py,
docs/api.md): a `SafeguardingAction` on the referral with a signed webhook delivery written
in the decision's transaction, withdrawable by the lead for `WITHDRAW_WINDOW` (the lead's
withdrawal sends the signed `safeguarding.request_withdrawn`). The platform hides, never
deletes (`preserve: true`): the lead needs the content, and the desk keeps its own copy on
the item. The payload names the content and its author's pseudonym only: no text, no staff.

This module sits in review/ because the safeguarding desk depends on review, never the other
way round; safeguarding/requests.py reads `HIDE_KIND`/`HIDE_EVENT` from here.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.locale import N_
from c2c_safety.webhooks import deliveries as webhook_service
from models import ReviewItem, User, utcnow
from models.review import Decision, SafeguardingAction, SafeguardingReferral

HIDE_KIND = "hide_content"
HIDE_LABEL = N_("Asked the platform to hide the content while the lead looks at it (kept for the lead)")
HIDE_EVENT = "safeguarding.content_hide_requested"
# The same window as the lead's own requests (safeguarding/requests.py), so one rule holds.
WITHDRAW_WINDOW = timedelta(hours=24)


def request_hide(session: Session, item: ReviewItem, ref: SafeguardingReferral, *, actor: User,
                 decision: Decision) -> SafeguardingAction:
    """Record the hide request on the referral and write its signed webhook delivery (the
    caller commits, then enqueues `action.delivery_id`). A second hide for the same item
    while one stands sends nothing twice."""
    standing = session.scalars(select(SafeguardingAction).where(
        SafeguardingAction.referral_id == ref.id, SafeguardingAction.kind == HIDE_KIND,
        SafeguardingAction.withdrawn_at.is_(None)).limit(1)).first()
    if standing is not None:
        return standing
    now = utcnow()
    row = SafeguardingAction(referral_id=ref.id, child_pseudonym=item.author_pseudonym, kind=HIDE_KIND,
                             actor_id=actor.id, at=now, withdrawable_until=now + WITHDRAW_WINDOW)
    session.add(row)
    session.flush()
    delivery = webhook_service.create_delivery(session, HIDE_EVENT, {
        "request_id": row.id, "referral_id": ref.id, "decision_id": decision.id,
        "content": content_ref(item), "author": {"id": item.author_pseudonym},
        "hide": "pending_safeguarding_review", "preserve": True,
        "requested_at": now.isoformat(), "withdrawable_until": (now + WITHDRAW_WINDOW).isoformat(),
        "decided_by_human": True,
    })
    row.delivery_id = delivery.id
    session.flush()
    audit.record(session, "safeguarding.hide_requested", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"action_id": row.id, "item_id": item.id, "decision_id": decision.id,
                                            "delivery_id": delivery.id})
    return row


def content_ref(item: ReviewItem) -> dict[str, str]:
    return {"type": item.content_type, "id": item.platform_content_id}


def withdrawal_fields(session: Session, action: SafeguardingAction) -> dict[str, object]:
    """What a withdrawal of a hide request adds to `safeguarding.request_withdrawn`: the
    content to show again (empty for the lead's other requests)."""
    if action.kind != HIDE_KIND or action.referral_id is None:
        return {}
    ref = session.get(SafeguardingReferral, action.referral_id)
    item = session.get(ReviewItem, ref.item_id) if ref is not None else None
    return {"content": content_ref(item)} if item is not None else {}

