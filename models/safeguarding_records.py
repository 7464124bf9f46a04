"""What the safeguarding desk keeps beside a referral (issue 19, items 6, 8, 9 and 10):

- `ConfirmationUse`: a signed confirmation token that has been spent (single use);
- `SafeguardingEscalation`: an overdue referral escalated to the deputy, then to the CEO,
  once per step and per (re)opening;
- `SafeguardingHold`: evidence preserved for the police, a legal hold on a referral and
  its item that retention respects until it is released;
- `SafeguardingSample`: a referral in the independent reviewer's weekly quality sample.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ConfirmationUse(Base):
    """A spent confirmation token: its nonce can never confirm anything again."""

    __tablename__ = "confirmation_uses"

    nonce: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(60))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)


class SafeguardingEscalation(Base):
    """One step of cover for an overdue referral. `cycle_opened_at` is the referral's
    `opened_at` when it happened, so a reopened referral can be escalated again, while the
    unique key makes each step happen once per cycle however often the job runs."""

    __tablename__ = "safeguarding_escalations"
    __table_args__ = (
        UniqueConstraint("referral_id", "step", "cycle_opened_at"),
        Index("ix_safeguarding_escalations_referral", "referral_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_referrals.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(12))  # deputy | ceo
    cycle_opened_at: Mapped[datetime] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow)
    recipient_ids: Mapped[list[int]] = mapped_column(JSON, default=list)


class SafeguardingHold(Base):
    """Evidence preserved: while `released_at` is None, retention skips the referral, its
    item and its conversation. The reasons are sealed."""

    __tablename__ = "safeguarding_holds"
    __table_args__ = (Index("ix_safeguarding_holds_referral", "referral_id", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_referrals.id", ondelete="CASCADE"))
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    release_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class SafeguardingSample(Base):
    """A referral drawn into a week's quality sample (oversight/safeguarding_sample.py), and the
    independent reviewer's verdict on how it was handled. Seeded by ISO week like the
    moderation sample (reviewer.QualitySample), stored on first draw."""

    __tablename__ = "safeguarding_samples"
    __table_args__ = (
        UniqueConstraint("iso_year", "iso_week", "referral_id"),
        Index("ix_safeguarding_samples_week", "iso_year", "iso_week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    iso_year: Mapped[int] = mapped_column()
    iso_week: Mapped[int] = mapped_column()
    referral_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_referrals.id", ondelete="CASCADE"))
    verdict: Mapped[str | None] = mapped_column(String(10), default=None)
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
