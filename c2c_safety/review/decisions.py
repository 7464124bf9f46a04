"""Human decisions on review items, with a DSA Art. 17 statement of reasons.

Only a signed-in moderator holding a live claim can decide: `decide` takes the `User` and
checks role, claim and the item version the moderator saw, and the final UPDATE re-checks
all three atomically. There is no API, CLI or job path to this module.

One transaction holds the decision, its statement, the audit row, flagger statistics,
side effects of escalations and the webhook delivery row; the caller commits and then
enqueues the delivery job (`DecisionResult.delivery_ids`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from c2c_safety.audit import log as audit
from c2c_safety.cases import assignment
from c2c_safety.cases.routing import route_case
from c2c_safety.core.crypto import seal_text
from c2c_safety.core.locale import N_
from c2c_safety.notifications import triggers as notify_triggers
from c2c_safety.review import claims, hide, priority, second_opinion, statements, support, triage
from c2c_safety.review.requests import DecisionRequest as DecisionRequest
from c2c_safety.webhooks import deliveries as webhook_service
from models import (
    CaseCategory,
    CaseFile,
    CaseSource,
    ItemStatus,
    ReviewItem,
    Role,
    User,
    utcnow,
)
from models.review import (
    ESCALATIONS,
    Appeal,
    AppealStatus,
    Decision,
    DecisionAction,
    DecisionKind,
)

MIN_FACTS = 20
MAX_FACTS = 5000

ACTION_LABELS: dict[str, str] = {
    DecisionAction.NO_VIOLATION: N_("No violation"),
    DecisionAction.REMOVE: N_("Remove the content"),
    DecisionAction.RESTRICT: N_("Restrict: hide pending further review"),
    DecisionAction.WARN: N_("Warn the author"),
    DecisionAction.REQUEST_SUSPENSION: N_("Request suspension of the author"),
    DecisionAction.ESCALATE_SAFEGUARDING: N_("Escalate to the safeguarding lead"),
    DecisionAction.ESCALATE_CASE: N_("Escalate to a case handler"),
}
APPEAL_OUTCOMES = {"uphold": N_("Uphold the original decision"), "reverse": N_("Reverse it")}
# Reversals replace the original with a content action; escalation is not an appeal outcome.
APPEAL_ACTIONS = tuple(a for a in ACTION_LABELS if a not in ESCALATIONS)


class DecisionError(Exception):
    """A decision was refused; the message is safe to show. `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        # Other confirmations the same submit lacks, so the page asks for all of them at once.
        self.also: dict[str, str] = {}


class StaleDecisionError(DecisionError):
    """The item changed after the moderator opened it (version mismatch)."""


class NoClaimError(DecisionError):
    """The moderator does not hold a live claim on the item."""


class UnrevealedError(DecisionError):
    """Sensitive content the moderator never revealed: ask them to look, or to confirm."""

    def __init__(self) -> None:
        super().__init__(_("You have not looked at this content: it is hidden because it may be distressing. "
                           "Show it and check it, or confirm below that you decide without looking. "
                           "Nothing was saved."), "confirm_unrevealed")


class SupportConfirmError(DecisionError):
    """"No violation" on a child-safety item about a minor: ask the moderator to confirm."""

    def __init__(self, kind: str) -> None:
        what = _("self-harm") if kind == "self_harm" else _("grooming or sexual content")
        super().__init__(_("This item is about %(what)s and a child is involved. Confirm below that it breaks "
                           "no rule: the author will get a supportive notice with helplines along with the "
                           "statement. If you are worried about the child, escalate to the safeguarding lead "
                           "instead. Nothing was saved.", what=what), "confirm_support")


@dataclass
class DecisionResult:
    decision: Decision
    delivery_ids: list[int] = field(default_factory=list)
    case_file_id: int | None = None


def open_appeal(session: Session, item_id: int) -> Appeal | None:
    from sqlalchemy import select

    return session.scalars(
        select(Appeal).where(Appeal.item_id == item_id, Appeal.status == AppealStatus.OPEN)
        .order_by(Appeal.id).limit(1)
    ).first()


def _ai_agreed(ai_band: str | None, action: str) -> bool | None:
    if ai_band == "high":
        return action != DecisionAction.NO_VIOLATION
    if ai_band == "low":
        return action == DecisionAction.NO_VIOLATION
    return None  # medium or unscored: the AI took no clear position


def _check_request(session: Session, user: User, req: DecisionRequest, item: ReviewItem | None,
                   appeal: Appeal | None, now: datetime) -> tuple[str, Decision | None]:
    """Validate everything but the atomic update; return (action, decision under appeal)."""
    if not user.has_role(Role.MODERATOR):
        raise DecisionError(_("Only moderators can decide."))
    if item is None:
        raise DecisionError(_("There is no such item."))
    if item.status not in claims.WAITING:
        raise StaleDecisionError(_("This item has already been decided. Nothing was saved."))
    if not claims.holds_live_claim(item, user, now):
        raise NoClaimError(_("You do not hold this item (your claim expired or another moderator "
                             "took it). Claim it again before deciding. Nothing was saved."))
    if item.version != req.version:
        raise StaleDecisionError(_("This item changed while you were looking at it (a new flag or "
                                   "new scores). Review it again; nothing was saved."))
    action, original = req.action, None
    if appeal is not None:
        if appeal.original_decider_id == user.id:
            raise DecisionError(_("You made the decision under appeal; another moderator must review it."))
        original = session.get(Decision, appeal.decision_id)
        assert original is not None
        if req.appeal_outcome not in APPEAL_OUTCOMES:
            raise DecisionError(_("Choose whether to uphold or reverse the decision."), "appeal_outcome")
        if req.appeal_outcome == "uphold":
            action = original.action
        elif action not in APPEAL_ACTIONS or action == original.action:
            raise DecisionError(_("Choose the action that replaces the original decision."), "action")
    elif action not in ACTION_LABELS:
        raise DecisionError(_("Choose a decision."), "action")
    facts = req.facts.strip()
    if len(facts) < MIN_FACTS:
        raise DecisionError(_("Describe the facts and circumstances (at least %(n)s characters).", n=MIN_FACTS),
                            "facts")
    if len(facts) > MAX_FACTS:
        raise DecisionError(_("Keep the facts under %(n)s characters.", n=MAX_FACTS), "facts")
    if action in statements.DURATION_ACTIONS and req.duration not in statements.DURATIONS:
        raise DecisionError(_("Say for how long the restriction applies."), "duration")
    if req.hide_content and action != DecisionAction.ESCALATE_SAFEGUARDING:
        raise DecisionError(_("Hiding the content at once goes with an escalation to the safeguarding lead; "
                              "for other decisions choose remove or restrict."), "hide_content")
    # A statement never claims an action that was not taken (issue 19.4): "we have removed
    # it" on an escalation that restricts nothing is refused, whoever wrote the text.
    claimed = statements.unrecorded_claims(f"{facts}\n{req.restriction}", action, req.hide_content)
    if claimed:
        raise DecisionError(_("The statement says the content or account is %(effects)s, but this decision "
                              "does not do that. Change the text so it says what happens.",
                              effects=" and ".join(sorted(claimed))), "facts")
    return action, original


def _content_revealed(session: Session, item: ReviewItem, user: User, req: DecisionRequest,
                      scores: dict[str, float] | None) -> bool | None:
    """None when the content was shown openly; else whether this moderator revealed it. A
    spam-wave child is judged on its own (review/bulk.py confirms unseen siblings by number)."""
    from c2c_safety.review import reveals, wellbeing

    if not wellbeing.is_sensitive(item, scores):
        return None
    seen = reveals.revealed(session, item.id, user.id)
    if not seen and not req.confirm_unrevealed:
        raise UnrevealedError()
    return seen


def decide(session: Session, user: User, req: DecisionRequest, now: datetime | None = None, *,
           bulk_of: Decision | None = None) -> DecisionResult:
    """Record a person's decision (caller commits, then enqueues `delivery_ids`). `bulk_of`:
    the decision this one repeats for an item with the same text (review/bulk.py)."""
    from c2c_safety.review import policy
    from c2c_safety.review import referrals as safeguarding

    now = now or utcnow()
    # populate_existing: the claim may have moved since this session first loaded the item
    # The flags come in the same statement: the statement of reasons and the flaggers'
    # statistics read them (one round trip fewer per decision, issue 14).
    item = session.get(ReviewItem, req.item_id, populate_existing=True, options=[joinedload(ReviewItem.flags)])
    # Only an appealed item can have an open appeal: skip the look-up otherwise.
    appeal = open_appeal(session, req.item_id) if item is not None and item.status == ItemStatus.APPEALED \
        else None
    action, original = _check_request(session, user, req, item, appeal, now)
    assert item is not None
    reason = policy.reason_by_code(session, req.reason_code)
    if reason is None or not reason.active:
        raise DecisionError(_("Choose a reason from the policy list."), "reason_code")
    score = triage.latest_score(session, item.id) if priority.is_scored(item) else None
    support_kind = support.needs_confirmation(item, score.scores if score is not None else None, action)
    missing_support = SupportConfirmError(support_kind) if support_kind and not req.confirm_support else None
    try:
        revealed = _content_revealed(session, item, user, req, score.scores if score is not None else None)
    except UnrevealedError as exc:
        if missing_support is not None:
            exc.also["confirm_support"] = str(missing_support)
        raise
    if missing_support is not None:
        raise missing_support

    done = session.execute(
        update(ReviewItem)
        .where(ReviewItem.id == item.id, ReviewItem.version == req.version,
               ReviewItem.claimed_by_id == user.id, ReviewItem.claim_expires_at > now,
               ReviewItem.status.in_(claims.WAITING))
        .values(status=ItemStatus.DECIDED, decided_at=now, version=ReviewItem.version + 1,
                claimed_by_id=None, claim_expires_at=None, promote_at=None)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise StaleDecisionError(_("This item changed or your claim ended just now. Nothing was saved; "
                                   "open it again."))
    # Mirror what the UPDATE wrote instead of reloading the row.
    for name, value in (("status", ItemStatus.DECIDED), ("decided_at", now), ("version", req.version + 1),
                        ("claimed_by_id", None), ("claim_expires_at", None), ("promote_at", None)):
        set_committed_value(item, name, value)

    ai_band = (priority.band(item.top_category, item.top_score)
               if priority.is_scored(item) and item.top_category and item.top_score is not None else None)
    started = claims.finish_claim(session, item.id, user, "decided", now)
    kind = DecisionKind.INITIAL
    if appeal is not None:
        kind = DecisionKind.APPEAL_UPHELD if req.appeal_outcome == "uphold" else DecisionKind.APPEAL_REVERSED
    decision = Decision(
        item_id=item.id, decided_by_id=user.id, kind=kind, action=action, reason_code=reason.code,
        policy_reason_id=reason.id, reviews_decision_id=original.id if original else None,
        created_at=now, item_version=req.version,
        time_on_item_seconds=(now - started).total_seconds() if started else None,
        ai_category=item.top_category if ai_band else None, ai_band=ai_band,
        ai_model_version=score.model_version if score is not None and ai_band else None,
        ai_agreed=_ai_agreed(ai_band, action), content_revealed=revealed,
        bulk_of_id=bulk_of.id if bulk_of is not None else None,
    )
    decision.statement = statements.build(item, action, reason, req, score_version=(
        f"{score.model_name} {score.model_version}" if score is not None else None), appeal=appeal)
    session.add(decision)
    session.flush()
    statements.update_flagger_stats(session, item, action, original.action if original else None)

    result = DecisionResult(decision)
    if action == DecisionAction.ESCALATE_SAFEGUARDING:
        ref = safeguarding.escalate(session, item, actor=user, decision=decision)
        if req.hide_content:
            hidden = hide.request_hide(session, item, ref, actor=user, decision=decision)
            result.delivery_ids += [hidden.delivery_id] if hidden.delivery_id is not None else []
    elif action == DecisionAction.ESCALATE_CASE:
        result.case_file_id = _escalate_to_case(session, item, user, decision, req.facts.strip())
        decision.case_file_id = result.case_file_id
    second_opinion.answer_asks(session, item.id, user, now)  # a decision answers a question put to me
    if appeal is not None:
        appeal.status = AppealStatus.UPHELD if kind == DecisionKind.APPEAL_UPHELD else AppealStatus.REVERSED
        appeal.decided_at, appeal.outcome_decision_id = now, decision.id
    audit.record(session, "decision.made", actor=user, target_type="review_item", target_id=item.id,
                 case_id=result.case_file_id,
                 details={"decision_id": decision.id, "kind": kind, "action": action,
                          "reason_code": reason.code, "item_version": req.version,
                          "ai_band": ai_band, "ai_agreed": decision.ai_agreed,
                          "appeal_id": appeal.id if appeal else None, "content_revealed": revealed,
                          "hide_content": req.hide_content, "support_notice": support_kind,
                          "bulk_of": decision.bulk_of_id})
    if action not in ESCALATIONS:
        # Escalations change nothing on the platform; they stay internal to the desk.
        event = {DecisionKind.INITIAL: "decision.made", DecisionKind.APPEAL_UPHELD: "appeal.upheld",
                 DecisionKind.APPEAL_REVERSED: "appeal.reversed"}[kind]
        body = statements.payload(item, decision, original, appeal)
        if support_kind is not None:  # the platform shows it to the author with the statement
            body["support"] = support.notice(support_kind, item.school_country)
        delivery = webhook_service.create_delivery(session, event, body, decision_id=decision.id)
        result.delivery_ids.append(delivery.id)
    session.flush()
    return result


def _escalate_to_case(session: Session, item: ReviewItem, user: User, decision: Decision,
                      facts: str) -> int:
    category = CaseCategory.ETHICAL
    case = CaseFile(
        reference=f"ESC-{secrets.token_hex(4).upper()}", source=CaseSource.ESCALATION,
        category=category, routed_role=route_case(category), review_item_id=item.id,
        body_sealed=seal_text(facts),
    )
    session.add(case)
    session.flush()
    audit.record(session, "case.escalated_from_queue", actor=user, target_type="case_file",
                 target_id=case.id, case_id=case.id,
                 details={"review_item_id": item.id, "decision_id": decision.id,
                          "routed_role": case.routed_role})
    assignment.assign_new_case(session, case)  # round robin in the routed role (issue 13)
    notify_triggers.new_case(session, case)
    return case.id


def enqueue_deliveries(result: DecisionResult) -> None:
    """After commit: hand the delivery rows to the worker (Redis down: reconciler later)."""
    for delivery_id in result.delivery_ids:
        webhook_service.enqueue(delivery_id)
