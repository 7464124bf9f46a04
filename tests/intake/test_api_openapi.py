"""The OpenAPI document matches what the API really accepts and returns.

Real requests are validated against the request schema and real responses against the
response schema of their status code (jsonschema, draft 2020-12, which OpenAPI 3.1 uses).
"""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.intake.test_api_validation import INVALID, SERVER_ONLY
from tests.support.intake import flag_body, make_key, post_flag


@pytest.fixture
def doc(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.is_json
    return resp.get_json()


@pytest.fixture
def key(app, redis_conn):
    return make_key(app)


def _validator(doc, schema):
    registry = Registry().with_resource("urn:c2c-openapi", DRAFT202012.create_resource(doc))
    resolved = json.loads(json.dumps(schema).replace('"#/components', '"urn:c2c-openapi#/components'))
    return Draft202012Validator(resolved, registry=registry)


def _request_validator(doc):
    schema = doc["paths"]["/api/v1/flags"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return _validator(doc, schema)


def _check_response(doc, path, method, resp):
    responses = doc["paths"][path][method]["responses"]
    assert str(resp.status_code) in responses, f"{method.upper()} {path}: {resp.status_code} is not documented"
    schema = responses[str(resp.status_code)]["content"]["application/json"]["schema"]
    errors = list(_validator(doc, schema).iter_errors(resp.get_json()))
    assert not errors, [e.message for e in errors]


def test_document_is_well_formed(doc):
    assert doc["openapi"].startswith("3.1")
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name
    for path_item in doc["paths"].values():
        for op in path_item.values():
            assert op["operationId"] and op["responses"]


def test_document_lists_the_intake_routes_and_only_real_ones(app, doc):
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1/")}
    assert {"/api/v1/flags", "/api/v1/items/{item_id}", "/api/v1/openapi.json"} <= set(doc["paths"])
    assert set(doc["paths"]) <= routes


def test_enums_in_the_document_are_the_ones_enforced(doc):
    schemas = doc["components"]["schemas"]
    reason = schemas["FlagDetailsIn"]["properties"]["reason"]["enum"]
    assert "grooming" in reason and "self_harm" in reason and len(reason) == 10
    assert schemas["AuthorIn"]["properties"]["age_band"]["enum"] == ["under13", "13to15", "16plus", "adult"]
    assert schemas["ContentIn"]["properties"]["text"]["maxLength"] == 20_000


@pytest.mark.parametrize("body", [
    flag_body(),
    flag_body(**{"content.type": "chat_message", "context.chat_kind": "group", "flag.flagger.role": "system"}),
    {"content": {"id": "p-2", "type": "profile"}, "author": {"id": "u-1", "age_band": "adult", "role": "teacher"},
     "flag": {"flagger": {"id": "parent-7", "role": "parent"}, "reason": "privacy",
              "flagged_at": "2025-01-02T03:04:05.678Z"}},
])
def test_valid_requests_and_their_responses_match(client, key, doc, body):
    assert not list(_request_validator(doc).iter_errors(body))
    resp = post_flag(client, key, body)
    assert resp.status_code == 202, resp.get_json()
    _check_response(doc, "/api/v1/flags", "post", resp)
    _check_response(doc, "/api/v1/flags", "post", post_flag(client, key, body))  # the duplicate
    status = client.get(resp.get_json()["status_url"], headers={"Authorization": f"Bearer {key}"})
    _check_response(doc, "/api/v1/items/{item_id}", "get", status)


@pytest.mark.parametrize(("name", "body", "field"), [c for c in INVALID if c[0] not in SERVER_ONLY],
                         ids=[c[0] for c in INVALID if c[0] not in SERVER_ONLY])
def test_schema_and_server_refuse_the_same_bodies(client, key, doc, name, body, field):
    assert list(_request_validator(doc).iter_errors(body)), f"the schema accepts: {name}"
    resp = post_flag(client, key, body)
    assert resp.status_code == 422
    _check_response(doc, "/api/v1/flags", "post", resp)


def test_error_responses_match(app, client, key, doc):
    path, op = "/api/v1/flags", "post"
    _check_response(doc, path, op, client.post(path, json=flag_body()))  # 401
    reader = make_key(app, "reader", scopes=("items:read",))
    _check_response(doc, path, op, post_flag(client, reader, flag_body()))  # 403
    auth = {"Authorization": f"Bearer {key}"}
    _check_response(doc, path, op, client.post(path, data="{", headers={**auth, "Content-Type": "application/json"}))
    _check_response(doc, path, op, client.post(path, data="x", headers={**auth, "Content-Type": "text/plain"}))
    _check_response(doc, path, op, client.post(path, data="x" * 1_000_001,
                                               headers={**auth, "Content-Type": "application/json"}))  # 413
    _check_response(doc, path, op, post_flag(client, key, flag_body(), **{"Idempotency-Key": "bad key"}))
    _check_response(doc, "/api/v1/items/{item_id}", "get", client.get("/api/v1/items/424242", headers=auth))
