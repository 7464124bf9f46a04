"""Every JSON route bounds what it reads and the ids it looks up (issue 10, items 10 and 12).

A request body's stream position afterwards says how much of it the server read.
"""

from __future__ import annotations

import io
import json

import pytest

from tests.support.intake import make_key

ROUTES = ["/api/v1/flags", "/api/v1/appeals"]


@pytest.mark.parametrize("route", ROUTES)
def test_a_chunked_nine_megabyte_body_is_refused_without_being_read(app, client, route):
    key = make_key(app, scopes=("flags:write", "appeals:write"))
    body = json.dumps({"decision_id": 1, "appellant": "author", "text": "x" * 9_000_000}).encode()
    stream = io.BytesIO(body)
    resp = client.post(route, input_stream=stream,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 413 and resp.get_json()["error"] == "payload_too_large"
    limit = app.config["C2C"].max_json_bytes
    assert stream.tell() <= limit + 64 * 1024  # stopped at the limit, not after 9 MB


@pytest.mark.parametrize("route", ROUTES)
def test_a_declared_length_over_the_limit_is_refused_before_reading(app, client, route):
    key = make_key(app, scopes=("flags:write", "appeals:write"))
    stream = io.BytesIO(b"{" + b" " * 2_000_000 + b"}")
    resp = client.post(route, input_stream=stream,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                       environ_overrides={"CONTENT_LENGTH": "2000002"})
    assert resp.status_code == 413 and stream.tell() == 0


@pytest.mark.parametrize("decision_id", [2**31, 2**63, 2**70, 10**30, -(2**70)])
def test_appeal_for_an_id_no_column_can_hold_is_a_validation_error(app, client, decision_id):
    key = make_key(app, scopes=("appeals:write",))
    resp = client.post("/api/v1/appeals", json={"decision_id": decision_id, "appellant": "author", "text": "x"},
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "decision_id"


def test_appeal_for_the_largest_id_is_simply_not_found(app, client):
    key = make_key(app, scopes=("appeals:write",))
    resp = client.post("/api/v1/appeals", json={"decision_id": 2**31 - 1, "appellant": "author", "text": "x"},
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 404
