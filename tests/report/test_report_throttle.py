"""Receipt guessing (issue 10, item 7): no one can shut the follow-up page for everyone.

The old global lock-out let about 30 wrong codes from one client, reusing one form token,
lock every genuine reporter out for ten minutes. Now a wrong code is cheap to answer and
locks nobody out; the receipt's 10^16 codes make guessing hopeless (docs/security.md).
"""

from __future__ import annotations

import logging
import secrets
import time

import pytest

from c2c_safety import create_app
from c2c_safety.report import reports
from tests.conftest import make_config
from tests.support.intake import TOKEN_RE, follow_up, form_token, post_multipart, receipt_of, submit_report

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}


def _wrong() -> str:
    return "-".join(f"{secrets.randbelow(10_000):04d}" for _ in range(4))


def test_a_flood_of_wrong_codes_does_not_stop_a_genuine_reporter(app, client, db):
    receipt = receipt_of(submit_report(client))
    attacker = app.test_client()
    # One form token replayed, as in the finding, and fresh tokens taken from each answer.
    token = form_token(attacker, "/report/follow-up", environ_base=ATTACKER)
    for _ in range(60):
        resp = post_multipart(attacker, "/report/follow-up", {"form_token": token, "receipt": _wrong()},
                              environ_base=ATTACKER)
        assert resp.status_code == 401
    fresh = token
    for _ in range(60):
        resp = post_multipart(attacker, "/report/follow-up", {"form_token": fresh, "receipt": _wrong()},
                              environ_base=ATTACKER)
        assert resp.status_code == 401 and "Retry-After" not in resp.headers
        fresh = TOKEN_RE.search(resp.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    # Straight after the flood, a reporter on another device reads and answers their case.
    reporter = app.test_client()
    resp = follow_up(reporter, receipt)
    assert resp.status_code == 200 and "Your report" in resp.get_data(as_text=True)
    resp = follow_up(reporter, receipt, action="reply", message="Still worried about this.")
    assert resp.status_code == 200 and "Your message has been sent." in resp.get_data(as_text=True)
    # And a reporter who mistypes once during the flood is told so, not told to wait.
    resp = follow_up(reporter, _wrong())
    assert resp.status_code == 401 and "could not find a report" in resp.get_data(as_text=True)


def test_a_wrong_code_is_answered_at_once(app, client):
    """No sleep, no scrypt for a code that names no receipt: answering misses costs the desk
    what any page costs, so a flood of them is the proxy's problem, not a lock-out."""
    receipt_of(submit_report(client))
    token = form_token(client, "/report/follow-up")
    start = time.monotonic()
    for _ in range(20):
        resp = post_multipart(client, "/report/follow-up", {"form_token": token, "receipt": _wrong()})
        assert resp.status_code == 401
    assert time.monotonic() - start < 4.0  # the old page held each wrong code for 1 s


def test_a_flood_is_logged_without_any_client_detail(app, client, caplog):
    app.config["C2C_FOLLOWUP_FLOOD_PER_MINUTE"] = 5
    if time.time() % 60 > 55:  # the tally is per minute: do not straddle a boundary
        time.sleep(61 - time.time() % 60)
    token = form_token(client, "/report/follow-up")
    guesses = [_wrong() for _ in range(8)]
    with caplog.at_level(logging.INFO):
        for guess in guesses:
            post_multipart(client, "/report/follow-up", {"form_token": token, "receipt": guess},
                           environ_base=ATTACKER, headers={"User-Agent": "FloodBot/1.0"})
    warnings = [r for r in caplog.records if "wrong receipt codes this minute" in r.getMessage()]
    assert len(warnings) == 1  # once per minute, not once per code
    text = caplog.text
    assert "203.0.113" not in text and "FloodBot" not in text
    assert not any(g.replace("-", "") in text.replace("-", "") for g in guesses)


def test_guessing_with_redis_down_still_answers_everyone(tmp_path, database_url, schema_engine, app):
    down = create_app(make_config(tmp_path, database_url, "redis://127.0.0.1:1/0"))
    try:
        c = down.test_client()
        receipt = receipt_of(submit_report(c))
        assert [follow_up(c, _wrong()).status_code for _ in range(5)] == [401] * 5
        assert follow_up(c, receipt).status_code == 200
    finally:
        down.extensions["c2c_engine"].dispose()


def test_malformed_codes_are_a_form_error(app, client):
    receipt = receipt_of(submit_report(client))
    for raw in ("12-34", "", "٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥", "1234-5678-9012-345\x00", "x" * 10_000):
        resp = follow_up(client, raw)
        assert resp.status_code == 400 and "7 words" in resp.get_data(as_text=True)
    assert follow_up(client, receipt).status_code == 200


@pytest.mark.parametrize("raw", ["1234 5678 9012 3456", "1234-5678-9012-3456", " 1234567890123456 "])
def test_receipt_formats_are_normalised(raw):
    assert reports.normalise_receipt(raw) == "1234567890123456"


def test_receipts_are_random_and_well_formed():
    seen = {reports.new_receipt() for _ in range(200)}
    assert len(seen) == 200
    assert all(len(r.split()) == 7 for r in seen)
