"""Retention as data: one policy row per data category, and the progress of each sweep.

Anonymised case files stay in `case_files` as statistical stubs: every personal field is
emptied, `anonymised_at` is set, and category, dates and outcome remain for the reports
(retention.sweep). Moderation items are stripped in place the same way and listed in
`anonymised_records` so a sweep never does them twice.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class RetentionCategory(enum.StrEnum):
    CASE_FILES = "case_files"
    MODERATION = "moderation"
    AUDIT_LOG = "audit_log"
    PARENTAL_CONSENT = "parental_consent"
    SAFEGUARDING_REFERRALS = "safeguarding_referrals"


class PeriodUnit(enum.StrEnum):
    DAYS = "days"
    MONTHS = "months"


class RetentionPolicy(Base):
    """How long one category is kept, and what happens after. `floor` is the legal minimum
    an admin cannot go below (same unit as `period`)."""

    __tablename__ = "retention_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32), unique=True)
    period: Mapped[int] = mapped_column()
    unit: Mapped[str] = mapped_column(String(8))
    floor: Mapped[int] = mapped_column()
    clock: Mapped[str] = mapped_column(String(120))  # when the period starts, in words
    action: Mapped[str] = mapped_column(String(16))  # anonymise | prune | delete
    basis: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class RetentionRun(Base):
    """One sweep. Batches commit as they go, so a killed run leaves `running` behind and the
    next run simply finishes the rest (the work is chosen by state, not by this row)."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    clock: Mapped[datetime] = mapped_column()  # the "now" the sweep measured periods against
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="running")  # running|finished|failed|interrupted
    batches: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class AnonymisedRecord(Base):
    """A record of another area (e.g. a moderation item) that retention has stripped."""

    __tablename__ = "anonymised_records"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id"),
        Index("ix_anonymised_records_at", "anonymised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(24))
    record_id: Mapped[int] = mapped_column()
    category: Mapped[str] = mapped_column(String(32))
    anonymised_at: Mapped[datetime] = mapped_column(default=utcnow)
