"""Appeals (DSA Art. 20): the platform forwards an author's or flagger's complaint about a
decision. The item returns to the queue for a different moderator (the original decider
can neither claim nor decide it: review.claims and review.decisions both check), who
upholds or reverses it with a new statement of reasons; the outcome goes out by webhook.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import seal_text
from c2c_safety.notifications import triggers as notify_triggers
from c2c_safety.review import triage
from models import ApiClient, ItemStatus, ReviewItem
from models.review import ESCALATIONS, Appeal, AppealStatus, Decision

MAX_TEXT = 5000
APPELLANTS = ("author", "flagger")


class AppealError(ValueError):
    """The appeal cannot be accepted; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422, error: str = "invalid_appeal") -> None:
        super().__init__(message)
        self.status, self.error = status, error


@dataclass(frozen=True)
class AppealResult:
    appeal: Appeal
    created: bool


def _by_ref(session: Session, client: ApiClient, ref: str | None) -> Appeal | None:
    if not ref:
        return None
    return session.scalars(select(Appeal).where(Appeal.api_client_id == client.id,
                                                Appeal.platform_ref == ref)).first()


def create(session: Session, client: ApiClient, *, decision_id: int, appellant: str, text: str,
           appellant_pseudonym: str | None = None, platform_ref: str | None = None) -> AppealResult:
    """Record an appeal and put the item back in the queue (caller commits)."""
    prior = _by_ref(session, client, platform_ref)
    if prior is not None:
        if prior.decision_id != decision_id:
            raise AppealError("This reference was already used for an appeal on another decision.",
                              409, "idempotency_conflict")
        return AppealResult(prior, created=False)
    if appellant not in APPELLANTS:
        raise AppealError("appellant must be 'author' or 'flagger'.")
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise AppealError(f"Give the complaint text (1 to {MAX_TEXT} characters).")
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise AppealError("There is no such decision.", 404, "not_found")
    item = session.get(ReviewItem, decision.item_id)
    assert item is not None
    if decision.action in ESCALATIONS:
        raise AppealError("An escalation changes nothing on the platform and cannot be appealed.")
    latest = session.scalar(select(Decision.id).where(Decision.item_id == item.id)
                            .order_by(Decision.id.desc()).limit(1))
    if latest != decision.id:
        raise AppealError("This decision has been superseded; appeal the latest decision.", 409,
                          "superseded")
    if decision.reviews_decision_id is not None:
        raise AppealError("This decision already answered an appeal. The out-of-court dispute "
                          "settlement bodies and the courts remain open.", 409, "already_appealed")
    if item.status != ItemStatus.DECIDED:
        raise AppealError("The item is back under review already; wait for the new decision.",
                          409, "under_review")
    if appellant == "author" and appellant_pseudonym not in (None, item.author_pseudonym):
        raise AppealError("The appellant is not the author of this content.")
    if appellant == "flagger" and appellant_pseudonym is not None and appellant_pseudonym not in {
            f.flagger_pseudonym for f in item.flags}:
        raise AppealError("The appellant did not flag this content.")
    appeal = Appeal(decision_id=decision.id, item_id=item.id, appellant=appellant,
                    appellant_pseudonym=appellant_pseudonym or (
                        item.author_pseudonym if appellant == "author" else None),
                    text_sealed=seal_text(text), api_client_id=client.id, platform_ref=platform_ref,
                    original_decider_id=decision.decided_by_id)
    try:
        with session.begin_nested():
            session.add(appeal)
            session.flush()
    except IntegrityError:
        again = _by_ref(session, client, platform_ref)
        if again is None:
            raise
        return AppealResult(again, created=False)
    item.status = ItemStatus.APPEALED
    item.claimed_by_id = item.claim_expires_at = None
    session.flush()
    triage.refresh(session, item)
    audit.record(session, "appeal.received", actor_label=f"api:{client.name}", target_type="appeal",
                 target_id=appeal.id, details={"decision_id": decision.id, "item_id": item.id,
                                               "appellant": appellant})
    notify_triggers.appeal(session, appeal_id=appeal.id, item_id=item.id, received_at=appeal.received_at,
                           original_decider_id=appeal.original_decider_id)
    session.flush()
    return AppealResult(appeal, created=True)


def open_for_item(session: Session, item_id: int) -> Appeal | None:
    return session.scalars(select(Appeal).where(Appeal.item_id == item_id,
                                                Appeal.status == AppealStatus.OPEN).limit(1)).first()
