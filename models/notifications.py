"""Notices to staff: an in-app inbox row per person and event, and an e-mail outbox.

A notice carries no content and no names: a kind (its category), a target time and a link
to the page where the work is. E-mails are outbox rows written in the same transaction as
the event, then sent by an idempotent job (c2c_safety/notifications/mailer.py), so an SMTP
outage delays a notice but never loses it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (
        # One notice per person and event: a re-run trigger (a retried job, the deadline
        # scan every few minutes) finds its own earlier row and adds nothing.
        UniqueConstraint("dedupe_key"),
        Index("ix_notices_user_created", "user_id", "created_at"),
        # The inbox and the home pages count a person's open notices by kind.
        Index("ix_notices_user_open", "user_id", "resolved_at", "kind"),
        # resolve_for(subject) and the resolvers find every notice about one piece of work.
        Index("ix_notices_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    link: Mapped[str] = mapped_column(String(200))  # a path on the desk, ids only
    target_at: Mapped[datetime | None] = mapped_column(default=None)
    # The case it is about, so the inbox and the mailer re-check the case's visibility rule:
    # someone excluded after the notice was made never sees it.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"),
                                                default=None)
    dedupe_key: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    # The piece of work the notice is about ("referral", "case", "appeal", "webhooks" + its
    # id): a resolver per subject kind (notifications/resolution.py) asks whether the work
    # is done, and a done notice leaves the inbox's main list.
    subject_kind: Mapped[str | None] = mapped_column(String(24), default=None)
    subject_id: Mapped[int | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class EmailStatus:
    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"  # the person left, was disabled or excluded before it went out


class NoticeEmail(Base):
    """The e-mail of one notice. The address is read from the account when it is sent."""

    __tablename__ = "notice_emails"
    __table_args__ = (Index("ix_notice_emails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), unique=True)
    # The Message-ID, fixed when the row is made, so a mail sent twice (a worker died after
    # the server accepted it) is recognisable as the same mail.
    message_id: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(120), default=None)  # exception type only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class NoticePreference(Base):
    """One person's choice for one kind of notice: e-mail too, or in-app only."""

    __tablename__ = "notice_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HomeVisit(Base):
    """When a person last looked at their home page: "changed since your last visit"."""

    __tablename__ = "home_visits"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
