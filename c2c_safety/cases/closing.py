"""Closing a case: written findings, and a second person's approval where there is one.

- Substantiated, partly substantiated and not substantiated need written findings (sealed,
  at least MIN_FINDINGS characters): what was established and on what basis. Other
  outcomes may carry findings. "Referred to an external authority" needs the referral's
  record (authority and reference).
- The handler *proposes* the closure. If someone else may handle the case (eligible in its
  routed role, or the assignee, and not excluded), that second person approves it
  (`approve`), or sends it back (`decline`); the proposer can never approve their own.
  A lone handler — nobody else may handle the case — closes at once, recorded as closed
  alone (`closed_alone`), so the reviewer can see which closures had no second pair of eyes.
- Closing starts the retention clock (lifecycle.close_now).

Every step is audited; details hold outcomes and ids only, never the findings.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases import lifecycle
from c2c_safety.cases.lifecycle import CaseError, CaseForbiddenError
from c2c_safety.core.crypto import open_text, seal_text
from models import CaseFile, CaseOutcome, CaseStatus, User, utcnow

MIN_FINDINGS = 20
NEEDS_FINDINGS = frozenset({CaseOutcome.SUBSTANTIATED, CaseOutcome.PARTLY_SUBSTANTIATED,
                            CaseOutcome.NOT_SUBSTANTIATED})


def second_people(session: Session, case: CaseFile, actor: User) -> list[User]:
    """Who else may approve: anyone other than the actor who may handle the case."""
    return [p for p in case_access.eligible_handlers(session, case)
            if p.id != actor.id and case_access.can_handle(session, p, case)]


def _referral_record(outcome: str, authority: str, authority_ref: str) -> str | None:
    if outcome != CaseOutcome.REFERRED:
        return None
    authority, authority_ref = authority.strip(), authority_ref.strip()
    if not authority or not authority_ref:
        raise CaseError(_("To close as referred, record the referral: the authority and its reference number."))
    if len(authority) > 200 or len(authority_ref) > 100:
        raise CaseError(_("Keep the authority under 200 and the reference under 100 characters."))
    return f"Referred to {authority}, reference {authority_ref}"


def propose(session: Session, case: CaseFile, *, actor: User, outcome: str, findings: str = "",
            authority: str = "", authority_ref: str = "", now: datetime | None = None) -> bool:
    """Propose closing with an outcome and findings. Returns True when the case closed at
    once (a lone handler), False when it now waits for a second person's approval."""
    if not case_access.can_handle(session, actor, case):
        raise CaseForbiddenError(case.id)
    if case.status != CaseStatus.FEEDBACK_GIVEN:
        raise CaseError(_("A case is closed after feedback was given."))
    if outcome not in lifecycle.OUTCOME_LABELS:
        raise CaseError(_("Choose an outcome."))
    findings = (findings or "").strip()
    if outcome in NEEDS_FINDINGS and len(findings) < MIN_FINDINGS:
        raise CaseError(_("Write the findings for “%(outcome)s”: what was established and on what basis "
                          "(at least %(n)s characters).", outcome=_(lifecycle.OUTCOME_LABELS[outcome]),
                          n=MIN_FINDINGS))
    if len(findings) > lifecycle.MAX_TEXT:
        raise CaseError(_("Keep the findings under %(n)s characters.", n=lifecycle.MAX_TEXT))
    record = _referral_record(outcome, authority, authority_ref)
    now = now or utcnow()
    lifecycle.take_if_unassigned(session, case, actor)
    case.findings_sealed = seal_text(findings) if findings else None
    case.close_record_sealed = seal_text(record) if record else None
    case.close_proposed_outcome, case.close_proposed_by_id, case.close_proposed_at = outcome, actor.id, now
    session.flush()
    if not second_people(session, case, actor):
        audit.record(session, "case.close_proposed", actor=actor, target_type="case", target_id=case.id,
                     case_id=case.id, details={"outcome": outcome, "findings": bool(findings), "alone": True}, at=now)
        _close(session, case, approver=actor, alone=True, now=now)
        return True
    audit.record(session, "case.close_proposed", actor=actor, target_type="case", target_id=case.id,
                 case_id=case.id, details={"outcome": outcome, "findings": bool(findings), "alone": False}, at=now)
    return False


def approve(session: Session, case: CaseFile, *, actor: User, now: datetime | None = None) -> None:
    """A second person approves the proposed closure (never the proposer)."""
    if not case_access.can_handle(session, actor, case):
        raise CaseForbiddenError(case.id)
    if case.close_proposed_by_id is None or case.status != CaseStatus.FEEDBACK_GIVEN:
        raise CaseError(_("Nothing is waiting for approval on this case."))
    if case.close_proposed_by_id == actor.id:
        raise CaseError(_("Someone other than the person who proposed the closure approves it."))
    _close(session, case, approver=actor, alone=False, now=now or utcnow())


def decline(session: Session, case: CaseFile, *, actor: User, now: datetime | None = None) -> None:
    """Send a proposed closure back (the approver disagrees, or the proposer withdraws it)."""
    if not case_access.can_handle(session, actor, case):
        raise CaseForbiddenError(case.id)
    if case.close_proposed_by_id is None:
        raise CaseError(_("Nothing is waiting for approval on this case."))
    outcome = case.close_proposed_outcome
    case.close_proposed_by_id = case.close_proposed_at = case.close_proposed_outcome = None
    case.close_record_sealed = None
    session.flush()
    audit.record(session, "case.close_declined", actor=actor, target_type="case", target_id=case.id,
                 case_id=case.id, details={"outcome": outcome}, at=now or utcnow())


def _close(session: Session, case: CaseFile, *, approver: User, alone: bool, now: datetime) -> None:
    outcome = case.close_proposed_outcome or ""
    record = open_text(case.close_record_sealed) if case.close_record_sealed else None
    proposer = session.get(User, case.close_proposed_by_id or approver.id) or approver
    lifecycle.close_now(session, case, actor=proposer, approver=approver, outcome=outcome, record=record,
                        alone=alone, now=now)
    case.close_proposed_by_id = case.close_proposed_at = case.close_proposed_outcome = None
    case.close_record_sealed = None
    session.flush()


def findings(case: CaseFile) -> str:
    return open_text(case.findings_sealed) or "" if case.findings_sealed else ""
