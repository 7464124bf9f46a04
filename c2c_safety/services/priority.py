"""Queue priority and safeguarding routing rules (first version; the review desk extends it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from models import ReviewItem

SAFEGUARDING_REASONS = frozenset({"safeguarding", "grooming", "self_harm", "sexual"})


@dataclass(frozen=True)
class Priority:
    score: int
    reasons: list[str] = field(default_factory=list)


def needs_safeguarding(session: Session, item: ReviewItem) -> bool:
    if item.minor_involved and item.chat_kind == "one_to_one":
        return True
    return any(f.reason_category in SAFEGUARDING_REASONS for f in item.flags)


def compute(session: Session, item: ReviewItem) -> Priority:
    reasons: list[str] = []
    score = 0
    if item.minor_involved:
        score += 300
        reasons.append("a minor is involved")
    if item.top_score is not None:
        score += int(item.top_score * 400)
        reasons.append(f"AI top category {item.top_category} at {item.top_score:.2f}")
    else:
        score += 200  # unscored is never ranked below scored just for lacking a score
        reasons.append("not scored yet")
    score += min(item.flag_count, 10) * 20
    return Priority(score, reasons)
