"""Data-subject requests (GDPR Art. 15/20 access and portability, Art. 17 erasure) for a
platform pseudonymous id.

What the desk holds about a platform user: items they authored, flags they made, appeals
they lodged, decisions on their items (with the statement of reasons), safeguarding
referrals and chronology entries about them, and their flagger statistics. Case files are
never searched: anonymous reporters are not identified by anything, and a case file is
not indexed by the people it mentions.

Erasure removes what no retention rule keeps and reports what was kept and why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import open_text
from c2c_safety.retention import anonymise, dsar_withhold
from c2c_safety.retention import sweep as retention
from models import (
    AnonymisedRecord,
    CaseFile,
    ConversationMessage,
    Flag,
    ItemScore,
    RetentionCategory,
    ReviewItem,
    utcnow,
)
from models.review import (
    Appeal,
    AppealStatus,
    Decision,
    FlaggerStats,
    SafeguardingAction,
    SafeguardingPerson,
    SafeguardingReferral,
    StatementOfReasons,
)


class DsarError(ValueError):
    """Safe to show."""


def subject_ref(subject: str) -> str:
    """What the audit log records instead of the pseudonym itself."""
    return hashlib.sha256(subject.encode()).hexdigest()[:16]


def _check_subject(session: Session, subject: str) -> str:
    subject = subject.strip()
    if not subject or len(subject) > 128:
        raise DsarError("Give the platform's pseudonymous user id (1-128 characters).")
    if session.scalar(select(CaseFile.id).where(CaseFile.reference == subject.upper())) is not None:
        raise DsarError("That is a case reference. Anonymous reporters are not identifiable; "
                        "case files are not subject to this request.")
    return subject


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _item(i: ReviewItem) -> dict[str, Any]:
    return {"id": i.id, "content_type": i.content_type, "platform_content_id": i.platform_content_id,
            "text": i.text, "media_urls": i.media_urls, "age_band": i.author_age_band, "role": i.author_role,
            "project_id": i.project_id, "posted_at": _iso(i.posted_at), "status": i.status,
            "received_at": _iso(i.created_at), "decided_at": _iso(i.decided_at)}


def _decision(d: Decision, s: StatementOfReasons | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": d.id, "item_id": d.item_id, "kind": d.kind, "action": d.action,
                           "reason_code": d.reason_code, "decided_at": _iso(d.created_at)}
    if s is not None:
        out["statement_of_reasons"] = {
            "restriction": s.restriction, "duration": s.duration, "facts": s.facts, "source": s.source,
            "automated_detection": s.automated_detection, "automated_decision": s.automated_decision,
            "policy": s.policy_code, "ground": s.policy_ground, "redress": s.redress}
    return out


def export(session: Session, subject: str) -> dict[str, Any]:
    """Everything the desk holds about `subject` that is theirs to see, as JSON-ready data.

    What is withheld because they are the person of concern (`dsar_withhold`) leaves no
    trace in the export: the shape is the same as for a subject with no such record. The
    withholding is audited as `dsar.withheld` with its legal basis. Audited (caller commits)."""
    subject = _check_subject(session, subject)
    held = dsar_withhold.find(session, subject)
    items = [i for i in session.scalars(select(ReviewItem).where(ReviewItem.author_pseudonym == subject)
                                        .order_by(ReviewItem.id)) if i.id not in held.item_ids]
    item_ids = [i.id for i in items]
    decisions = [(d, s) for d, s in session.execute(
        select(Decision, StatementOfReasons)
        .outerjoin(StatementOfReasons, StatementOfReasons.decision_id == Decision.id)
        .where(Decision.item_id.in_(item_ids)).order_by(Decision.id)).all()
        if d.id not in held.decision_ids]
    flags = [f for f in session.scalars(select(Flag).where(Flag.flagger_pseudonym == subject).order_by(Flag.id))
             if f.item_id not in held.item_ids]
    appeals = [a for a in session.scalars(select(Appeal).where(Appeal.appellant_pseudonym == subject)
                                          .order_by(Appeal.id))
               if a.item_id not in held.item_ids and a.decision_id not in held.decision_ids]
    referrals = [r for r in session.scalars(select(SafeguardingReferral).where(
        SafeguardingReferral.child_pseudonym == subject).order_by(SafeguardingReferral.id))
        if r.id not in held.referral_ids]
    actions = [a for a in session.scalars(select(SafeguardingAction).where(
        SafeguardingAction.child_pseudonym == subject).order_by(SafeguardingAction.at, SafeguardingAction.id))
        if not held.action_withheld(a)]
    people = [p for p in session.scalars(select(SafeguardingPerson).where(SafeguardingPerson.pseudonym == subject)
                                         .order_by(SafeguardingPerson.referral_id))
              if p.part != dsar_withhold.PERSON_OF_CONCERN and p.referral_id not in held.referral_ids]
    messages = [m for m in session.scalars(
        select(ConversationMessage).where(ConversationMessage.author_pseudonym == subject)
        .order_by(ConversationMessage.item_id, ConversationMessage.position))
        if m.item_id not in held.item_ids]
    stats = session.get(FlaggerStats, subject)
    scores = session.scalars(select(ItemScore).where(ItemScore.subject_type == "item",
                                                     ItemScore.subject_id.in_(item_ids))
                             .order_by(ItemScore.id))
    data: dict[str, Any] = {
        "subject": subject,
        "generated_at": utcnow().isoformat(),
        "controller_note": "Class2Class safety desk. Case files (whistleblowing reports) are not "
                           "searched: they are not linked to platform accounts.",
        "items_authored": [_item(i) for i in items],
        "decisions_on_your_items": [_decision(d, s) for d, s in decisions],
        "ai_scores_of_your_items": [{"item_id": s.subject_id, "model": s.model_name,
                                     "model_version": s.model_version, "scores": s.scores,
                                     "at": _iso(s.created_at)} for s in scores],
        "flags_made": [{"id": f.id, "item_id": f.item_id, "reason": f.reason_category, "comment": f.comment,
                        "flagged_at": _iso(f.flagged_at)} for f in flags],
        "appeals": [{"id": a.id, "decision_id": a.decision_id, "status": a.status,
                     "text": open_text(a.text_sealed), "received_at": _iso(a.received_at),
                     "decided_at": _iso(a.decided_at)} for a in appeals],
        "safeguarding_referrals": [{"id": r.id, "item_id": r.item_id, "reasons": r.reasons, "status": r.status,
                                    "opened_at": _iso(r.opened_at), "closed_at": _iso(r.closed_at),
                                    "outcome": r.outcome} for r in referrals],
        "safeguarding_chronology": [{"id": a.id, "kind": a.kind, "detail": open_text(a.detail_sealed),
                                     "outcome": a.outcome, "at": _iso(a.at)} for a in actions],
        # Where they are named in a referral as a child at risk or someone involved.
        "safeguarding_involvement": [{"referral_id": p.referral_id, "part": p.part,
                                      "platform_role": p.platform_role, "age_band": p.age_band,
                                      "how_involved": p.how_involved} for p in people],
        "flagger_statistics": ({"decided": stats.decided, "upheld": stats.upheld} if stats else None),
        # Messages they wrote in the conversation around someone else's flagged message.
        "conversation_messages": [{"item_id": m.item_id, "sent_at": _iso(m.sent_at),
                                   "text": open_text(m.text_sealed)} for m in messages],
    }
    ref = subject_ref(subject)
    audit.record(session, "dsar.exported", actor_label="cli", target_type="subject",
                 details={"subject_ref": ref,
                          "counts": {k: len(v) for k, v in data.items() if isinstance(v, list)}})
    if held.any():
        # For the data-protection officer and the independent reviewer (the audit browser),
        # never for the subject: ids and the legal basis, no text.
        audit.record(session, "dsar.withheld", actor_label="cli", target_type="subject",
                     details={"subject_ref": ref, **held.audit_details()})
    return data


@dataclass
class ErasureReport:
    subject_ref: str
    erased: dict[str, int] = field(default_factory=dict)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (what, why)


_PERSON_OF_CONCERN = dsar_withhold.PERSON_OF_CONCERN

CASE_LINKED = "linked to a case file, which follows case retention (and any legal hold)"


def _case_linked(session: Session, item_id: int) -> bool:
    return session.scalar(select(CaseFile.id).where(CaseFile.anonymised_at.is_(None), or_(
        CaseFile.review_item_id == item_id,
        CaseFile.id.in_(select(Decision.case_file_id).where(Decision.item_id == item_id))))) is not None


def _item_kept_because(session: Session, item: ReviewItem, cutoff: datetime) -> str | None:
    if item.status in ("open", "appealed"):
        return "still under moderation (decided items follow the moderation retention policy)"
    if session.scalar(select(Appeal.id).where(Appeal.item_id == item.id, Appeal.status == AppealStatus.OPEN)):
        return "an appeal about it is open"
    if _case_linked(session, item.id):
        return CASE_LINKED
    last = session.scalar(select(Decision.created_at).where(Decision.item_id == item.id)
                          .order_by(Decision.created_at.desc()).limit(1))
    if last is not None and last > cutoff:
        return ("moderation record kept for the retention period after the decision "
                "(statement of reasons, appeals, transparency reporting)")
    return None


def erase(session: Session, subject: str, *, now: datetime | None = None) -> ErasureReport:
    """Erase what no retention policy or legal hold keeps. Audited (caller commits)."""
    subject = _check_subject(session, subject)
    now = now or utcnow()
    policy = retention.ensure_policies(session)[RetentionCategory.MODERATION]
    cutoff = retention.cutoff(policy, now)
    report = ErasureReport(subject_ref(subject))
    # What the export withholds is kept, silently: the erasure report goes to the subject
    # too, and a "kept: linked to a case file" line would tip them off (audited instead).
    held = dsar_withhold.find(session, subject)
    done = set(session.scalars(select(AnonymisedRecord.record_id).where(
        AnonymisedRecord.record_type == "review_item")))
    to_strip: list[int] = []
    for item in session.scalars(select(ReviewItem).where(ReviewItem.author_pseudonym == subject)):
        if item.id in held.item_ids:
            continue
        why = _item_kept_because(session, item, cutoff)
        if why:
            report.kept.append((f"item {item.id}", why))
        elif item.id not in done:
            to_strip.append(item.id)
    details = {"policy": "dsar_erasure"}
    report.erased["items_authored"] = anonymise.review_items(session, to_strip, now, policy=details)
    flags = list(session.scalars(select(Flag).where(Flag.flagger_pseudonym == subject)))
    # Who flagged is not needed to keep a decision's record, so flags lose the pseudonym
    # unless a case file (with its own retention and holds) relies on them.
    for f in flags:
        if f.item_id in held.item_ids:
            continue
        if _case_linked(session, f.item_id):
            report.kept.append((f"flag {f.id}", CASE_LINKED))
            continue
        f.flagger_pseudonym = f"erased-{f.id}"
        f.comment = ""
        f.text_snapshot = None
    report.erased["flags_made"] = sum(1 for f in flags if f.flagger_pseudonym.startswith("erased-"))
    # Their messages in the conversation around someone else's flagged message: context, not
    # the decision's record; they go unless a case file relies on the item, as flags do.
    messages = list(session.scalars(select(ConversationMessage).where(
        ConversationMessage.author_pseudonym == subject)))
    for m in messages:
        if m.item_id in held.item_ids:
            continue
        if _case_linked(session, m.item_id):
            report.kept.append((f"conversation message on item {m.item_id}", CASE_LINKED))
            continue
        m.author_pseudonym, m.text_sealed = f"erased-{m.id}", None
    report.erased["conversation_messages"] = sum(1 for m in messages if m.author_pseudonym.startswith("erased-"))
    appeals = list(session.scalars(select(Appeal).where(Appeal.appellant_pseudonym == subject)))
    for a in appeals:
        if a.item_id in held.item_ids or a.decision_id in held.decision_ids:
            continue
        if a.status == AppealStatus.OPEN:
            report.kept.append((f"appeal {a.id}", "still open"))
            continue
        a.appellant_pseudonym = None
        a.text_sealed = None
    report.erased["appeals"] = sum(1 for a in appeals if a.appellant_pseudonym is None)
    report.erased["flagger_statistics"] = int(getattr(session.execute(
        delete(FlaggerStats).where(FlaggerStats.pseudonym == subject)), "rowcount", 0) or 0)
    n_ref = sum(1 for rid in session.scalars(select(SafeguardingReferral.id).where(
        SafeguardingReferral.child_pseudonym == subject)) if rid not in held.referral_ids)
    n_act = sum(1 for a in session.scalars(select(SafeguardingAction).where(
        SafeguardingAction.child_pseudonym == subject)) if not held.action_withheld(a))
    n_people = sum(1 for p in session.scalars(select(SafeguardingPerson).where(
        SafeguardingPerson.pseudonym == subject))
        if p.part != _PERSON_OF_CONCERN and p.referral_id not in held.referral_ids)
    if n_ref or n_act or n_people:
        report.kept.append((f"{n_ref} safeguarding referral(s), {n_act} chronology entr(ies), "
                            f"named in {n_people} referral(s)",
                            "child-protection record: kept under the safeguarding procedure "
                            "(GDPR Art. 17(3)(b)); ask the safeguarding lead"))
    session.execute(update(ItemScore).where(ItemScore.subject_type == "item",
                                            ItemScore.subject_id.in_(to_strip)).values(reasons={}))
    session.flush()
    audit.record(session, "dsar.erased", actor_label="cli", target_type="subject",
                 details={"subject_ref": report.subject_ref, "erased": report.erased,
                          "kept": len(report.kept)})
    if held.any():
        audit.record(session, "dsar.withheld", actor_label="cli", target_type="subject",
                     details={"subject_ref": report.subject_ref, "request": "erasure",
                              **held.audit_details()})
    return report
