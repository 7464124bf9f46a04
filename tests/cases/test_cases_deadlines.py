"""Directive deadlines across month ends and leap years (cases.deadlines)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from c2c_safety.cases import deadlines


def d(y: int, m: int, day: int, h: int = 10) -> datetime:
    return datetime(y, m, day, h, tzinfo=UTC)


@pytest.mark.parametrize(("acknowledged", "feedback_by"), [
    (d(2027, 11, 30), d(2028, 2, 29)),  # into a leap February
    (d(2026, 11, 30), d(2027, 2, 28)),  # into a common February
    (d(2027, 1, 31), d(2027, 4, 30)),  # 31st into a 30-day month
    (d(2028, 1, 31), d(2028, 4, 30)),
    (d(2027, 10, 31), d(2028, 1, 31)),  # over the year end
    (d(2028, 2, 29), d(2028, 5, 29)),  # from a leap day
    (d(2027, 12, 31), d(2028, 3, 31)),
])
def test_feedback_three_calendar_months_after_acknowledgment(acknowledged, feedback_by):
    got = deadlines.compute(acknowledged - timedelta(days=1), acknowledged)
    assert got.feedback_by == feedback_by


def test_acknowledgment_within_seven_days():
    got = deadlines.compute(d(2028, 2, 25), None)
    assert got.acknowledge_by == d(2028, 3, 3)  # over a leap day: 25 Feb + 7 days = 3 March


def test_without_acknowledgment_feedback_runs_from_the_end_of_the_seven_days():
    got = deadlines.compute(d(2027, 11, 23), None)
    assert got.acknowledge_by == d(2027, 11, 30)
    assert got.feedback_by == d(2028, 2, 29)


def test_states():
    due = d(2027, 5, 10)
    assert deadlines.state(due, d(2027, 5, 9), d(2027, 6, 1)) == "met"
    assert deadlines.state(due, d(2027, 5, 11), d(2027, 6, 1)) == "missed"
    assert deadlines.state(due, None, d(2027, 5, 11)) == "overdue"
    assert deadlines.state(due, None, d(2027, 5, 8)) == "due_soon"
    assert deadlines.state(due, None, d(2027, 5, 1)) == "open"


def test_intake_acknowledgment_at_receipt_meets_the_deadline():
    received = d(2027, 1, 31)
    got = deadlines.compute(received, received)
    assert deadlines.state(got.acknowledge_by, received, received) == "met"
    assert got.feedback_by == d(2027, 4, 30)
