"""Case files: anonymous reports and escalations handled under the Whistleblower Directive.

Free text, contact details and attachments are stored sealed (AES-GCM, see
c2c_safety.services.crypto); the blob carries its key id so keys can rotate.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class CaseCategory(enum.StrEnum):
    # A child's own words come first on the reporter's form (issue 21): each is a
    # safeguarding concern (CHILD_CATEGORIES).
    CHILD_MEAN = "child_mean"  # "someone is being mean to me"
    CHILD_SEXUAL = "child_sexual"  # "someone asked me for photos or sent me sexual things"
    CHILD_FRIEND = "child_friend"  # "I'm worried about a friend"
    CHILD_ADULT = "child_adult"  # "I want to tell about an adult"
    # Then the whistleblowing categories for adults.
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


class CaseOutcome(enum.StrEnum):
    """How a closed case ended. The first two count as substantiated in the reports."""

    SUBSTANTIATED = "substantiated"
    PARTLY_SUBSTANTIATED = "partly_substantiated"
    NOT_SUBSTANTIATED = "not_substantiated"
    WITHDRAWN = "withdrawn"
    REFERRED = "referred_externally"
    NO_FURTHER_ACTION = "no_further_action"


# Categories of an anonymous report that are about a child: they are safeguarding concerns,
# handled as referrals on the safeguarding lead's desk with its clock, never as Whistleblower
# Act cases. The reporter's form may add child-first categories; each belongs here.
CHILD_CATEGORIES: frozenset[str] = frozenset({
    CaseCategory.CHILD_MEAN, CaseCategory.CHILD_SEXUAL, CaseCategory.CHILD_FRIEND, CaseCategory.CHILD_ADULT,
    CaseCategory.SAFEGUARDING_MINOR,
})


class ReporterAbout(enum.StrEnum):
    """The reporter's answer to "is this about you?" (optional; nothing that identifies them)."""

    ME = "me"
    SOMEONE_ELSE = "someone_else"


class ReporterAgeBand(enum.StrEnum):
    """The reporter's optional age band: coarse on purpose, so it never narrows to a person."""

    UNDER_10 = "under_10"
    AGE_10_12 = "10_12"
    AGE_13_15 = "13_15"
    AGE_16_17 = "16_17"
    ADULT = "adult"


class MeetingRequest(enum.StrEnum):
    """A whistleblower's request to report in person or orally (Danish Whistleblower Act §15)."""

    MEETING = "meeting"
    ORAL = "oral"


SUBSTANTIATED_OUTCOMES = frozenset({CaseOutcome.SUBSTANTIATED, CaseOutcome.PARTLY_SUBSTANTIATED})


class CaseRegime(enum.StrEnum):
    """Which rules a case file is handled under: the Whistleblower Act (its clocks, legal
    hold, redaction) or safeguarding (a referral on the lead's desk, one clock: the first look)."""

    WHISTLEBLOWING = "whistleblowing"
    SAFEGUARDING = "safeguarding"


class CaseSource(enum.StrEnum):
    ANONYMOUS_REPORT = "anonymous_report"
    ESCALATION = "escalation"


class CaseFile(Base):
    __tablename__ = "case_files"
    __table_args__ = (
        Index("ix_case_files_status", "status"),
        Index("ix_case_files_receipt_lookup", "receipt_lookup"),
        # The retention sweep's candidate scan, in its ORDER BY order so each batch reads only
        # its own rows. Partial: anonymised stubs cost it nothing.
        Index("ix_case_files_retention", "retention_clock_from", "id",
              postgresql_where=text("anonymised_at IS NULL"), sqlite_where=text("anonymised_at IS NULL")),
        # Retention asks, per moderation item, whether a live case still needs it
        # (retention.sweep.due_items): an index lookup, not a scan of every case file.
        Index("ix_case_files_review_item", "review_item_id",
              postgresql_where=text("review_item_id IS NOT NULL"), sqlite_where=text("review_item_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    source: Mapped[str] = mapped_column(String(20), default=CaseSource.ANONYMOUS_REPORT)
    category: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.RECEIVED)
    # Which role's desk the routing rules sent it to (safeguarding_lead, case_handler, ceo,
    # independent_reviewer).
    routed_role: Mapped[str] = mapped_column(String(32))
    regime: Mapped[str] = mapped_column(String(16), default=CaseRegime.WHISTLEBLOWING)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    language: Mapped[str] = mapped_column(String(8), default="en")

    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    occurred_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    involved_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    contact_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # The anonymous reporter's optional answers (small enums above; None: not said).
    reporter_about: Mapped[str | None] = mapped_column(String(16), default=None)
    reporter_age_band: Mapped[str | None] = mapped_column(String(8), default=None)
    # A whistleblower's request for a meeting or an oral report, and when it was made.
    meeting_request: Mapped[str | None] = mapped_column(String(16), default=None)
    meeting_requested_at: Mapped[datetime | None] = mapped_column(default=None)

    # The reporter's receipt: a slow hash (scrypt) plus a short keyed lookup tag so a
    # follow-up finds its case without trying every hash. Neither reveals the receipt.
    receipt_lookup: Mapped[str | None] = mapped_column(String(64), default=None)
    receipt_hash: Mapped[str | None] = mapped_column(String(200), default=None)

    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    feedback_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # When a person at the desk first opened the report: the reporter's status page says
    # "a person has read your report" from then on (no name, no time shown).
    first_read_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    closed_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Closing (cases/closing.py): the handler proposes an outcome with written findings
    # (sealed); a second person who may handle the case approves. A lone handler closes alone,
    # recorded as such (closed_alone).
    findings_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    close_proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    close_proposed_at: Mapped[datetime | None] = mapped_column(default=None)
    close_proposed_outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    close_record_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    closed_alone: Mapped[bool] = mapped_column(default=False)
    legal_hold: Mapped[bool] = mapped_column(default=False)
    anonymised_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the retention clock last (re)started: set at closure, cleared on reopening, moved
    # forward by the time a legal hold paused it (cases.lifecycle). None: the clock is stopped.
    retention_clock_from: Mapped[datetime | None] = mapped_column(default=None)
    # A reopening starts a fresh deadline cycle (cases.deadlines): the reopening is its
    # acknowledgment, and feedback is due three months later. The first cycle's dates
    # (acknowledged_at, feedback_at) stay as they were, for the compliance figures.
    reopened_at: Mapped[datetime | None] = mapped_column(default=None)
    reopen_feedback_at: Mapped[datetime | None] = mapped_column(default=None)
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
    __table_args__ = (Index("ix_case_messages_case", "case_id"),)

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
    __table_args__ = (
        Index("ix_attachments_case", "case_id"),
        Index("ix_attachments_message", "message_id"),  # ON DELETE SET NULL from case_messages
    )

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


# --- handling records (cases.lifecycle / cases.access) ----------------------------


class ExclusionKind(enum.StrEnum):
    EXCLUDED = "excluded"  # marked by a handler or admin: the person the case concerns
    RECUSED = "recused"  # a handler stepped back themselves


class CaseExclusion(Base):
    """A staff account that must not find, open, count or be notified about a case.

    Applies to every role, admin and independent reviewer included (cases.access).
    """

    __tablename__ = "case_exclusions"
    __table_args__ = (
        UniqueConstraint("case_id", "user_id"),
        Index("ix_case_exclusions_user_case", "user_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12), default=ExclusionKind.EXCLUDED)
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The second person who confirmed excluding an independent reviewer (ExclusionRequest).
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class ExclusionRequest(Base):
    """Excluding an independent reviewer from a case waits for a second person (the CEO, or
    the other reviewer): one handler alone must not blind oversight (cases.access)."""

    __tablename__ = "exclusion_requests"
    __table_args__ = (
        Index("uq_exclusion_requests_pending", "case_id", "user_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|confirmed|rejected|withdrawn
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class CaseNote(Base):
    """An internal note; the reporter never sees it."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseTransition(Base):
    """One step of the life cycle. A reopening carries its written reason (sealed)."""

    __tablename__ = "case_transitions"
    __table_args__ = (Index("ix_case_transitions_case", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseRedaction(Base):
    """Personal data removed from a case as irrelevant (Directive Art. 17). No text is kept."""

    __tablename__ = "case_redactions"
    __table_args__ = (Index("ix_case_redactions_case", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(16))  # body, occurred, involved, contact, message, note, attachment
    target_id: Mapped[int | None] = mapped_column(default=None)
    whole: Mapped[bool] = mapped_column(default=True)  # False: one span inside the text
    reason_code: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class LegalHold(Base):
    """A hold stops the retention clock until lifted. CaseFile.legal_hold mirrors the open one."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index("ix_legal_holds_case", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    lifted_at: Mapped[datetime | None] = mapped_column(default=None)


class AlertKind(enum.StrEnum):
    ACK_DUE_SOON = "ack_due_soon"
    ACK_OVERDUE = "ack_overdue"
    FEEDBACK_DUE_SOON = "feedback_due_soon"
    FEEDBACK_OVERDUE = "feedback_overdue"


class CaseAlert(Base):
    """An in-app deadline warning for one handler. Carries no case content."""

    __tablename__ = "case_alerts"
    __table_args__ = (
        UniqueConstraint("user_id", "case_id", "kind", "day"),
        Index("ix_case_alerts_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case_files.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[str] = mapped_column(String(10))  # ISO date of the run: one alert per day at most
    due_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class AssignmentCursor(Base):
    """Round-robin position of one assignment pool (a routed role's cases, the safeguarding
    referrals): the last person given work, so the next goes to whoever comes after them."""

    __tablename__ = "assignment_cursors"

    pool: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_user_id: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
