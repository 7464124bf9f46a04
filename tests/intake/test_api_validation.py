"""Bad input to POST /api/v1/flags: a clear 4xx naming the field, never a 500, nothing stored."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from models import Flag, ReviewItem
from tests.support.intake import flag_body, make_key, post_flag, without

# (case name, body, field the error must name). Exported for the OpenAPI test: the schema
# must refuse these too (except those marked as checked only by the server).
INVALID = [
    ("wrong type: id is a number", flag_body(**{"content.id": 123}), "content.id"),
    ("wrong type: text is a list", flag_body(**{"content.text": ["a"]}), "content.text"),
    ("wrong type: media_urls is a string", flag_body(**{"content.media_urls": "https://x.example/a"}),
     "content.media_urls"),
    ("unknown content type", flag_body(**{"content.type": "story"}), "content.type"),
    ("unknown age band", flag_body(**{"author.age_band": "toddler"}), "author.age_band"),
    ("unknown author role", flag_body(**{"author.role": "parent"}), "author.role"),
    ("unknown flagger role", flag_body(**{"flag.flagger.role": "robot"}), "flag.flagger.role"),
    ("unknown reason", flag_body(**{"flag.reason": "rude"}), "flag.reason"),
    ("unknown chat kind", flag_body(**{"content.type": "chat_message", "context.chat_kind": "broadcast"}),
     "context.chat_kind"),
    ("missing author", without("author"), "author"),
    ("missing flagger id", without("flag.flagger.id"), "flag.flagger.id"),
    ("missing flagged_at", without("flag.flagged_at"), "flag.flagged_at"),
    ("unknown field", flag_body(**{"content.colour": "red"}), "content.colour"),
    ("text over 20,000 characters", flag_body(**{"content.text": "x" * 20_001}), "content.text"),
    ("comment over 2,000 characters", flag_body(**{"flag.comment": "x" * 2_001}), "flag.comment"),
    ("naive timestamp", flag_body(**{"flag.flagged_at": "2025-03-01T09:00:00"}), "flag.flagged_at"),
    ("not a timestamp", flag_body(**{"flag.flagged_at": "yesterday"}), "flag.flagged_at"),
    ("naive posted_at", flag_body(**{"content.posted_at": "2025-03-01 09:00"}), "content.posted_at"),
    ("country not ISO alpha-2", flag_body(**{"context.school_country": "Denmark"}), "context.school_country"),
    ("language not a tag", flag_body(**{"context.language": "Danish!"}), "context.language"),
    ("media url not http(s)", flag_body(**{"content.media_urls": ["javascript:alert(1)"]}),
     "content.media_urls[0]"),
    ("too many media urls", flag_body(**{"content.media_urls": [f"https://x.example/{i}" for i in range(11)]}),
     "content.media_urls"),
    ("id with spaces", flag_body(**{"author.id": "Anna Jensen"}), "author.id"),
    ("empty id", flag_body(**{"content.id": ""}), "content.id"),
    ("chat message without chat_kind", flag_body(**{"content.type": "chat_message"}), "context.chat_kind"),
    ("chat_kind on a post", flag_body(**{"context.chat_kind": "group"}), "context.chat_kind"),
    ("body is a list", [flag_body()], "(body)"),
    # Checked by the server only (JSON Schema cannot say these):
    ("NUL in text", flag_body(**{"content.text": "a\u0000b"}), "content.text"),
    ("timestamp before 2000", flag_body(**{"flag.flagged_at": "0001-01-01T00:00:00+01:00"}), "flag.flagged_at"),
]
SERVER_ONLY = {"NUL in text", "timestamp before 2000"}


@pytest.fixture
def key(app, redis_conn):
    return make_key(app)


@pytest.mark.parametrize(("name", "body", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_validation_errors_name_the_field(client, key, db, name, body, field):
    resp = post_flag(client, key, body)
    assert resp.status_code == 422, resp.get_json()
    out = resp.get_json()
    assert out["error"] == "validation_failed"
    assert field in [e["field"] for e in out["errors"]], out
    assert all(e["message"] for e in out["errors"])
    assert db.scalars(select(ReviewItem)).first() is None and db.scalars(select(Flag)).first() is None


def test_text_at_the_limit_is_accepted(client, key):
    assert post_flag(client, key, flag_body(**{"content.text": "x" * 20_000})).status_code == 202


def test_several_errors_are_all_reported(client, key):
    body = flag_body(**{"author.age_band": "x", "flag.reason": "y", "flag.flagged_at": "2025-01-01T00:00:00"})
    fields = {e["field"] for e in post_flag(client, key, body).get_json()["errors"]}
    assert fields == {"author.age_band", "flag.reason", "flag.flagged_at"}


@pytest.mark.parametrize("raw", [b"{", b"", b"{'content': 1}", b"\xff\xfe", b'{"a": "\\ud800"}', b"[" * 5000])
def test_malformed_json_is_400(client, key, raw):
    resp = client.post("/api/v1/flags", data=raw, headers={"Authorization": f"Bearer {key}",
                                                          "Content-Type": "application/json"})
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert resp.get_json()["error"] == "malformed_json"


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_415(client, key, ctype):
    headers = {"Authorization": f"Bearer {key}"}
    if ctype:
        headers["Content-Type"] = ctype
    resp = client.post("/api/v1/flags", data=json.dumps(flag_body()), headers=headers)
    assert resp.status_code == 415 and resp.get_json()["error"] == "unsupported_media_type"


def test_json_with_charset_is_fine(client, key):
    resp = client.post("/api/v1/flags", data=json.dumps(flag_body()).encode(),
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json; charset=utf-8"})
    assert resp.status_code == 202


def test_body_over_one_megabyte_is_413(client, key, db):
    big = json.dumps(flag_body(**{"flag.comment": "x" * 1_100_000}))
    resp = client.post("/api/v1/flags", data=big, headers={"Authorization": f"Bearer {key}",
                                                          "Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.get_json()["error"] == "payload_too_large"
    assert db.scalars(select(ReviewItem)).first() is None


def test_chunked_body_over_the_limit_is_413(client, key):
    """No Content-Length (chunked): the limit still stops the read."""
    big = json.dumps(flag_body(**{"flag.comment": "x" * 1_100_000})).encode()
    resp = client.post("/api/v1/flags", input_stream=io.BytesIO(big),
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 413


@pytest.mark.parametrize("value", ["", "x" * 129, "has space", "tab\there", "ünïcode"])
def test_bad_idempotency_key_is_400(client, key, value):
    resp = post_flag(client, key, flag_body(), **{"Idempotency-Key": value})
    assert resp.status_code == 400 and resp.get_json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize("body", [None, "text", 1, True, {}, {"content": None}, {"content": {"id": {"$ne": 1}}},
                                  {"content": [], "author": 5, "context": "x", "flag": []},
                                  flag_body(**{"content.text": 10**400}), flag_body(**{"flag.flagged_at": 1e308})])
def test_odd_bodies_never_500(client, key, body):
    resp = client.post("/api/v1/flags", data=json.dumps(body), headers={"Authorization": f"Bearer {key}",
                                                                       "Content-Type": "application/json"})
    assert resp.status_code in (400, 422), resp.get_data(as_text=True)[:300]


def test_wrong_method_is_json_405(client, key):
    resp = client.get("/api/v1/flags", headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 405 and resp.is_json
