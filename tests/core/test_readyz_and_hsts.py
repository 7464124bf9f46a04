"""/readyz tells strangers whether the desk works, not what it runs; HSTS behind TLS
(issue 10, item 12)."""

from __future__ import annotations

from c2c_safety import create_app
from c2c_safety.health.readiness import CLASSIFIER_STATUS_KEY
from tests.conftest import make_config

OK_LINE = "ok model=hf:/srv/models/e5-small-tox version=sha-7f3a9c1"
FAILED_LINE = "failed: ClassifierLoadError: /srv/models/e5-small-tox/config.json is missing"


def test_working_classifier_is_ok_and_not_down_and_anonymous_callers_see_no_model(client, redis_conn):
    redis_conn.set(CLASSIFIER_STATUS_KEY, OK_LINE)
    resp = client.get("/readyz")
    body = resp.get_json()
    assert resp.status_code == 200 and body["ready"] is True
    assert body["checks"] == {"database": "ok", "redis": "ok", "classifier": "ok"}
    assert body["down"] == []  # "ok model=..." used to be listed as down
    text = resp.get_data(as_text=True)
    assert "e5-small" not in text and "sha-7f3a9c1" not in text and "details" not in body


def test_failed_classifier_is_down_with_its_error_type_only(client, redis_conn):
    redis_conn.set(CLASSIFIER_STATUS_KEY, FAILED_LINE)
    resp = client.get("/readyz")
    body = resp.get_json()
    assert resp.status_code == 200 and body["ready"] is True  # flags still reach people, unscored
    assert body["checks"]["classifier"] == "failed: ClassifierLoadError"
    assert body["down"] == ["classifier"]
    assert "/srv/models" not in resp.get_data(as_text=True)


def test_no_worker_yet_is_down_but_ready(client, redis_conn):
    body = client.get("/readyz").get_json()
    assert body["ready"] is True and body["down"] == ["classifier"]
    assert body["checks"]["classifier"].startswith("unknown")


def test_signed_in_staff_see_the_model_details(client, redis_conn, signed_in):
    signed_in("moderator")
    redis_conn.set(CLASSIFIER_STATUS_KEY, OK_LINE)
    body = client.get("/readyz").get_json()
    assert body["checks"]["classifier"] == "ok" and body["details"]["classifier"] == OK_LINE


def test_hsts_only_behind_tls(tmp_path, database_url, redis_url, schema_engine, client):
    assert "Strict-Transport-Security" not in client.get("/report").headers
    tls = create_app(make_config(tmp_path, database_url, redis_url, https=True))
    try:
        c = tls.test_client()
        for url in ("/report", "/login", "/healthz", "/no-such-page", "/static/css/app.css"):
            resp = c.get(url, base_url="https://localhost")
            value = resp.headers.get("Strict-Transport-Security", "")
            resp.close()
            assert value.startswith("max-age=") and int(value.split("=")[1].split(";")[0]) >= 31536000, url
    finally:
        tls.extensions["c2c_engine"].dispose()
