"""Helpers shared by the intake tests (API flags and anonymous reports)."""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from c2c_safety.core.db import new_session
from c2c_safety.intake import api_keys

TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
RECEIPT_RE = re.compile(r'<p class="receipt-code"[^>]*><code>([0-9a-z -]+)</code>')


def make_key(app: Flask, name: str = "platform", scopes: tuple[str, ...] = api_keys.DEFAULT_SCOPES) -> str:
    with app.app_context():
        s = new_session(app)
        key = api_keys.create_client(s, name, scopes).key
        s.commit()
        s.close()
    return key


def flag_body(**overrides: Any) -> dict[str, Any]:
    """A valid flag; overrides use dotted paths: flag_body(**{"author.age_band": "adult"})."""
    body: dict[str, Any] = {
        "content": {"id": "post-1", "type": "post", "text": "you are so stupid, nobody wants you here",
                    "media_urls": ["https://cdn.class2class.example/img/1.png"],
                    "posted_at": "2025-03-01T08:00:00+01:00"},
        "author": {"id": "u-author", "age_band": "13to15", "role": "student"},
        "context": {"project_id": "proj-9", "audience_min_age_band": "under13", "school_country": "DK",
                    "language": "da"},
        "flag": {"flagger": {"id": "u-flagger-1", "role": "student"}, "reason": "bullying",
                 "comment": "this is about my friend", "flagged_at": "2025-03-01T09:00:00+01:00"},
    }
    for path, value in overrides.items():
        target = body
        *parents, leaf = path.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        if value is _DELETE:
            target.pop(leaf, None)
        else:
            target[leaf] = copy.deepcopy(value)
    return body


_DELETE = object()


def without(path: str) -> dict[str, Any]:
    return flag_body(**{path: _DELETE})


def post_flag(client: FlaskClient, key: str, body: Any, **headers: str) -> Any:
    return client.post("/api/v1/flags", json=body, headers={"Authorization": f"Bearer {key}", **headers})


def form_token(client: FlaskClient, url: str, **kwargs: Any) -> str:
    html = client.get(url, **kwargs).get_data(as_text=True)
    match = TOKEN_RE.search(html)
    assert match, f"no form token on {url}"
    return match.group(1)


def post_multipart(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """POST a multipart form and close the body afterwards. (Werkzeug's test client spools
    large bodies to a temporary file it never closes, which the warnings-as-errors policy
    would report as a ResourceWarning in some later test.)"""
    headers = kwargs.pop("headers", None)
    builder = EnvironBuilder(path=url.split("?")[0], query_string=url.partition("?")[2], method="POST",
                             data=data, content_type="multipart/form-data", headers=headers,
                             environ_base=kwargs.pop("environ_base", None),
                             environ_overrides=kwargs.pop("environ_overrides", None))
    assert not kwargs, kwargs
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def submit_report(client: FlaskClient, data: dict[str, Any] | None = None, lang: str = "en",
                  **kwargs: Any) -> Any:
    payload = {"category": "ethical", "what": "Something happened in project X.", **(data or {})}
    payload["form_token"] = form_token(client, f"/report?lang={lang}", **kwargs)
    return post_multipart(client, f"/report?lang={lang}", payload, **kwargs)


def receipt_of(resp: Any) -> str:
    match = RECEIPT_RE.search(resp.get_data(as_text=True))
    assert match, resp.get_data(as_text=True)[:2000]
    return match.group(1)


def follow_up(client: FlaskClient, receipt: str, lang: str = "en", **extra: Any) -> Any:
    kwargs = {k: extra.pop(k) for k in ("environ_base", "headers") if k in extra}
    payload = {"receipt": receipt, "action": "view", **extra}
    payload["form_token"] = form_token(client, f"/report/follow-up?lang={lang}", **kwargs)
    return post_multipart(client, f"/report/follow-up?lang={lang}", payload, **kwargs)
