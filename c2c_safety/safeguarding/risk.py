"""How urgent a piece of work on the safeguarding desk is: three levels with their reasons,
so the desk can put the riskiest first and say why.

- **Urgent**: an adult person of concern and a child (the one-to-one contact that grooming
  starts with, or any contact with an under-13); grooming or sexual content where a child
  is involved; self-harm (a child may hurt themselves).
- **High**: threats; a moderator escalated it (a person judged it serious); a child at risk
  under 13; a one-to-one chat with a child; it was reopened by a new flag; an anonymous
  safeguarding report (its text has to be read to judge, so it is never ranked low).
- **Standard**: everything else.

An anonymous report about a child is proposed by its category (sexual images, sextortion,
grooming, abuse or self-harm: **Urgent**; anything else **High**, its text must be read to
judge) and by the classifier's scores on its text (grooming, sexual or self-harm above the
review threshold: **Urgent**, saying so).

The desk only *proposes*: the lead sets or overrides the level with a reason
(`set_level`), kept as history in `RiskAssessment`; the latest setting is the referral's
level. Ordering only: the level decides nothing, and AI scores count only as stated reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.core.locale import N_
from c2c_safety.review import priority
from c2c_safety.review.referrals import ESCALATED
from c2c_safety.safeguarding.people import CHILD_AT_RISK, PERSON_OF_CONCERN, is_child
from classifiers import REVIEW_THRESHOLDS
from models import CaseFile, ReviewItem, User, utcnow
from models.review import RiskAssessment, SafeguardingPerson, SafeguardingReferral
from models.scoring import ItemScore

URGENT, HIGH, STANDARD = 3, 2, 1
LEVELS: dict[int, str] = {URGENT: N_("Urgent"), HIGH: N_("High"), STANDARD: N_("Standard")}


@dataclass(frozen=True)
class Risk:
    level: int
    reasons: tuple[str, ...]
    set_by_lead: bool = False  # the lead's own judgement (else the desk's proposal)

    @property
    def label(self) -> str:
        return str(_(LEVELS[self.level]))


def _categories(ref: SafeguardingReferral, item: ReviewItem | None) -> set[str]:
    cats = {priority.reason_category(f.reason_category) for f in item.flags} if item is not None else set()
    for reason in ref.reasons:
        for c in ("grooming", "self_harm", "sexual", "threat"):
            if c.replace("_", " ") in reason:
                cats.add(c)
    return cats


def of_referral(ref: SafeguardingReferral, people: list[SafeguardingPerson], *, reopened: bool = False,
                case: CaseFile | None = None, scores: Mapping[str, float] | None = None) -> Risk:
    """The desk's proposal (see the module docstring); `case` for a referral that is a report."""
    item = ref.item
    if item is None:
        return of_case_report(case, scores) if case is not None else of_report()
    cats = _categories(ref, item)
    children = [p for p in people if p.part == CHILD_AT_RISK]
    adult_concern = [p for p in people if p.part == PERSON_OF_CONCERN and not is_child(p.platform_role, p.age_band)]
    under13 = any(p.age_band == "under13" for p in children)
    one_to_one = item.chat_kind == "one_to_one"
    urgent: list[str] = []
    high: list[str] = []
    if adult_concern and children and (one_to_one or under13):
        urgent.append(_("an adult in contact with a child in a one-to-one chat") if one_to_one
                      else _("an adult in contact with a child under 13"))
    if cats & {"grooming", "sexual"} and children:
        urgent.append(_("grooming or sexual content involving a child"))
    if "self_harm" in cats:
        urgent.append(_("a risk of self-harm"))
    if "threat" in cats:
        high.append(_("a threat"))
    if ESCALATED in ref.reasons:
        high.append(_("escalated by a moderator"))
    if under13:
        high.append(_("a child under 13 at risk"))
    if one_to_one and children:
        high.append(_("a one-to-one chat with a child"))
    if reopened:
        high.append(_("reopened by a new flag"))
    if urgent:
        return Risk(URGENT, tuple(urgent + high))
    if high:
        return Risk(HIGH, tuple(high))
    return Risk(STANDARD, (_("no urgent sign recorded"),))


def of_report() -> Risk:
    return Risk(HIGH, (_("anonymous safeguarding report: read it to judge the risk"),))

# Words in a child category's code that make a report urgent on its own (rep's child-first
# categories, e.g. "sexual_images", "sextortion", "self_harm"; matched on the code so a new
# category is ranked without a change here).
URGENT_CATEGORY_WORDS = ("sextortion", "sexual", "image", "groom", "abuse", "self_harm", "suicide", "danger")
AI_URGENT = ("grooming", "sexual", "self_harm")


def of_case_report(case: CaseFile, scores: Mapping[str, float] | None = None) -> Risk:
    """The desk's proposal for a referral that is an anonymous report."""
    urgent: list[str] = []
    label = case.category.replace("_", " ")
    if any(w in case.category for w in URGENT_CATEGORY_WORDS):
        urgent.append(_("reported as %(category)s", category=label))
    for c in AI_URGENT:
        if scores and float(scores.get(c, 0.0)) >= REVIEW_THRESHOLDS.get(c, 0.5):
            urgent.append(_("AI score for %(category)s above its review threshold", category=c.replace("_", " ")))
    if urgent:
        return Risk(URGENT, tuple(urgent))
    return Risk(HIGH, (_("anonymous report (%(category)s): read it to judge the risk", category=label),))


def case_scores(session: Session, case_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """The latest classifier scores of each report's text (none while not yet scored)."""
    ids = list(case_ids)
    out: dict[int, dict[str, float]] = {}
    if not ids:
        return out
    for row in session.scalars(select(ItemScore).where(ItemScore.subject_type == "case",
                                                       ItemScore.subject_id.in_(ids)).order_by(ItemScore.id)):
        out[row.subject_id] = {k: float(v) for k, v in (row.scores or {}).items()}
    return out


def latest_settings(session: Session, referral_ids: Iterable[int]) -> dict[int, RiskAssessment]:
    ids = list(referral_ids)
    out: dict[int, RiskAssessment] = {}
    if ids:
        for row in session.scalars(select(RiskAssessment).where(RiskAssessment.referral_id.in_(ids))
                                   .order_by(RiskAssessment.id)):
            out[row.referral_id] = row
    return out


def effective(proposal: Risk, setting: RiskAssessment | None) -> Risk:
    """The lead's latest setting wins; the proposal's reasons stay visible beside it."""
    if setting is None or setting.level not in LEVELS:
        return proposal
    return Risk(setting.level, (_("set by the lead"),), set_by_lead=True)


class RiskError(ValueError):
    """A risk setting was refused; the message is safe to show."""


MAX_REASON = 2000


def set_level(session: Session, ref: SafeguardingReferral, *, actor: User, level: int, reason: str,
              proposed: Risk) -> RiskAssessment:
    """The lead sets or overrides the referral's risk level, with a reason (sealed), kept
    as history. Audited with the levels, never the reason's text."""
    if not actor.has_role("safeguarding_lead"):
        raise RiskError(_("Only a safeguarding lead sets the risk level."))
    if level not in LEVELS:
        raise RiskError(_("Choose a risk level."))
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise RiskError(_("Say why (a few words are enough)."))
    if len(reason) > MAX_REASON:
        raise RiskError(_("Keep the reason under %(n)s characters.", n=MAX_REASON))
    before = latest_settings(session, [ref.id]).get(ref.id)
    row = RiskAssessment(referral_id=ref.id, level=level, proposed_level=proposed.level,
                         reason_sealed=seal_text(reason), set_by_id=actor.id, at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, "safeguarding.risk_set", actor=actor, target_type="safeguarding_referral",
                 target_id=ref.id, details={"level": LEVELS[level], "proposed": LEVELS[proposed.level],
                                            "previous": LEVELS[before.level] if before else None})
    return row


def history(session: Session, ref: SafeguardingReferral) -> list[tuple[RiskAssessment, str]]:
    """Every setting, newest first, with its reason opened for the lead's screen."""
    rows = session.scalars(select(RiskAssessment).where(RiskAssessment.referral_id == ref.id)
                           .order_by(RiskAssessment.id.desc()))
    return [(r, open_text(r.reason_sealed) or "") for r in rows]
