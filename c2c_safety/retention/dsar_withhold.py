"""What a subject access export leaves out because the subject is the person of concern.

Telling a suspected abuser that a safeguarding lead or a whistleblowing handler is looking
at them can put a child or a reporter at risk, and can destroy evidence. GDPR art. 23(1)
(c), (d), (i) and the Danish Data Protection Act (Databeskyttelsesloven) § 22 let the
controller restrict the right of access for that reason. The restriction must not itself
tip the subject off, so the export never says that something was left out (no counter, no
section that appears only then); the withholding is recorded instead in the audit log
(`dsar.withheld`, with its legal basis and the ids left out), which the data-protection
officer and the independent reviewer read.

Withheld, for a subject S:
- referrals in which S is the person of concern, their people rows, every chronology entry
  and platform request of those referrals, and any entry elsewhere about S's
  person-of-concern row;
- the items of those referrals, and S's items that a moderator escalated (to safeguarding or
  to a case) unless S is named in that item's referral as the child at risk or as
  someone else involved; S's items a case file comes from;
- everything hanging off a withheld item: its decisions and statements (the moderator's
  facts), AI scores, appeals, S's flags on it and S's messages in its conversation;
- decisions that opened a case file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CaseFile, ReviewItem
from models.review import (
    ESCALATIONS,
    Decision,
    SafeguardingAction,
    SafeguardingPerson,
    SafeguardingReferral,
)

# SafeguardingPerson.part (safeguarding/people.py; not imported: safeguarding imports retention).
PERSON_OF_CONCERN = "person_of_concern"
# Requests to the platform about a person (safeguarding/actions.PLATFORM_KINDS): when the
# referral they belonged to is gone, nothing says whom they were about, so they are withheld.
PLATFORM_REQUEST_KINDS = frozenset({"request_restriction", "request_suspension", "consent_block"})

LEGAL_BASIS = ("GDPR art. 23(1)(c), (d) and (i); Databeskyttelsesloven § 22: access restricted "
               "while the subject is the person of concern of a safeguarding or whistleblowing record")


@dataclass
class Withheld:
    referral_ids: set[int] = field(default_factory=set)
    person_ids: set[int] = field(default_factory=set)
    item_ids: set[int] = field(default_factory=set)
    case_ids: set[int] = field(default_factory=set)
    decision_ids: set[int] = field(default_factory=set)

    def any(self) -> bool:
        return bool(self.referral_ids or self.item_ids or self.case_ids or self.decision_ids)

    def audit_details(self) -> dict[str, object]:
        """Ids only: the audit log never holds text."""
        return {"legal_basis": LEGAL_BASIS,
                "referral_ids": sorted(self.referral_ids), "item_ids": sorted(self.item_ids),
                "case_ids": sorted(self.case_ids), "decision_ids": sorted(self.decision_ids)}

    def action_withheld(self, a: SafeguardingAction) -> bool:
        if a.referral_id is not None and a.referral_id in self.referral_ids:
            return True
        if a.person_id is not None and a.person_id in self.person_ids:
            return True
        return a.referral_id is None and a.kind in PLATFORM_REQUEST_KINDS


def find(session: Session, subject: str) -> Withheld:
    out = Withheld()
    concern = session.execute(select(SafeguardingPerson.id, SafeguardingPerson.referral_id).where(
        SafeguardingPerson.pseudonym == subject, SafeguardingPerson.part == PERSON_OF_CONCERN)).all()
    out.person_ids = {pid for pid, _ in concern}
    out.referral_ids = {rid for _, rid in concern}
    # Any person-of-concern row about the subject's pseudonym on a referral where the
    # subject is also listed otherwise cannot exist (one row per person and referral), so
    # the person rows above are all that name them as the person of concern.
    if out.referral_ids:
        out.item_ids |= set(session.scalars(select(SafeguardingReferral.item_id).where(
            SafeguardingReferral.id.in_(out.referral_ids))))
    own = select(ReviewItem.id).where(ReviewItem.author_pseudonym == subject)
    # Items a case file comes from, directly or by a decision that opened the case.
    cases = session.execute(select(CaseFile.id, CaseFile.review_item_id).where(
        CaseFile.review_item_id.in_(own))).all()
    out.case_ids |= {cid for cid, _ in cases}
    out.item_ids |= {iid for _, iid in cases if iid is not None}
    for did, iid, cid in session.execute(select(Decision.id, Decision.item_id, Decision.case_file_id).where(
            Decision.item_id.in_(own), Decision.case_file_id.is_not(None))):
        out.decision_ids.add(did)
        out.item_ids.add(iid)
        if cid is not None:
            out.case_ids.add(cid)
    # Escalated items: withheld unless the subject is named in the item's referral in a part
    # that is theirs to see (a child who wrote about self-harm sees their own referral).
    escalated = set(session.scalars(select(Decision.item_id).where(
        Decision.item_id.in_(own), Decision.action.in_([str(a) for a in ESCALATIONS]))))
    if escalated:
        named_otherwise = set(session.scalars(
            select(SafeguardingReferral.item_id)
            .join(SafeguardingPerson, SafeguardingPerson.referral_id == SafeguardingReferral.id)
            .where(SafeguardingReferral.item_id.in_(escalated), SafeguardingPerson.pseudonym == subject,
                   SafeguardingPerson.part != PERSON_OF_CONCERN)))
        out.item_ids |= escalated - named_otherwise
    if out.item_ids:
        # A referral on a withheld item (e.g. one that names its adult author as "the child").
        out.referral_ids |= set(session.scalars(select(SafeguardingReferral.id).where(
            SafeguardingReferral.item_id.in_(out.item_ids))))
        out.decision_ids |= set(session.scalars(select(Decision.id).where(Decision.item_id.in_(out.item_ids))))
    return out
