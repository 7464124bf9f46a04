"""API keys: bearer auth, scopes, revocation, the CLI, and what is stored."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from c2c_safety.intake.api_auth import API_SCOPES
from models import ApiClient, AuditEvent
from tests.support.intake import flag_body, make_key, post_flag


@pytest.fixture
def key(app, redis_conn):
    return make_key(app)


def _unauthorized(resp):
    assert resp.status_code == 401, resp.get_data(as_text=True)
    assert resp.is_json and resp.get_json()["error"] == "unauthorized"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"])
def test_missing_or_malformed_header_is_401(client, key, header):
    headers = {"Authorization": header} if header is not None else {}
    _unauthorized(client.post("/api/v1/flags", json=flag_body(), headers=headers))


@pytest.mark.parametrize("mangle", [
    lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),   # right prefix, wrong secret
    lambda k: "c2c_ffffffff_" + k[13:],                  # unknown prefix
    lambda k: "not-a-key",
    lambda k: k + "x" * 300,
])
def test_wrong_key_is_401(client, key, mangle):
    _unauthorized(post_flag(client, mangle(key), flag_body()))


def test_revoked_key_is_401(app, client, key):
    assert post_flag(client, key, flag_body()).status_code == 202
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-clients", "revoke", "platform"])
    assert result.exit_code == 0, result.output
    _unauthorized(post_flag(client, key, flag_body(**{"flag.flagger.id": "u-2"})))
    _unauthorized(client.get("/api/v1/items/1", headers={"Authorization": f"Bearer {key}"}))


def test_wrong_scope_is_403(app, client):
    read_only = make_key(app, "reader", scopes=("items:read",))
    resp = post_flag(client, read_only, flag_body())
    assert resp.status_code == 403
    assert resp.get_json() == {"error": "insufficient_scope", "scope": "flags:write",
                               "message": "This API key lacks the scope 'flags:write'."}
    write_only = make_key(app, "writer", scopes=("flags:write",))
    item_id = post_flag(client, write_only, flag_body()).get_json()["item_id"]
    resp = client.get(f"/api/v1/items/{item_id}", headers={"Authorization": f"Bearer {write_only}"})
    assert resp.status_code == 403 and resp.get_json()["scope"] == "items:read"


def test_only_a_hash_of_the_key_is_stored(app, key, db):
    client = db.scalars(select(ApiClient)).one()
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert client.key_prefix == key[:12]
    for col in ApiClient.__table__.columns:
        assert key[12:] not in str(getattr(client, col.key))


def test_cli_create_prints_the_key_once_and_list_never(app, client, db):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["api-clients", "create", "school-platform", "--scope", "flags:write",
                               "--scope", "items:read"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("c2c_") and len(key) > 40
    assert post_flag(client, key, flag_body()).status_code == 202
    listed = runner.invoke(args=["api-clients", "list"])
    assert "school-platform" in listed.output and key[:12] in listed.output and key not in listed.output
    assert "flags:write items:read" in listed.output and "active" in listed.output
    dup = runner.invoke(args=["api-clients", "create", "school-platform"])
    assert dup.exit_code != 0 and "already exists" in dup.output
    bad = runner.invoke(args=["api-clients", "create", "x", "--scope", "everything"])
    assert bad.exit_code != 0
    assert runner.invoke(args=["api-clients", "revoke", "school-platform"]).exit_code == 0
    assert "revoked" in runner.invoke(args=["api-clients", "list"]).output
    assert runner.invoke(args=["api-clients", "revoke", "nobody"]).exit_code != 0
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "api_client.created" in actions and "api_client.revoked" in actions
    assert all(key not in str(e.details) for e in db.scalars(select(AuditEvent)))


def test_every_api_route_asks_for_a_scope(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        view = app.view_functions[rule.endpoint]
        assert f"{view.__module__}.{view.__name__}" in API_SCOPES, rule.rule


def test_api_needs_no_csrf_and_sets_no_cookie(client, key):
    resp = post_flag(client, key, flag_body())
    assert resp.status_code == 202 and "Set-Cookie" not in resp.headers
