from __future__ import annotations

from tests.conftest import login


def test_security_headers_on_every_page(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_nothing_loads_from_another_host(client):
    html = client.get("/login").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html
    with client.get("/static/css/app.css") as css:
        assert css.status_code == 200


def test_error_pages_do_not_leak(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404
    body = resp.get_data(as_text=True)
    assert "Not found" in body and "Traceback" not in body


def test_unexpected_error_is_a_plain_500(app, client):
    @app.route("/boom-test")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    resp = client.get("/boom-test")
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert "secret internal detail" not in body and "Traceback" not in body


def test_navigation_follows_roles(client, make_user):
    login(client, make_user("moderator"))
    html = client.get("/").get_data(as_text=True)
    assert "Staff accounts" not in html


def test_pages_are_not_cached(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_healthz_and_readyz(client, redis_conn):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    body = client.get("/readyz").get_json()
    assert body["ready"] is True and body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"


def test_readyz_names_what_is_down(tmp_path, database_url, schema_engine):
    from c2c_safety import create_app
    from tests.conftest import make_config

    app = create_app(make_config(tmp_path, database_url, "redis://127.0.0.1:1/0"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["down"] == ["redis"]
