"""Guessing receipts is slowed: a global failure budget per window, plus a delay per failure."""

from __future__ import annotations

import time

import pytest

from c2c_safety import create_app
from c2c_safety.report import reports
from tests.conftest import make_config
from tests.support.intake import follow_up, receipt_of, submit_report

WINDOW = 2


def _configure(app, limit=3, delay=0.0):
    app.config.update(C2C_FOLLOWUP_FAIL_LIMIT=limit, C2C_FOLLOWUP_FAIL_WINDOW=WINDOW,
                      C2C_FOLLOWUP_FAIL_DELAY=delay)


def _start_of_window():
    # Start right after a window boundary so the whole test runs inside one window.
    time.sleep(WINDOW - (time.time() % WINDOW) + 0.05)


def test_brute_force_is_locked_out_for_everyone_until_the_window_ends(app, client, redis_conn):
    _configure(app)
    receipt = receipt_of(submit_report(client))
    _start_of_window()
    for i in range(3):
        resp = follow_up(client, f"0000-0000-0000-000{i}", environ_base={"REMOTE_ADDR": f"192.0.2.{i}"})
        assert resp.status_code == 401 and "could not find a report" in resp.get_data(as_text=True)
    # Past the budget every follow-up waits, from any client, even with the right receipt.
    locked = follow_up(client, receipt, environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= WINDOW + 1
    assert "Too many wrong codes" in locked.get_data(as_text=True)
    assert "Set-Cookie" not in locked.headers
    assert follow_up(app.test_client(), "1111-1111-1111-1111").status_code == 429
    # After the window the right receipt works again.
    time.sleep(int(locked.headers["Retry-After"]))
    resp = follow_up(client, receipt)
    assert resp.status_code == 200 and "Your report" in resp.get_data(as_text=True)


def test_malformed_codes_do_not_use_up_the_budget(app, client, redis_conn):
    _configure(app, limit=2)
    receipt = receipt_of(submit_report(client))
    _start_of_window()
    for _ in range(5):
        resp = follow_up(client, "12-34")
        assert resp.status_code == 400 and "16 digits" in resp.get_data(as_text=True)
    assert follow_up(client, receipt).status_code == 200


def test_each_failure_is_delayed(app, client, redis_conn):
    _configure(app, limit=100, delay=0.3)
    receipt = receipt_of(submit_report(client))
    start = time.monotonic()
    assert follow_up(client, "9999-9999-9999-9999").status_code == 401
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    assert follow_up(client, receipt).status_code == 200
    assert time.monotonic() - start < 0.3 + 0.25  # the right receipt is not held back


def test_throttle_still_works_with_redis_down(tmp_path, database_url, schema_engine, app):
    down = create_app(make_config(tmp_path, database_url, "redis://127.0.0.1:1/0"))
    try:
        _configure(down, limit=2)
        with reports._local_lock:
            reports._local_counts.clear()
        c = down.test_client()
        receipt = receipt_of(submit_report(c))
        _start_of_window()
        assert [follow_up(c, f"0000-0000-0000-000{i}").status_code for i in range(2)] == [401, 401]
        assert follow_up(c, receipt).status_code == 429
    finally:
        with reports._local_lock:
            reports._local_counts.clear()
        down.extensions["c2c_engine"].dispose()


@pytest.mark.parametrize("raw", ["1234 5678 9012 3456", "1234-5678-9012-3456", " 1234567890123456 "])
def test_receipt_formats_are_normalised(raw):
    assert reports.normalise_receipt(raw) == "1234567890123456"


def test_receipts_are_random_and_well_formed():
    seen = {reports.new_receipt() for _ in range(200)}
    assert len(seen) == 200
    assert all(len(r) == 19 and r.count("-") == 3 for r in seen)
