"""What the platform sends us: API clients, review items and the flags that join them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class ScoreStatus(enum.StrEnum):
    PENDING = "pending"  # committed, waiting for a worker
    SCORED = "scored"
    FAILED = "failed"  # retries exhausted: still in the human queue, marked unscored


class ItemStatus(enum.StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    APPEALED = "appealed"
    CLOSED = "closed"


class ApiClient(Base):
    """A platform integration allowed to call the token API. Only a hash of its key is kept."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(200), default="flags:write items:read appeals:write")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ReviewItem(Base):
    """One piece of platform content under review; every flag on it joins this one row."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("content_type", "platform_content_id"),
        # The moderators' queue: waiting items by queue_rank (see review/priority.py), keyset
        # paginated on (queue_rank, id). Partial, so decided items cost the queue nothing.
        Index("ix_review_items_queue", "queue_rank", "id",
              postgresql_where=text("status IN ('open', 'appealed')"),
              sqlite_where=text("status IN ('open', 'appealed')")),
        Index("ix_review_items_score_status", "score_status"),
        Index("ix_review_items_author", "author_pseudonym"),
        # The aging job's look-up: waiting items due to be lifted one severity level.
        Index("ix_review_items_promote", "promote_at",
              postgresql_where=text("promote_at IS NOT NULL"), sqlite_where=text("promote_at IS NOT NULL")),
        # "The items I hold" (decide-and-next, review/loop.py): without it PostgreSQL scans
        # every waiting item to find that a moderator holds none (250 ms at 600,000 waiting).
        Index("ix_review_items_claimed_by", "claimed_by_id",
              postgresql_where=text("claimed_by_id IS NOT NULL"), sqlite_where=text("claimed_by_id IS NOT NULL")),
        # Spam waves: waiting items with the same normalised text (review/bulk.py).
        Index("ix_review_items_text_key", "text_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(24))
    platform_content_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text, default="")
    media_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    author_pseudonym: Mapped[str] = mapped_column(String(128))
    author_age_band: Mapped[str] = mapped_column(String(16))
    author_role: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[str | None] = mapped_column(String(128), default=None)
    chat_kind: Mapped[str | None] = mapped_column(String(16), default=None)  # group | one_to_one
    audience_min_age_band: Mapped[str | None] = mapped_column(String(16), default=None)
    school_country: Mapped[str | None] = mapped_column(String(2), default=None)
    language_hint: Mapped[str | None] = mapped_column(String(12), default=None)
    posted_at: Mapped[datetime | None] = mapped_column(default=None)

    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.OPEN)
    # Set by the review desk when a decision is taken. Intake reopens a decided item when a
    # new flag (from someone who had not flagged it yet) arrives after this moment.
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    flag_count: Mapped[int] = mapped_column(default=0)
    first_flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Scoring state, written by workers. The latest scores live in item_scores.
    score_status: Mapped[str] = mapped_column(String(12), default=ScoreStatus.PENDING)
    score_attempts: Mapped[int] = mapped_column(default=0)
    score_error: Mapped[str | None] = mapped_column(String(300), default=None)
    scoring_lease_until: Mapped[datetime | None] = mapped_column(default=None)
    top_category: Mapped[str | None] = mapped_column(String(16), default=None)
    top_score: Mapped[float | None] = mapped_column(default=None)
    language: Mapped[str | None] = mapped_column(String(12), default=None)
    language_reliable: Mapped[bool | None] = mapped_column(default=None)
    # The highest nudity score of the item's images from the local image model (None: no
    # scored image). With a minor involved it puts "sexual" in play (review/priority.py).
    image_score: Mapped[float | None] = mapped_column(default=None)

    # Queue state (review desk). `priority` is recomputed on every change; higher first.
    priority: Mapped[int] = mapped_column(default=0)
    # The queue's sort key (review/priority.py): severity level first (lifted at most one
    # level by waiting), then priority with waiting time folded in; higher first.
    queue_rank: Mapped[int] = mapped_column(BigInteger, default=0)
    queue_level: Mapped[int] = mapped_column(default=0)  # severity level before any lift, 0..5
    waiting_since: Mapped[datetime | None] = mapped_column(default=None)
    # When waiting lifts the item one level (None: lifted already, or not waiting).
    promote_at: Mapped[datetime | None] = mapped_column(default=None)
    # SHA-256 of the normalised text (review/bulk.py), so one text flagged many times (a spam
    # wave) can be found and decided together. None for texts too short to group.
    text_key: Mapped[str | None] = mapped_column(String(64), default=None)
    minor_involved: Mapped[bool] = mapped_column(default=False)
    safeguarding: Mapped[bool] = mapped_column(default=False)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    claim_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # Collapsed into another item because its image is the same picture (media/collapse.py):
    # its flags joined that item, it is closed, and later flags on its content join that item too.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("review_items.id"), default=None)
    version: Mapped[int] = mapped_column(default=1)

    flags: Mapped[list[Flag]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Flag.id"
    )

    __mapper_args__ = {"version_id_col": version}


class Flag(Base):
    """One person's (or the platform system's) flag on a piece of content."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("item_id", "flagger_pseudonym"),
        UniqueConstraint("api_client_id", "idempotency_key"),
        Index("ix_flags_flagger", "flagger_pseudonym"),  # chronology, flagger reliability
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), default=None)
    flagger_pseudonym: Mapped[str] = mapped_column(String(128))
    flagger_role: Mapped[str] = mapped_column(String(16))
    reason_category: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")
    # The content's text as this flag saw it, kept only when it differs from the item's first
    # snapshot (the author edited the content between two flags): nothing the platform sent is lost.
    text_snapshot: Mapped[str | None] = mapped_column(Text, default=None)
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[ReviewItem] = relationship(back_populates="flags")


class ItemConversation(Base):
    """The conversation around a flagged message, when the platform sends it (optional):
    what kind of conversation it is and the age bands of everyone in it. Its messages are
    ConversationMessage rows; the flagged message itself is the item's text."""

    __tablename__ = "item_conversations"

    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # one_to_one | group | comment_thread
    participant_age_bands: Mapped[list[str]] = mapped_column(JSON, default=list)
    participant_count: Mapped[int | None] = mapped_column(default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationMessage(Base):
    """One message before (position < 0, -1 just before) or after (position > 0) the flagged
    message. The text is sealed like every other personal text (core.crypto)."""

    __tablename__ = "conversation_messages"
    __table_args__ = (
        UniqueConstraint("item_id", "position"),
        Index("ix_conversation_messages_author", "author_pseudonym"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    platform_message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    author_pseudonym: Mapped[str] = mapped_column(String(128))
    author_role: Mapped[str] = mapped_column(String(16))
    author_age_band: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column()
    text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
