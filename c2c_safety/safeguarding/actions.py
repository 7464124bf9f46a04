"""What the safeguarding lead records about each person in a referral, and closing it.

Actions are offered per person, by the part they play (people.py):

- a **child at risk**: protective steps — contact the child's teacher or school, notify the
  child's municipality (in Denmark an *underretning*) or the police, with the authority and
  its reference number recorded;
- an **adult person of concern** (an allegation against an adult who works with children):
  inform the school's leadership, record the referral of the allegation (authority and
  reference number), and ask the platform to restrict their messaging or suspend them
  pending investigation (requests.py: a confirmation page, then a signed webhook);
- a **child person of concern** (harm to another child): contact their teacher or school,
  notify the municipality, ask the platform to restrict their messaging;
- anyone: a note.

The parental-consent block of a student's access is its own platform request, offered only
for a student who is not a child at risk in this referral: never against the child a
concern protects, and (like everything here) never pre-selected.

Closing needs the outcome's record: "referred externally" a recorded referral with its
authority and reference; "resolved with the school" a recorded contact with the school;
"access blocked" a confirmed, not withdrawn consent block; "access restricted" a confirmed,
not withdrawn restriction or suspension; "no concern" and "other" a written reason.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.core.locale import N_
from c2c_safety.review.hide import HIDE_KIND, HIDE_LABEL
from c2c_safety.safeguarding.people import CHILD_AT_RISK, PERSON_OF_CONCERN, is_child, is_platform_account
from models import CaseFile, CaseOutcome, CaseRegime, CaseStatus, Role, User, utcnow
from models.review import ReferralStatus, SafeguardingAction, SafeguardingPerson, SafeguardingReferral

MAX_DETAIL = 5000
# A restriction, suspension, consent block, withdrawal or closing needs its reason (item 8).
MIN_RATIONALE = 20

# Things the lead did outside the desk and records here.
RECORD_KINDS: dict[str, str] = {
    "note": N_("Note"),
    "contact_teacher": N_("Contacted the child's teacher"),
    "contact_school": N_("Contacted the child's school"),
    "notify_municipality": N_("Notified the child's municipality (underretning)"),
    "notify_police": N_("Reported to the police"),
    "inform_leadership": N_("Informed the school's leadership"),
    "refer_allegation": N_("Referred the allegation to the police or the municipality"),
    # Issue 19, item 9: what a lead records daily beside CPOMS / MyConcern.
    "contact_parents": N_("Contacted the child's parents or carers"),
    "support_given": N_("Support given to the child"),
    "hotline_report": N_("Reported sexual images of the child to a hotline"),
}
# Requests to the platform (requests.py): confirmed first, then sent, withdrawable.
PLATFORM_KINDS: dict[str, str] = {
    "request_restriction": N_("Asked the platform to restrict their messaging pending investigation"),
    "request_suspension": N_("Asked the platform to suspend their account pending investigation"),
    "consent_block": N_("Asked the platform to block the student's access (parental consent)"),
    # Made by the moderator who escalated the item (review/hide.py); the lead can withdraw it.
    HIDE_KIND: HIDE_LABEL,
}
# Asked from an author's account page by a moderator or the lead, on no referral
# (safeguarding/account_requests.py): listed with the account's other standing requests.
ACCOUNT_RESTRICTION = "account_restriction"
ACCOUNT_RESTRICTION_LABEL = N_("Asked the platform to restrict the account's messaging (from the account page)")
ACTION_KINDS: dict[str, str] = {
    **RECORD_KINDS, **PLATFORM_KINDS, ACCOUNT_RESTRICTION: ACCOUNT_RESTRICTION_LABEL,
    "refer_external": N_("Referred to an external authority"),  # rows from before issue 13
    "close": N_("Closed with an outcome"),
    "reply_reporter": N_("Answered the reporter (message in the report's thread)"),
    "request_withdrawal": N_("Withdrew a request to the platform"),
    "evidence_preserved": N_("Evidence preserved (legal hold placed)"),
    "hold_released": N_("Legal hold released"),
}
EXTERNAL_REFERRALS = frozenset({"notify_municipality", "notify_police", "refer_allegation", "refer_external"})
# Records that name a body outside the desk and its reference for the matter (sealed).
WITH_REFERENCE = EXTERNAL_REFERRALS | {"hotline_report"}
SCHOOL_CONTACTS = frozenset({"contact_teacher", "contact_school", "inform_leadership"})
RESTRICTIONS = frozenset({"request_restriction", "request_suspension"})

OUTCOMES: dict[str, str] = {
    "no_concern": N_("No safeguarding concern found"),
    "resolved_with_school": N_("Resolved with the teacher or school"),
    "referred_externally": N_("Referred to an external authority"),
    "access_restricted": N_("The person of concern's access was restricted or suspended pending investigation"),
    "access_blocked": N_("The student's access was blocked (parental consent)"),
    "other": N_("Other (explain below)"),
}
OUTCOME_NEEDS: dict[str, str] = {
    "no_concern": N_("a written reason"),
    "resolved_with_school": N_("a recorded contact with the teacher, the school or its leadership"),
    "referred_externally": N_("a recorded referral to the municipality or the police, with its reference number"),
    "access_restricted": N_("a confirmed restriction or suspension request that was not withdrawn"),
    "access_blocked": N_("a confirmed consent block that was not withdrawn"),
    "other": N_("a written reason"),
}


class SafeguardingError(ValueError):
    """A safeguarding rule was broken; the message is safe to show."""


def rationale(text: str | None, what: str = N_("this step")) -> str:
    """The cleaned rationale, refused when blank, shorter than MIN_RATIONALE or too long.
    Line ends are normalised: a browser sends a textarea's lines as CRLF but a reason carried
    back in a hidden field may come as LF, and the confirmation token binds the exact text."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) < MIN_RATIONALE:
        raise SafeguardingError(_("Write why you are taking %(what)s (at least %(n)s characters): it is kept "
                                  "in the referral for anyone who reviews it later.", what=_(what), n=MIN_RATIONALE))
    return clean_detail(text)


def record_kinds_for(person: SafeguardingPerson) -> list[str]:
    if person.part == CHILD_AT_RISK:
        return ["contact_teacher", "contact_school", "contact_parents", "support_given", "notify_municipality",
                "notify_police", "hotline_report", "note"]
    if person.part == PERSON_OF_CONCERN and not is_child(person.platform_role, person.age_band):
        return ["inform_leadership", "refer_allegation", "note"]
    if person.part == PERSON_OF_CONCERN:
        return ["contact_teacher", "contact_school", "contact_parents", "support_given", "notify_municipality",
                "note"]
    return ["note"]


def platform_kinds_for(person: SafeguardingPerson) -> list[str]:
    if not is_platform_account(person.pseudonym):
        return []  # someone named by description: the platform can only act on an account
    out: list[str] = []
    if person.part == PERSON_OF_CONCERN:
        out.append("request_restriction")
        if not is_child(person.platform_role, person.age_band):
            out.append("request_suspension")
    # The consent block is about a student's parental consent: never for a child at risk.
    if person.part != CHILD_AT_RISK and person.platform_role == "student":
        out.append("consent_block")
    return out


def require_lead(actor: User) -> None:
    if not actor.has_role(Role.SAFEGUARDING_LEAD):
        raise SafeguardingError(_("Only the safeguarding lead can act here."))


def require_open(ref: SafeguardingReferral) -> None:
    if ref.status == ReferralStatus.CLOSED:
        raise SafeguardingError(_("This referral is closed; a new flag or an escalation reopens it."))


def clean_detail(detail: str) -> str:
    detail = detail.strip()
    if len(detail) > MAX_DETAIL:
        raise SafeguardingError(_("Keep the details under %(n)s characters.", n=MAX_DETAIL))
    return detail


def record(session: Session, ref: SafeguardingReferral, person: SafeguardingPerson | None, *, actor: User,
           kind: str, detail: str = "", authority: str = "", authority_ref: str = "",
           hotlines: list[str] | None = None) -> SafeguardingAction:
    """Record one thing the lead did about one person (or a note on the whole referral).
    A hotline report names one of `hotlines` (settings.hotlines) and the hotline's reference;
    the desk never stores or forwards the image itself, only that it was reported."""
    require_lead(actor)
    require_open(ref)
    allowed = record_kinds_for(person) if person is not None else ["note"]
    if kind not in allowed:
        raise SafeguardingError(_("Choose one of the actions offered for this person."))
    detail = clean_detail(detail)
    authority, authority_ref = authority.strip(), authority_ref.strip()
    if kind == "note" and not detail:
        raise SafeguardingError(_("Write the note."))
    if kind in ("contact_parents", "support_given") and not detail:
        raise SafeguardingError(_("Say briefly what was done (who was contacted, what support was given)."))
    if kind == "hotline_report" and authority not in (hotlines or []):
        raise SafeguardingError(_("Choose the hotline you reported to."))
    if kind in WITH_REFERENCE:
        if not authority or not authority_ref:
            raise SafeguardingError(_("Name the authority and give its reference number for the matter."))
        if len(authority) > 200 or len(authority_ref) > 100:
            raise SafeguardingError(_("Keep the authority under 200 and the reference under 100 characters."))
    else:
        authority = authority_ref = ""
    row = SafeguardingAction(
        referral_id=ref.id, person_id=person.id if person else None,
        child_pseudonym=person.pseudonym if person else ref.child_pseudonym, kind=kind,
        detail_sealed=seal_text(detail) if detail else None, authority=authority or None,
        authority_ref_sealed=seal_text(authority_ref) if authority_ref else None, actor_id=actor.id, at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, f"safeguarding.{kind}", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"action_id": row.id, "person_id": row.person_id,
                                            "part": person.part if person else None})
    return row


def _live(session: Session, ref: SafeguardingReferral, kinds: frozenset[str]) -> bool:
    return session.scalar(select(SafeguardingAction.id).where(
        SafeguardingAction.referral_id == ref.id, SafeguardingAction.kind.in_(kinds),
        SafeguardingAction.withdrawn_at.is_(None), SafeguardingAction.at >= ref.opened_at).limit(1)) is not None


def _has_record_for(session: Session, ref: SafeguardingReferral, outcome: str) -> bool:
    if outcome == "referred_externally":
        return session.scalar(select(SafeguardingAction.id).where(
            SafeguardingAction.referral_id == ref.id, SafeguardingAction.kind.in_(EXTERNAL_REFERRALS),
            SafeguardingAction.authority.is_not(None), SafeguardingAction.at >= ref.opened_at).limit(1)) is not None
    if outcome == "resolved_with_school":
        return _live(session, ref, SCHOOL_CONTACTS)
    if outcome == "access_restricted":
        return _live(session, ref, RESTRICTIONS)
    if outcome == "access_blocked":
        return _live(session, ref, frozenset({"consent_block"}))
    return True


def close(session: Session, ref: SafeguardingReferral, *, actor: User, outcome: str,
          detail: str = "") -> SafeguardingAction:
    """Close with an outcome, refused unless the outcome's record exists (see OUTCOME_NEEDS).
    Records made before a reopening do not count for the reopened referral."""
    require_lead(actor)
    require_open(ref)
    if outcome not in OUTCOMES:
        raise SafeguardingError(_("Choose the outcome."))
    if not _has_record_for(session, ref, outcome):
        raise SafeguardingError(_("To close with “%(outcome)s”, first record %(needs)s.",
                                  outcome=_(OUTCOMES[outcome]), needs=_(OUTCOME_NEEDS[outcome])))
    # Every closing needs its rationale (item 8), whatever the outcome or the form sent.
    detail = rationale(detail, _("the closing “%(outcome)s”", outcome=_(OUTCOMES[outcome])))
    now = utcnow()
    row = SafeguardingAction(referral_id=ref.id, child_pseudonym=ref.child_pseudonym, kind="close",
                             detail_sealed=seal_text(detail) if detail else None, outcome=outcome,
                             actor_id=actor.id, at=now)
    session.add(row)
    ref.status, ref.closed_at, ref.closed_by_id, ref.outcome = ReferralStatus.CLOSED, now, actor.id, outcome
    close_report(session, ref, actor=actor, outcome=outcome, now=now)
    session.flush()
    audit.record(session, "safeguarding.close", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"action_id": row.id, "outcome": outcome})
    return row


def actions_for(session: Session, ref: SafeguardingReferral) -> list[tuple[SafeguardingAction, str, str]]:
    """(action, details, authority reference), oldest first, opened for the lead's screen."""
    rows = session.scalars(select(SafeguardingAction).where(SafeguardingAction.referral_id == ref.id)
                           .order_by(SafeguardingAction.at, SafeguardingAction.id))
    return [(a, open_text(a.detail_sealed) or "", open_text(a.authority_ref_sealed) or "") for a in rows]


# A referral's outcome as the case-file outcome of the report it is (for the report figures).
CASE_OUTCOMES: dict[str, str] = {
    "no_concern": CaseOutcome.NOT_SUBSTANTIATED, "referred_externally": CaseOutcome.REFERRED,
    "resolved_with_school": CaseOutcome.SUBSTANTIATED, "access_restricted": CaseOutcome.SUBSTANTIATED,
    "access_blocked": CaseOutcome.SUBSTANTIATED, "other": CaseOutcome.NO_FURTHER_ACTION,
}


def close_report(session: Session, ref: SafeguardingReferral, *, actor: User, outcome: str, now: datetime) -> None:
    """A referral that is an anonymous report closes its case file with it: the reporter's page
    says it is closed and the retention clock starts, as for any closed report."""
    case = session.get(CaseFile, ref.case_id) if ref.case_id is not None else None
    if case is None or case.regime != CaseRegime.SAFEGUARDING or case.status == CaseStatus.CLOSED:
        return
    case.status, case.closed_at, case.retention_clock_from = CaseStatus.CLOSED, now, now
    case.outcome, case.closed_approved_by_id = CASE_OUTCOMES.get(outcome, CaseOutcome.NO_FURTHER_ACTION), actor.id
