"""Turning untrusted query-string and form text into ints, dates, cursors and short strings.

The one place every view reads a typed parameter, because the naive ways each answered 500:

- `'²'.isdigit()` is True but `int('²')` raises; `int('٣')` accepts Arabic-Indic digits;
- Python ints are unbounded, database columns are not: PostgreSQL refuses a bind past its
  column type ("integer out of range"), SQLite's driver past 2**63 (OverflowError);
- `date(9999, 12, 31) + timedelta(days=1)` and `date(1, 1, 1) - timedelta(days=365)` overflow;
- PostgreSQL refuses NUL characters in text parameters.

Every parser returns None (or the caller's default) for anything outside what the column or
the calendar can hold, so a view treats a hostile value exactly like a missing one. Forms use
`BoundedIntegerField`, the same rule for WTForms.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from typing import Any, TypeVar

from flask import request
from wtforms import IntegerField
from wtforms.validators import ValidationError

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1  # INTEGER columns (row ids, counts)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # BIGINT columns (audit seq, queue rank)
# Dates a filter may name: wide enough for any record the desk holds or will hold, narrow
# enough that a year either way of arithmetic stays inside Python's and PostgreSQL's calendars.
MIN_DATE, MAX_DATE = date(1970, 1, 1), date(2999, 12, 31)
MAX_TEXT = 500  # no filter or search box needs more

# ASCII digits only: str.isdigit() and int() both accept other scripts' digits and signs.
_INT = re.compile(r"-?[0-9]{1,19}")
T = TypeVar("T", bound=str)


def parse_int(raw: object, *, lo: int = 1, hi: int = INT32_MAX) -> int | None:
    """An int in [lo, hi] written with ASCII digits (a leading '-' only if lo < 0), else None."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not _INT.fullmatch(text) or (text.startswith("-") and lo >= 0):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def parse_date(raw: object, *, lo: date = MIN_DATE, hi: date = MAX_DATE) -> date | None:
    """An ISO date (YYYY-MM-DD) in [lo, hi], else None."""
    if not isinstance(raw, str) or len(raw) > 10 or not raw.isascii():
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None
    return value if lo <= value <= hi else None


def parse_cursor(raw: object, *bounds: tuple[int, int], sep: str = "_") -> tuple[int, ...] | None:
    """A keyset cursor: len(bounds) ints joined by `sep`, each within its (lo, hi), else None."""
    if not isinstance(raw, str) or not raw or len(raw) > 100:
        return None
    parts = raw.split(sep)
    if len(parts) != len(bounds):
        return None
    values = [parse_int(p, lo=lo, hi=hi) for p, (lo, hi) in zip(parts, bounds, strict=True)]
    if any(v is None for v in values):
        return None
    return tuple(v for v in values if v is not None)


def clean_text(raw: object, max_len: int = MAX_TEXT) -> str:
    """Free text for a filter or search box: at most max_len characters, no NUL."""
    if not isinstance(raw, str):
        return ""
    return raw[: max_len * 2].replace("\x00", "")[:max_len]


def choice(raw: object, allowed: Collection[T], default: T) -> T:
    """One of `allowed`, else `default` (filters only offer known values)."""
    for value in allowed:
        if raw == value:
            return value
    return default


# --- the current request ----------------------------------------------------------------

def arg_int(name: str, *, lo: int = 1, hi: int = INT32_MAX) -> int | None:
    return parse_int(request.args.get(name), lo=lo, hi=hi)


def value_int(name: str, *, lo: int = 1, hi: int = INT32_MAX) -> int | None:
    """From the query string or the form (for pages that GET and POST the same parameter)."""
    return parse_int(request.values.get(name), lo=lo, hi=hi)


def arg_date(name: str, *, lo: date = MIN_DATE, hi: date = MAX_DATE) -> date | None:
    return parse_date(request.args.get(name), lo=lo, hi=hi)


def arg_text(name: str, max_len: int = MAX_TEXT) -> str:
    return clean_text(request.args.get(name), max_len)


def arg_choice(name: str, allowed: Collection[T], default: T) -> T:
    return choice(request.args.get(name), allowed, default)


# --- forms --------------------------------------------------------------------------------

class BoundedIntegerField(IntegerField):  # type: ignore[misc]
    """IntegerField that accepts ASCII digits only and values an INTEGER column can hold
    (override with lo=/hi=); anything else is the field's error, never an exception later."""

    def __init__(self, *args: Any, lo: int = INT32_MIN, hi: int = INT32_MAX, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lo, self.hi = lo, hi

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.data = None
            return
        value = parse_int(raw, lo=self.lo, hi=self.hi) if isinstance(raw, str) else None
        if value is None:
            self.data = None
            raise ValueError(self.gettext(f"Enter a whole number from {self.lo} to {self.hi}."))
        self.data = value

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not (self.lo <= self.data <= self.hi):
            raise ValidationError(f"Enter a whole number from {self.lo} to {self.hi}.")
