"""One concern, one record: an anonymous report about a child is a safeguarding referral.

A report whose category is in `models.cases.CHILD_CATEGORIES` keeps its storage in its case
file (the sealed text, the receipt, the messaging thread, attachments) but is handled under
the safeguarding regime: a `SafeguardingReferral` with `case_id` set is its record on the
lead's desk, with the desk's one clock (the first look within the safeguarding target), its
people, risk and actions. No Whistleblower Act clock, alert or notice applies to it.

A lead can also convert a mis-filed whistleblower case into a referral (and back while
nothing has been recorded on the referral), or link a case to a referral that came from a
flag (and unlink). Every step is audited; the reporter's receipt and messages are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import assignment
from c2c_safety.cases import lifecycle as case_lifecycle
from c2c_safety.core.uploads import CleanFile
from c2c_safety.review import referrals as handover
from c2c_safety.safeguarding.actions import SafeguardingError, require_lead
from models import CaseFile, CaseMessage, CaseRegime, CaseStatus, Role, User, utcnow
from models.cases import CHILD_CATEGORIES
from models.review import (
    ReferralStatus,
    RiskAssessment,
    SafeguardingAction,
    SafeguardingAlert,
    SafeguardingPerson,
    SafeguardingReferral,
)

REPORT_REASON = "anonymous report about a child"
CONVERTED_REASON = "converted from a whistleblower case"
KNOWN_IMAGE_REASON = "known_abuse_image"


def category_label(category: str) -> str:
    return category.replace("_", " ").capitalize()


def is_safeguarding(case: CaseFile) -> bool:
    return case.regime == CaseRegime.SAFEGUARDING


def referral_of_case(session: Session, case_id: int) -> SafeguardingReferral | None:
    return session.scalars(select(SafeguardingReferral).where(SafeguardingReferral.case_id == case_id)).first()


def _open(session: Session, case: CaseFile, reasons: list[str], opened_at: datetime) -> SafeguardingReferral:
    ref = SafeguardingReferral(case_id=case.id, item_id=None, child_pseudonym="", reasons=reasons,
                               opened_at=opened_at)
    session.add(ref)
    session.flush()
    handover._assign_new(session, ref)  # a named lead and deputy, round robin, like every referral
    if ref.assigned_to_id is not None:
        case.assigned_to_id = ref.assigned_to_id  # the case file's own access follows the referral
    session.add(SafeguardingAlert(referral_id=ref.id, kind="routed", created_at=opened_at))
    return ref


def open_for_report(session: Session, case: CaseFile, now: datetime | None = None) -> SafeguardingReferral:
    """A new anonymous report in a child category: a referral from the start. The caller
    (report.reports.submit_report) commits; every safeguarding lead hears at once with the
    safeguarding target, never a Whistleblower Act deadline."""
    if case.category not in CHILD_CATEGORIES:
        raise ValueError(_("not a child category"))
    now = now or utcnow()
    case.regime = CaseRegime.SAFEGUARDING
    case.routed_role = Role.SAFEGUARDING_LEAD
    ref = _open(session, case, [REPORT_REASON], case.received_at or now)
    audit.record(session, "safeguarding.referred", actor_label="anonymous reporter",
                 target_type="safeguarding_referral", target_id=ref.id, case_id=case.id,
                 details={"case_id": case.id, "category": case.category, "kind": "report"})
    handover._notify_leads(session, ref, "opened", now)
    return ref


def refer_for_known_image(session: Session, case: CaseFile, *, actor_label: str,
                          now: datetime | None = None) -> SafeguardingReferral:
    """An image the reporter attached matched a child-abuse hash list: the report is an urgent
    safeguarding referral (opened, or its existing referral extended and reopened), whatever
    the category the reporter chose. Every lead hears at once. The caller commits."""
    now = now or utcnow()
    ref = referral_of_case(session, case.id)
    if ref is None:
        case.regime = CaseRegime.SAFEGUARDING
        case.routed_role = Role.SAFEGUARDING_LEAD
        ref = _open(session, case, [KNOWN_IMAGE_REASON], now)
        audit.record(session, "safeguarding.referred", actor_label=actor_label, target_type="safeguarding_referral",
                     target_id=ref.id, case_id=case.id,
                     details={"case_id": case.id, "category": case.category, "kind": "known_image"})
        handover._notify_leads(session, ref, "opened", now)
        return ref
    if KNOWN_IMAGE_REASON in ref.reasons and ref.status != ReferralStatus.CLOSED:
        return ref
    ref.reasons = [*ref.reasons, KNOWN_IMAGE_REASON] if KNOWN_IMAGE_REASON not in ref.reasons else ref.reasons
    event = "escalated"
    if ref.status == ReferralStatus.CLOSED:
        ref.status, ref.closed_at, ref.closed_by_id, ref.outcome = ReferralStatus.OPEN, None, None, None
        ref.opened_at, event = now, "reopened"
    session.add(SafeguardingAlert(referral_id=ref.id, kind=event, created_at=now))
    audit.record(session, "safeguarding.known_image", actor_label=actor_label, target_type="safeguarding_referral",
                 target_id=ref.id, case_id=case.id, details={"case_id": case.id, "event": event})
    handover._notify_leads(session, ref, event, now)
    return ref


def convert(session: Session, case: CaseFile, *, actor: User) -> SafeguardingReferral:
    """A mis-filed whistleblower case becomes a referral: same receipt, same messages."""
    require_lead(actor)
    if is_safeguarding(case) or referral_of_case(session, case.id) is not None:
        raise SafeguardingError(_("This case is already a referral or linked to one."))
    if case.status == CaseStatus.CLOSED or case.anonymised_at is not None:
        raise SafeguardingError(_("A closed case cannot be converted; reopen it first."))
    now = utcnow()
    case.regime = CaseRegime.SAFEGUARDING
    case.routed_role = Role.SAFEGUARDING_LEAD
    ref = _open(session, case, [CONVERTED_REASON], now)
    audit.record(session, "safeguarding.case_converted", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, case_id=case.id, details={"case_id": case.id, "category": case.category})
    return ref


def revert(session: Session, ref: SafeguardingReferral, *, actor: User) -> CaseFile:
    """Undo a conversion while nothing was recorded on the referral: the case is a
    whistleblower case again, routed by its category, its thread untouched."""
    from c2c_safety.cases import routing

    require_lead(actor)
    case = session.get(CaseFile, ref.case_id) if ref.case_id is not None else None
    if case is None or ref.item_id is not None:
        raise SafeguardingError(_("Only a referral that is an anonymous report can go back to being a case."))
    if case.category in CHILD_CATEGORIES:
        raise SafeguardingError(_("A report about a child stays a safeguarding referral."))
    if session.scalar(select(SafeguardingAction.id).where(SafeguardingAction.referral_id == ref.id).limit(1)):
        raise SafeguardingError(_("Something is recorded on this referral; it stays a referral."))
    case.regime = CaseRegime.WHISTLEBLOWING
    case.routed_role = routing.route_case(case.category)
    ref_id = ref.id
    for model in (SafeguardingPerson, SafeguardingAlert, RiskAssessment):
        for row in session.scalars(select(model).where(model.referral_id == ref_id)):
            session.delete(row)
    session.delete(ref)
    session.flush()
    assignment.assign_new_case(session, case)
    audit.record(session, "safeguarding.case_reverted", actor=actor, target_type="case", target_id=case.id,
                 case_id=case.id, details={"referral_id": ref_id})
    return case


def link(session: Session, ref: SafeguardingReferral, case: CaseFile, *, actor: User) -> None:
    """A referral from a flag and a whistleblower case about the same matter show each other."""
    require_lead(actor)
    if ref.case_id is not None:
        raise SafeguardingError(_("This referral is already linked to a case; unlink it first."))
    if referral_of_case(session, case.id) is not None:
        raise SafeguardingError(_("That case is already linked to a referral."))
    ref.case_id = case.id
    session.flush()
    audit.record(session, "safeguarding.case_linked", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, case_id=case.id, details={"case_id": case.id})


def unlink(session: Session, ref: SafeguardingReferral, *, actor: User) -> None:
    require_lead(actor)
    if ref.case_id is None or ref.item_id is None:
        raise SafeguardingError(_("Only a link between a referral and a case can be undone."))
    case_id, ref.case_id = ref.case_id, None
    session.flush()
    audit.record(session, "safeguarding.case_unlinked", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, case_id=case_id, details={"case_id": case_id})


def mark_read(session: Session, ref: SafeguardingReferral, case: CaseFile, *, actor: User) -> None:
    """The first time a lead opens the report's referral: the reporter's page then says a
    person has read it. The case file's view is audited as every case view is."""
    if case.first_read_at is None:
        case.first_read_at = utcnow()
    case_lifecycle.record_view(session, case, actor=actor)


def reply(session: Session, ref: SafeguardingReferral, case: CaseFile, *, actor: User, text: str,
          files: Sequence[CleanFile] = ()) -> CaseMessage:
    """The lead answers the reporter through the report's thread, with any files already
    cleaned (core/uploads.py). Counts as taking it up (a record on the referral, without the
    text, which lives sealed in the message)."""
    require_lead(actor)
    if ref.status != "open":
        raise SafeguardingError(_("This referral is closed."))
    if not case_lifecycle.has_reporter_channel(case):
        raise SafeguardingError(_("The reporter cannot receive messages on this report."))
    try:
        msg = case_lifecycle.send_message(session, case, actor=actor, text=text, files=files)
    except case_lifecycle.CaseForbiddenError:
        raise SafeguardingError(_("You may not write on this report (a conflict exclusion).")) from None
    except ValueError as exc:
        raise SafeguardingError(str(exc)) from None
    session.add(SafeguardingAction(referral_id=ref.id, child_pseudonym=ref.child_pseudonym,
                                   kind="reply_reporter", actor_id=actor.id, at=utcnow()))
    session.flush()
    return msg
