"""Calendar arithmetic the desk's legal periods need (months are calendar months)."""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(when: datetime, months: int) -> datetime:
    """`when` moved by `months` calendar months; the day is clamped to the shorter month
    (30 November + 3 months is 28/29 February, never 2 March)."""
    month_index = when.month - 1 + months
    year = when.year + month_index // 12
    month = month_index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)
