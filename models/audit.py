"""The audit trail: entries, the sequencer's state and the signed checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AuditEvent(Base):
    """One recorded action (see c2c_safety/audit and docs/audit-log.md).

    Written in the action's own transaction as a *pending* entry: its content and `mac`
    (an HMAC of that content and the random `uid`, under a key the database does not hold),
    but no place in the log yet. The sequencer later gives committed pending entries their
    `seq`, links each to the previous one (`prev_hash` -> `hash`) and signs a checkpoint.

    `details` must never hold report or message text or contact details: the trail
    outlives the personal data it describes (retention anonymises cases, not the log).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_case_id", "case_id"),
        Index("ix_audit_events_action_at", "action", "at"),
        # The sequencer's work list: small whatever the size of the log.
        Index("ix_audit_events_pending", "id", postgresql_where=text("seq IS NULL"),
              sqlite_where=text("seq IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    # Random and unique: a copied row is a duplicate the database refuses, not a second entry.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(default=None)
    actor_label: Mapped[str] = mapped_column(String(120), default="system")
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    # Links an entry to a case so conflict exclusion and case retention can follow it.
    case_id: Mapped[int | None] = mapped_column(default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mac: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)
    sequenced_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditLogState(Base):
    """The sequencer's single row: how long the log is and the hash of its last entry.

    Every batch moves it with a compare-and-set (`UPDATE … WHERE size = <size read>`), so
    two sequencers can never both extend the log from the same point.
    """

    __tablename__ = "audit_log_state"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    head: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditCheckpoint(Base):
    """A signed statement about the log, exactly as appended to the witness.

    kind `checkpoint`: "the log had `size` entries and its last hash was `head`";
    kind `pruned`: "entries up to `size` were removed by retention; the last one's hash was
    `head`" (the signed anchor later entries chain from). `body` is the signed JSON line;
    the other columns are copies for querying and are never trusted by `audit verify`.
    """

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_kind_size", "kind", "size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    size: Mapped[int] = mapped_column(BigInteger)
    head: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text)
