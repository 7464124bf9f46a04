"""The anonymous channel keeps no address, no user agent, and sends no cookie."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, String, Text, select
from sqlalchemy.types import JSON

import models
from c2c_safety.core.crypto import CryptoError, open_bytes
from tests.report.test_attachments import jpeg_with_gps
from tests.support.intake import (
    flag_body,
    follow_up,
    form_token,
    make_key,
    post_flag,
    receipt_of,
    submit_report,
)

ADDRESS = "203.0.113.77"
AGENT = "Mozilla/5.0 (DistinctiveTestBrowser-7Q4Z; Anonymous Reporter)"
WHO = {"environ_base": {"REMOTE_ADDR": ADDRESS}, "headers": {"User-Agent": AGENT,
                                                                "X-Forwarded-For": "198.51.100.23"}}


@pytest.fixture(autouse=True)
def _fast(app, redis_conn):
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def _anonymous_session(client):
    """A reporter's whole visit: form, report with files, wrong code, follow-up, reply."""
    receipt = receipt_of(submit_report(client, {"what": "It happened", "contact": ""
                                                "", "attachments": [(io.BytesIO(jpeg_with_gps()), "a.jpg")]},
                                       **WHO))
    follow_up(client, "0000-0000-0000-0000", **WHO)
    follow_up(client, receipt, **WHO)
    follow_up(client, receipt, action="reply", message="more", **WHO)
    return receipt


def test_no_set_cookie_on_anonymous_routes(client):
    responses = [client.get("/report"), client.get("/report?lang=da"), client.get("/report/follow-up")]
    resp = submit_report(client)
    responses.append(resp)
    receipt = receipt_of(resp)
    responses += [follow_up(client, receipt), follow_up(client, receipt, action="reply", message="hi"),
                  follow_up(client, "1234-1234-1234-1234"), follow_up(client, "12"),
                  client.post("/report", data={"what": "no token"}),
                  client.post("/report", data={}, content_type="multipart/form-data",
                              environ_overrides={"CONTENT_LENGTH": str(40 * 1024 * 1024)})]
    for r in responses:
        assert "Set-Cookie" not in r.headers, (r.status_code, r.headers.get("Set-Cookie"))
    assert {r.status_code for r in responses} >= {200, 400, 401, 413}
    assert not client.get_cookie("c2c_session")


def test_no_cookie_even_for_someone_already_signed_in(client, signed_in):
    signed_in("moderator")
    before = client.get_cookie("c2c_session").value
    for r in (client.get("/report"), submit_report(client)):
        assert "Set-Cookie" not in r.headers
    assert client.get_cookie("c2c_session").value == before


def _plain_values(app, db):
    """Every text/blob/JSON value in every table; sealed blobs are opened too."""
    found: list[tuple[str, str, str]] = []
    with app.app_context():
        for table in models.Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, String | Text | LargeBinary | JSON)
                    or "Sealed" in type(c.type).__name__]
            if not cols:
                continue
            for row in db.execute(select(*cols)).all():
                for col, value in zip(cols, row, strict=True):
                    if value is None:
                        continue
                    if isinstance(value, bytes):
                        texts = [value.decode("latin-1")]
                        with contextlib.suppress(CryptoError, ValueError):
                            texts.append(open_bytes(value).decode("utf-8", "replace"))
                    else:
                        texts = [str(value)]
                    found += [(table.name, col.name, t) for t in texts]
    return found


def test_no_client_address_or_user_agent_is_stored_or_logged(app, client, db, caplog, redis_conn):
    caplog.set_level(logging.DEBUG)
    _anonymous_session(client)
    key = make_key(app)
    assert post_flag(client, key, flag_body(), **WHO["headers"]).status_code == 202
    values = _plain_values(app, db)
    assert any(t == "case_files" for t, _, _ in values)  # the scan really saw the case
    assert any("It happened" in v for _, _, v in values)  # and opened sealed values
    for marker in (ADDRESS, "198.51.100.23", AGENT, "DistinctiveTestBrowser"):
        hits = [(t, c) for t, c, v in values if marker in v]
        assert not hits, f"{marker} stored in {hits}"
        assert marker not in caplog.text
        for k in redis_conn.keys("*"):
            assert marker.encode() not in k
            if redis_conn.type(k) == b"string":
                assert marker.encode() not in (redis_conn.get(k) or b"")


def test_our_code_never_reads_the_client_address():
    # One exception: the per-client limit on failed *staff* sign-ins (issue 10), which only the
    # /login views use and which keeps an HMAC of the address for 10 minutes
    # (tests/accounts/test_throttle.py checks the anonymous channel never reaches it).
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in ("c2c_safety", "workers"):
        for path in (root / folder).rglob("*.py"):
            text = path.read_text()
            if re.search(r"remote_addr|X-Forwarded-For|REMOTE_ADDR|access_route", text):
                offenders.append(str(path.relative_to(root)))
    assert offenders == ["c2c_safety/accounts/client_limit.py"]


def test_demo_gunicorn_uses_the_shipped_config_without_client_address():
    # The config itself is tested against a real gunicorn in tests/core/test_gunicorn_logging.py.
    from c2c_safety.core.serving import ACCESS_LOG_FORMAT

    root = Path(__file__).resolve().parents[2]
    text = (root / "c2c_safety" / "demo" / "cli.py").read_text()
    assert '"gunicorn.conf.py"' in text and "--access-logformat" not in text
    assert "ACCESS_LOG_FORMAT" in (root / "gunicorn.conf.py").read_text()
    assert not re.search(r"%\((?:h|a|f|r|q)\)s|\{[^}]*\}[ie]", ACCESS_LOG_FORMAT)


def test_form_tokens_carry_nothing_about_the_visitor(client):
    import base64
    import json

    token = form_token(client, "/report", **WHO)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert set(payload) == {"p", "n", "s"}  # purpose, nonce, the sealed code-to-be (tokens.py)
    sealed = base64.urlsafe_b64decode(payload["s"])
    assert sealed[:2] == b"C2"  # AES-GCM sealed (core/crypto), not the words in clear
