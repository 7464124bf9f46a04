"""The independent reviewer's own records: review notes and weekly quality samples."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Verdict(enum.StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"


class ReviewNote(Base):
    """A note by the independent reviewer, on a case, a decision or in general.

    `case_id` is set for notes about a case so conflict exclusion and retention follow it.
    """

    __tablename__ = "review_notes"
    __table_args__ = (Index("ix_review_notes_case", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_files.id", ondelete="CASCADE"), default=None
    )
    decision_id: Mapped[int | None] = mapped_column(default=None)
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class QualitySample(Base):
    """One moderator decision drawn into a week's sample, and the reviewer's verdict on it.

    The draw is seeded by ISO week, so the same week always yields the same sample.
    `decision_id` points at the review desk's decisions (no foreign key: that table belongs
    to another area and may be pruned by its own retention).
    """

    __tablename__ = "quality_samples"
    __table_args__ = (
        UniqueConstraint("iso_year", "iso_week", "decision_id"),
        Index("ix_quality_samples_week", "iso_year", "iso_week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    iso_year: Mapped[int] = mapped_column()
    iso_week: Mapped[int] = mapped_column()
    decision_id: Mapped[int] = mapped_column()
    moderator_id: Mapped[int | None] = mapped_column(default=None)
    category: Mapped[str] = mapped_column(String(40), default="")
    verdict: Mapped[str | None] = mapped_column(String(10), default=None)
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
