"""AI pre-scores. Assistive only: nothing in the desk acts on these by itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ItemScore(Base):
    """Scores of one subject (a review item or a case file) by one model version.

    Unique per (subject, model version): a re-run job cannot store the same scores twice,
    while a model change adds a new row so history shows which model said what.
    """

    __tablename__ = "item_scores"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "model_version"),
        Index("ix_item_scores_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(8))  # "item" | "case"
    subject_id: Mapped[int] = mapped_column()
    model_name: Mapped[str] = mapped_column(String(120))
    model_version: Mapped[str] = mapped_column(String(64))
    scores: Mapped[dict[str, float]] = mapped_column(JSON)
    reasons: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(12))
    language_reliable: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
