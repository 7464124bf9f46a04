"""CSV exports that are safe to open in a spreadsheet: the only way the desk writes CSV.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (or as the start of one), and a formula
can run commands (DDE) or send the sheet's contents to another host. Audit rows and reports
carry text other people chose (actor labels, action details, moderators' e-mail addresses),
so every such cell gets a leading apostrophe, which spreadsheets show as plain text and do
not display. Numbers stay numbers: a Python int or float cannot be a formula.
(tests/core/test_csv_export.py checks that no other module writes CSV.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

# Full-width forms too: some spreadsheet locales normalise them to the ASCII signs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def cell(value: object) -> object:
    """The value as it may be written into a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(rows: Iterable[Mapping[str, object]], fieldnames: Sequence[str]) -> str:
    """Rows as CSV text with a header line; keys outside `fieldnames` are an error."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fieldnames))
    writer.writeheader()
    for row in rows:
        writer.writerow({key: cell(value) for key, value in row.items()})
    return buf.getvalue()
