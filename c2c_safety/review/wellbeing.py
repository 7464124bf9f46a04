"""Reviewer wellbeing and the automation-bias watch.

- Sensitive items (sexual, self-harm, grooming by AI band medium/high or by flag reason)
  are shown collapsed until the reviewer reveals them (templates use <details>, no script).
- Each reviewer's exposure to such items is counted per day (once per item per day) and
  shown to them and to admins.
- `automation_bias_summary` lets the independent reviewer see very fast agreement with the
  AI per moderator (rubber-stamping).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c2c_safety.review import priority
from models import ReviewItem, User, utcnow
from models.review import Decision, ReviewerExposure

FAST_SECONDS = 30.0  # agreeing with the AI in under this is flagged as possibly rubber-stamped


def is_sensitive(item: ReviewItem, scores: Mapping[str, float] | None) -> bool:
    return sensitive_from([f.reason_category for f in item.flags], scores)


def sensitive_from(flag_reasons: Iterable[str], scores: Mapping[str, float] | None) -> bool:
    """Sexual, self-harm or grooming by a flag reason, or by an AI band medium or high."""
    if any(priority.reason_category(r) in priority.SENSITIVE_CATEGORIES for r in flag_reasons):
        return True
    return any(c in priority.SENSITIVE_CATEGORIES and b != "low"
               for c, b in priority.bands(scores).items())


def record_exposure(session: Session, user: User, item_id: int, now: datetime | None = None) -> None:
    """Count that `user` opened a high-severity item today (idempotent per item and day)."""
    now = now or utcnow()
    today = now.date()
    exists = session.scalar(select(ReviewerExposure.id).where(
        ReviewerExposure.user_id == user.id, ReviewerExposure.day == today,
        ReviewerExposure.item_id == item_id))
    if exists is not None:
        return
    try:
        with session.begin_nested():
            session.add(ReviewerExposure(user_id=user.id, item_id=item_id, day=today, at=now))
    except IntegrityError:
        pass  # the same reviewer in two tabs at once: already counted


def exposure_today(session: Session, user: User, now: datetime | None = None) -> int:
    today = (now or utcnow()).date()
    return session.scalar(select(func.count()).select_from(ReviewerExposure).where(
        ReviewerExposure.user_id == user.id, ReviewerExposure.day == today)) or 0


@dataclass(frozen=True)
class ExposureRow:
    user_id: int
    email: str
    day: date
    count: int


def exposure_summary(session: Session, days: int = 14, now: datetime | None = None) -> list[ExposureRow]:
    since = (now or utcnow()).date() - timedelta(days=days - 1)
    rows = session.execute(
        select(ReviewerExposure.user_id, User.email, ReviewerExposure.day, func.count())
        .join(User, User.id == ReviewerExposure.user_id)
        .where(ReviewerExposure.day >= since)
        .group_by(ReviewerExposure.user_id, User.email, ReviewerExposure.day)
        .order_by(ReviewerExposure.day.desc(), User.email)
    ).all()
    return [ExposureRow(r[0], r[1], r[2], int(r[3])) for r in rows]


@dataclass(frozen=True)
class BiasRow:
    moderator_id: int
    email: str
    decisions: int
    with_ai_position: int  # decisions where the AI band was high or low
    agreed: int
    agreement_rate: float | None
    fast_agreements: int  # agreed in under FAST_SECONDS
    fast_agreement_rate: float | None
    median_seconds: float | None
    # Decisions on sensitive content this moderator never revealed (they confirmed deciding
    # without looking): a sign of deciding on the AI's word, or of protecting themselves.
    unrevealed: int = 0
    # Same-text items decided along with one the moderator had open (review/bulk.py): counted
    # apart, so a spam wave does not read as dozens of zero-second agreements (issue 22.1).
    bulk: int = 0


def automation_bias_summary(session: Session, since: datetime) -> list[BiasRow]:
    """Per moderator since `since`: how often they agreed with the AI and how fast."""
    rows = session.execute(
        select(Decision.decided_by_id, User.email, Decision.ai_agreed, Decision.time_on_item_seconds,
               Decision.content_revealed, Decision.bulk_of_id)
        .join(User, User.id == Decision.decided_by_id)
        .where(Decision.created_at >= since)
        .order_by(Decision.decided_by_id)
    ).all()
    grouped: dict[int, list[tuple[str, bool | None, float | None]]] = {}
    unrevealed: dict[int, int] = {}
    bulk: dict[int, int] = {}
    emails: dict[int, str] = {}
    for uid, email, ai_agreed, seconds, revealed, bulk_of in rows:
        emails[uid] = email
        if revealed is False:
            unrevealed[uid] = unrevealed.get(uid, 0) + 1
        if bulk_of is not None:
            bulk[uid] = bulk.get(uid, 0) + 1
            continue
        grouped.setdefault(uid, []).append((email, ai_agreed, seconds))
    out: list[BiasRow] = []
    for uid in emails:
        items = grouped.get(uid, [])
        positioned = [x for x in items if x[1] is not None]
        agreeing = [x for x in positioned if x[1]]
        fast = [x for x in agreeing if x[2] is not None and x[2] < FAST_SECONDS]
        times = [x[2] for x in items if x[2] is not None]
        out.append(BiasRow(
            moderator_id=uid, email=emails[uid], decisions=len(items),
            with_ai_position=len(positioned), agreed=len(agreeing),
            agreement_rate=len(agreeing) / len(positioned) if positioned else None,
            fast_agreements=len(fast),
            fast_agreement_rate=len(fast) / len(positioned) if positioned else None,
            median_seconds=statistics.median(times) if times else None,
            unrevealed=unrevealed.get(uid, 0), bulk=bulk.get(uid, 0),
        ))
    out.sort(key=lambda r: (-(r.fast_agreement_rate or 0.0), r.email))
    return out
