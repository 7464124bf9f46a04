"""Demo data for issue 19 (synthetic only): each state of "one concern, one record".

- A child's own anonymous sextortion report: a referral from the start (no whistleblower
  case), set to Urgent by the lead with a reason, the child and the person of concern added
  by description (receipt 2468-1357-8024-6913 at /report/follow-up).
- A whistleblower case that was about a child, converted to a referral by the lead: the
  reporter's receipt (1357-2468-9135-7913) and messages kept.
- A referral whose author is an adult and whose flagger is a parent: the desk says "child
  not yet identified" until the lead names the real child, whose chronology then lists it.

Idempotent: found by their receipts and platform ids.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.accounts import users as accounts
from c2c_safety.core.crypto import seal_text
from c2c_safety.demo.safeguarding import _item
from c2c_safety.report.reports import ReportInput, find_case, submit_report
from c2c_safety.safeguarding import concerns, risk
from c2c_safety.safeguarding import people as people_service
from models import CaseCategory, CaseMessage, ReviewItem, utcnow
from models.review import SafeguardingReferral

SEXTORTION_RECEIPT = "2468-1357-8024-6913"
CONVERTED_RECEIPT = "1357-2468-9135-7913"
COACH_ITEM = "demo-sg-coach-group"


def _sextortion_category() -> str:
    # rep's child-first categories name it; until then "a child may be at risk".
    return next((c.value for c in CaseCategory if "sextortion" in c.value), CaseCategory.SAFEGUARDING_MINOR.value)


def seed_one_record(session: Session) -> None:
    lead = accounts.get_by_email(session, "lead@demo.c2c")
    if lead is None:
        return
    now = utcnow()
    if find_case(session, SEXTORTION_RECEIPT) is None:
        made = submit_report(session, ReportInput(
            category=_sextortion_category(), what="Synthetic demo: someone I met in a project chat says he will "
            "send my pictures to my class unless I send more. I am 12 and I am scared.",
            when="Yesterday evening"), [], receipt=SEXTORTION_RECEIPT, now=now - timedelta(hours=3))
        ref = concerns.referral_of_case(session, made.case.id)
        assert ref is not None
        proposal = risk.of_referral(ref, [], case=made.case)
        risk.set_level(session, ref, actor=lead, level=risk.URGENT, reason="Sextortion of a 12-year-old: "
                       "images threatened; police to be told today.", proposed=proposal)
        people_service.add(session, ref, actor=lead, pseudonym="the reporter (girl, 12)",
                           part=people_service.CHILD_AT_RISK, platform_role="student", age_band="under13")
        people_service.add(session, ref, actor=lead, pseudonym="unknown adult in a project chat",
                           part=people_service.PERSON_OF_CONCERN, platform_role="unknown", age_band="adult")
    if find_case(session, CONVERTED_RECEIPT) is None:
        made = submit_report(session, ReportInput(
            category=CaseCategory.OTHER.value, what="Synthetic demo: a volunteer in our partner project keeps "
            "asking a pupil in my class to meet him alone after the video call.", when="This month"), [],
            receipt=CONVERTED_RECEIPT, now=now - timedelta(hours=30))
        session.add(CaseMessage(case_id=made.case.id, from_reporter=True, body_sealed=seal_text(
            "He asked again today.")))
        session.flush()
        concerns.convert(session, made.case, actor=lead)
    if session.scalar(select(ReviewItem.id).where(ReviewItem.platform_content_id == COACH_ITEM)) is None:
        item = _item(session, COACH_ITEM, "Synthetic demo: you can come to my place after training, don't "
                     "tell the others.", "demo-coach-31", "adult", "teacher", "group", "13to15",
                     (("demo-parent-31", "parent", "sexual"),), now - timedelta(hours=5))
        ref = session.scalars(select(SafeguardingReferral).where(SafeguardingReferral.item_id == item.id)).first()
        if ref is not None:
            people_service.sync(session, ref)
            people_service.add(session, ref, actor=lead, pseudonym="demo-pupil-32",
                               part=people_service.CHILD_AT_RISK, platform_role="student", age_band="13to15")
    session.commit()
