"""The deployment of docs/deploy.md: gunicorn behind a TLS proxy with C2C_HTTPS=1.

Not a crash but a misconfiguration fault: the proxy terminates TLS and says so with
`X-Forwarded-Proto: https`; gunicorn trusts that from the proxy's address, so the app sees
HTTPS, sets Secure cookies and applies flask-wtf's HTTPS rules. A browser signing in sends
no Referer (every page says `Referrer-Policy: no-referrer`), and signing in must still work.
"""

from __future__ import annotations

import http.client
import re
import subprocess

import pytest

from bench.servers import PYTHON, ROOT
from tests.faults.conftest import DeskFactory

pytestmark = pytest.mark.faults

PASSWORD = "proxy-test-password-123"
HOST = "safety.c2c.test"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _request(port: int, method: str, path: str, body: str = "", cookie: str = "") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Connection": "close"}  # what nginx adds
    if cookie:
        headers["Cookie"] = cookie
    if method == "POST":
        # What a browser sends for a same-origin form under Referrer-Policy: no-referrer.
        headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": "null",
                        "Sec-Fetch-Site": "same-origin"})
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    return resp


def test_sign_in_works_behind_a_tls_proxy(make_desk: DeskFactory) -> None:
    desk = make_desk(classifier="default", C2C_HTTPS="1")  # no worker runs here
    subprocess.run([PYTHON, "-m", "flask", "--app", "app", "users", "create", "--email", "mod@proxy.test",
                    "--role", "moderator", "--password-stdin"], input=PASSWORD + "\n", text=True,
                   cwd=ROOT, env=desk.env, check=True, capture_output=True, timeout=120)
    server = desk.gunicorn(workers=1, threads=2).start()
    try:
        page = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        page.request("GET", "/login", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
        resp = page.getresponse()
        html = resp.read().decode()
        set_cookie = next((c for c in resp.headers.get_all("Set-Cookie") or [] if c.startswith("c2c_session=")), "")
        page.close()
        assert resp.status == 200
        assert "Secure" in set_cookie, "C2C_HTTPS=1 behind the proxy must give Secure cookies"
        assert resp.getheader("Referrer-Policy") == "no-referrer"
        token = CSRF_RE.search(html)
        assert token, "no CSRF token on /login"
        cookie = set_cookie.split(";", 1)[0]

        from urllib.parse import urlencode

        form = urlencode({"csrf_token": token.group(1), "email": "mod@proxy.test", "password": PASSWORD})
        login = _request(server.port, "POST", "/login", form, cookie)
        assert login.status == 302, (
            f"sign-in over HTTPS without a Referer got {login.status}: flask-wtf's WTF_CSRF_SSL_STRICT "
            "demands a Referer that Referrer-Policy: no-referrer never lets a browser send")
        assert login.getheader("Location", "").startswith(("/", f"https://{HOST}/"))
        assert not login.getheader("Location", "").endswith("/login")
    finally:
        server.stop()
