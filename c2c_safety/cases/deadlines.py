"""Whistleblower Directive (2019/1937) deadlines, Art. 9(1)(b) and (f).

- acknowledge within 7 days of receipt;
- give feedback within 3 months of the acknowledgment, or, if none was sent, of the end of
  the 7-day window after receipt.

"3 months" is calendar months: 30 November + 3 months is 28/29 February (the last day of
the shorter month), never 2 March.

A reopened case starts a fresh cycle at the reopening (`current_cycle`): the handler who
reopens it has taken it up again, which is its acknowledgment, and feedback is due three
months later. The first cycle's dates are kept for the compliance figures.

An escalation from the moderators' queue has no reporter: the Directive's clocks do not
apply (nobody to acknowledge or give feedback to). It runs on the desk's internal service
level instead (`internal`): take it up within 2 days, conclude within 30 days of receipt.
It raises no Directive deadline alerts and is counted apart in the reviewer's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from c2c_safety.core.calendar import add_months

ACK_DAYS = 7
FEEDBACK_MONTHS = 3
DUE_SOON = timedelta(days=3)
INTERNAL_TAKE_UP = timedelta(days=2)
INTERNAL_CONCLUDE = timedelta(days=30)


@dataclass(frozen=True)
class Deadlines:
    acknowledge_by: datetime
    feedback_by: datetime


def compute(received_at: datetime, acknowledged_at: datetime | None) -> Deadlines:
    ack_by = received_at + timedelta(days=ACK_DAYS)
    start = acknowledged_at if acknowledged_at is not None else ack_by
    return Deadlines(acknowledge_by=ack_by, feedback_by=add_months(start, FEEDBACK_MONTHS))


def internal(received_at: datetime) -> Deadlines:
    """An escalation's internal service level: take up by, conclude by (no statutory force)."""
    return Deadlines(acknowledge_by=received_at + INTERNAL_TAKE_UP, feedback_by=received_at + INTERNAL_CONCLUDE)


def state(due: datetime, done: datetime | None, now: datetime) -> str:
    """'met', 'missed', 'overdue', 'due_soon' or 'open' for one deadline."""
    if done is not None:
        return "met" if done <= due else "missed"
    if now > due:
        return "overdue"
    if due - now <= DUE_SOON:
        return "due_soon"
    return "open"


@dataclass(frozen=True)
class Cycle:
    """The deadlines that apply now, and when each was met (None: not yet)."""

    deadlines: Deadlines
    acknowledged_at: datetime | None
    feedback_at: datetime | None
    reopened_at: datetime | None


def current_cycle(received_at: datetime, acknowledged_at: datetime | None, feedback_at: datetime | None,
                  reopened_at: datetime | None = None,
                  reopen_feedback_at: datetime | None = None) -> Cycle:
    if reopened_at is None:
        return Cycle(compute(received_at, acknowledged_at), acknowledged_at, feedback_at, None)
    fresh = Deadlines(acknowledge_by=reopened_at + timedelta(days=ACK_DAYS),
                      feedback_by=add_months(reopened_at, FEEDBACK_MONTHS))
    return Cycle(fresh, reopened_at, reopen_feedback_at, reopened_at)
