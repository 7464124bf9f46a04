"""What the moderators' queue can be filtered by, and the SQL conditions for a filter.

Shared by the queue's page reads (queue.py) and its counts (queue_count.py), so that
neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_

from c2c_safety.core import params
from c2c_safety.core.locale import N_
from c2c_safety.review import priority
from classifiers import CATEGORIES
from models import Flag, ItemStatus, ReviewItem, ScoreStatus, User

AGE_BANDS = ("under13", "13to15", "16plus", "adult")
SOURCES = ("student", "teacher", "parent", "staff", "system")
STATUSES = {"open": N_("New"), "appealed": N_("Appealed"), "unclaimed": N_("Not claimed"), "mine": N_("Claimed by me")}
WAITING = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "72h": timedelta(hours=72)}
LANGUAGES = ("da", "en", "de", "sv", "no", "es", "fr", "uk", "und")
WAITING_STATES = (ItemStatus.OPEN, ItemStatus.APPEALED)


@dataclass(frozen=True)
class QueueFilters:
    category: str = ""  # a classifier category, or "unscored"
    age_band: str = ""
    language: str = ""
    source: str = ""  # who flagged it: a flagger role
    status: str = ""
    waiting: str = ""

    def cleaned(self) -> QueueFilters:
        """Unknown values are dropped (the filter form only offers known ones)."""
        return QueueFilters(
            category=self.category if self.category in (*CATEGORIES, "unscored") else "",
            age_band=self.age_band if self.age_band in AGE_BANDS else "",
            language=self.language if self.language in LANGUAGES else "",
            source=self.source if self.source in SOURCES else "",
            status=self.status if self.status in STATUSES else "",
            waiting=self.waiting if self.waiting in WAITING else "",
        )

    def active(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Cursor:
    rank: int
    id: int

    def encode(self) -> str:
        return f"{self.rank}_{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        """From the query string: None unless both parts fit their columns (rank BIGINT, id
        INTEGER); a hostile cursor is a first page, never a database error."""
        parts = params.parse_cursor(raw, (params.INT64_MIN, params.INT64_MAX), (1, params.INT32_MAX))
        return cls(parts[0], parts[1]) if parts else None


def in_category(category: str) -> ColumnElement[bool]:
    """The AI's top category, or a flag whose reason maps to it (also review/skips.py)."""
    aliases = [r for r, c in priority.REASON_CATEGORY.items() if c == category] or [category]
    by_flag = exists().where(Flag.item_id == ReviewItem.id, Flag.reason_category.in_(aliases))
    return or_(and_(ReviewItem.top_category == category, ReviewItem.score_status == ScoreStatus.SCORED), by_flag)


def language_of() -> ColumnElement[str | None]:
    return func.coalesce(ReviewItem.language, ReviewItem.language_hint)


def conditions(f: QueueFilters, viewer: User, now: datetime) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [ReviewItem.status.in_(WAITING_STATES)]
    if f.category == "unscored":
        conds.append(ReviewItem.score_status != ScoreStatus.SCORED)
    elif f.category:
        conds.append(in_category(f.category))
    if f.age_band:
        conds.append(ReviewItem.author_age_band == f.age_band)
    if f.language:
        conds.append(language_of() == f.language)
    if f.source:
        conds.append(exists().where(Flag.item_id == ReviewItem.id, Flag.flagger_role == f.source))
    if f.status in ("open", "appealed"):
        conds.append(ReviewItem.status == f.status)
    elif f.status == "unclaimed":
        conds.append(or_(ReviewItem.claimed_by_id.is_(None), ReviewItem.claim_expires_at < now))
    elif f.status == "mine":
        conds.append(and_(ReviewItem.claimed_by_id == viewer.id, ReviewItem.claim_expires_at >= now))
    if f.waiting:
        conds.append(ReviewItem.waiting_since <= now - WAITING[f.waiting])
    return conds
