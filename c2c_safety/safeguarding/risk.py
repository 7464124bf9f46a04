"""How urgent a piece of work on the safeguarding desk is: three levels with their reasons,
so the desk can put the riskiest first and say why.

- **Urgent**: an adult person of concern and a child (the one-to-one contact that grooming
  starts with, or any contact with an under-13); grooming or sexual content where a child
  is involved; self-harm (a child may hurt themselves).
- **High**: threats; a moderator escalated it (a person judged it serious); a child at risk
  under 13; a one-to-one chat with a child; it was reopened by a new flag; an anonymous
  safeguarding report (its text has to be read to judge, so it is never ranked low).
- **Standard**: everything else.

Ordering only: the level decides nothing, and AI scores count only through the referral's
recorded reasons ("AI score for grooming above its review threshold"), as in the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from c2c_safety.review import priority
from c2c_safety.review.referrals import ESCALATED
from c2c_safety.safeguarding.people import CHILD_AT_RISK, PERSON_OF_CONCERN, is_child
from models import ReviewItem
from models.review import SafeguardingPerson, SafeguardingReferral

URGENT, HIGH, STANDARD = 3, 2, 1
LEVELS: dict[int, str] = {URGENT: "Urgent", HIGH: "High", STANDARD: "Standard"}


@dataclass(frozen=True)
class Risk:
    level: int
    reasons: tuple[str, ...]

    @property
    def label(self) -> str:
        return LEVELS[self.level]


def _categories(ref: SafeguardingReferral, item: ReviewItem) -> set[str]:
    cats = {priority.reason_category(f.reason_category) for f in item.flags}
    for reason in ref.reasons:
        for c in ("grooming", "self_harm", "sexual", "threat"):
            if c.replace("_", " ") in reason:
                cats.add(c)
    return cats


def of_referral(ref: SafeguardingReferral, people: list[SafeguardingPerson], *, reopened: bool = False) -> Risk:
    item = ref.item
    cats = _categories(ref, item)
    children = [p for p in people if p.part == CHILD_AT_RISK]
    adult_concern = [p for p in people if p.part == PERSON_OF_CONCERN and not is_child(p.platform_role, p.age_band)]
    under13 = any(p.age_band == "under13" for p in children)
    one_to_one = item.chat_kind == "one_to_one"
    urgent: list[str] = []
    high: list[str] = []
    if adult_concern and children and (one_to_one or under13):
        urgent.append("an adult in contact with a child" + (" in a one-to-one chat" if one_to_one else " under 13"))
    if cats & {"grooming", "sexual"} and children:
        urgent.append("grooming or sexual content involving a child")
    if "self_harm" in cats:
        urgent.append("a risk of self-harm")
    if "threat" in cats:
        high.append("a threat")
    if ESCALATED in ref.reasons:
        high.append("escalated by a moderator")
    if under13:
        high.append("a child under 13 at risk")
    if one_to_one and children:
        high.append("a one-to-one chat with a child")
    if reopened:
        high.append("reopened by a new flag")
    if urgent:
        return Risk(URGENT, tuple(urgent + high))
    if high:
        return Risk(HIGH, tuple(high))
    return Risk(STANDARD, ("no urgent sign recorded",))


def of_report() -> Risk:
    return Risk(HIGH, ("anonymous safeguarding report: read it to judge the risk",))
