"""Case files: anonymous reports and escalations handled under the Whistleblower Directive.

Free text, contact details and attachments are stored sealed (AES-GCM, see
c2c_safety.services.crypto); the blob carries its key id so keys can rotate.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class CaseCategory(enum.StrEnum):
    SAFEGUARDING_MINOR = "safeguarding_minor"
    ETHICAL = "ethical"
    TEAM_MEMBER = "team_member"
    CEO = "ceo"
    OTHER = "other"


class CaseStatus(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    FEEDBACK_GIVEN = "feedback_given"
    CLOSED = "closed"


class CaseSource(enum.StrEnum):
    ANONYMOUS_REPORT = "anonymous_report"
    ESCALATION = "escalation"


class CaseFile(Base):
    __tablename__ = "case_files"
    __table_args__ = (
        Index("ix_case_files_status", "status"),
        Index("ix_case_files_receipt_lookup", "receipt_lookup"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    source: Mapped[str] = mapped_column(String(20), default=CaseSource.ANONYMOUS_REPORT)
    category: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.RECEIVED)
    # Which role's desk the routing rules sent it to (safeguarding_lead, case_handler, ceo,
    # independent_reviewer).
    routed_role: Mapped[str] = mapped_column(String(32))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    language: Mapped[str] = mapped_column(String(8), default="en")

    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    occurred_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    involved_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    contact_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)

    # The reporter's receipt: a slow hash (scrypt) plus a short keyed lookup tag so a
    # follow-up finds its case without trying every hash. Neither reveals the receipt.
    receipt_lookup: Mapped[str | None] = mapped_column(String(64), default=None)
    receipt_hash: Mapped[str | None] = mapped_column(String(200), default=None)

    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    feedback_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    closed_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    legal_hold: Mapped[bool] = mapped_column(default=False)
    anonymised_at: Mapped[datetime | None] = mapped_column(default=None)
    # The review item this case came from, for escalations from the moderators' queue.
    review_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_items.id"), default=None
    )

    # Scoring state, as on review items.
    score_status: Mapped[str] = mapped_column(String(12), default="pending")
    score_attempts: Mapped[int] = mapped_column(default=0)
    score_error: Mapped[str | None] = mapped_column(String(300), default=None)
    scoring_lease_until: Mapped[datetime | None] = mapped_column(default=None)

    version: Mapped[int] = mapped_column(default=1)

    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseMessage.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    __mapper_args__ = {"version_id_col": version}


class CaseMessage(Base):
    """A message between the reporter and the handler (via the receipt page)."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    from_reporter: Mapped[bool] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[CaseFile] = relationship(back_populates="messages")


class Attachment(Base):
    """An uploaded file, metadata stripped, sealed at rest, never served publicly."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_messages.id", ondelete="SET NULL"), default=None
    )
    from_reporter: Mapped[bool] = mapped_column(default=True)
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    filename_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    data_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[CaseFile] = relationship(back_populates="attachments")
