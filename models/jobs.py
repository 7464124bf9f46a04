"""When each periodic job last ran: what the admin's job page and `flask jobs status` show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PeriodicRun(Base):
    """One row per periodic job (c2c_safety/core/periodic.py), updated by every run.

    Kept in the database, not in Redis, so a Redis restart cannot make an overdue job look
    fine (or a healthy one look as if it never ran).
    """

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The latest time slot a run started for: a run claims its slot here first, so a slot
    # never runs twice even if Redis forgot that it had enqueued it.
    last_slot: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_started_at: Mapped[datetime | None] = mapped_column(default=None)
    last_finished_at: Mapped[datetime | None] = mapped_column(default=None)
    last_ok_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status: Mapped[str] = mapped_column(String(12), default="never")  # running|ok|failed|never
    # The exception type only: a message could hold content or credentials.
    last_error: Mapped[str | None] = mapped_column(String(120), default=None)
    runs: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
