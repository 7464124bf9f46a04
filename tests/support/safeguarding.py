"""Helpers for the safeguarding desk tests: referrals, their people, forms posted for real."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from c2c_safety.core.db import new_session
from models.review import SafeguardingPerson, SafeguardingReferral
from tests.conftest import CSRF_RE

QUIET = {"harassment": 0.05, "hate": 0.0, "threat": 0.0, "sexual": 0.0, "grooming": 0.0,
         "self_harm": 0.0, "profanity": 0.0}


def referral_id(app: Flask, item_id: int) -> int:
    with app.app_context():
        s = new_session(app)
        rid = s.scalars(select(SafeguardingReferral.id).where(SafeguardingReferral.item_id == item_id)).one()
        s.close()
        return int(rid)


def people(app: Flask, rid: int) -> dict[str, SafeguardingPerson]:
    """The referral's people by pseudonym (after the referral page was opened once)."""
    with app.app_context():
        s = new_session(app)
        rows = s.scalars(select(SafeguardingPerson).where(SafeguardingPerson.referral_id == rid)).all()
        s.expunge_all()
        s.close()
        return {p.pseudonym: p for p in rows}


def open_referral(client: FlaskClient, rid: int) -> str:
    resp = client.get(f"/safeguarding/referrals/{rid}")
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def token(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m
    return m.group(1)


def post(client: FlaskClient, url: str, data: dict[str, Any], token_from: str) -> Any:
    html = client.get(token_from).get_data(as_text=True)
    return client.post(url, data={"csrf_token": token(html), **data})


def record(client: FlaskClient, rid: int, pid: int, kind: str, **fields: str) -> Any:
    data = {f"p{pid}-kind": kind, **{f"p{pid}-{k}": v for k, v in fields.items()}}
    return post(client, f"/safeguarding/referrals/{rid}/people/{pid}/actions", data,
                f"/safeguarding/referrals/{rid}")


WHY = "Police informed; pending their investigation."


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html)
    assert m, f"no hidden field {name}"
    return m.group(1).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&").replace("&lt;", "<") \
        .replace("&gt;", ">").replace("&quot;", '"')


def check_request(client: FlaskClient, rid: int, pid: int, kind: str, detail: str = WHY) -> Any:
    """The reason step: the referral page's form, POSTed; returns the confirmation page."""
    return post(client, f"/safeguarding/referrals/{rid}/people/{pid}/request/check",
                {f"q{pid}-kind": kind, f"q{pid}-detail": detail}, f"/safeguarding/referrals/{rid}")


def confirmation_fields(html: str) -> dict[str, str]:
    return {"csrf_token": token(html), "kind": hidden(html, "kind"), "detail": hidden(html, "detail"),
            "token": hidden(html, "token")}


def request_platform(client: FlaskClient, rid: int, pid: int, kind: str, detail: str = WHY) -> Any:
    """The real steps: the reason (POST, changes nothing), the confirmation page with its
    signed token, then its POST."""
    page = check_request(client, rid, pid, kind, detail)
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    return client.post(f"/safeguarding/referrals/{rid}/people/{pid}/request",
                       data=confirmation_fields(page.get_data(as_text=True)))


def withdraw(client: FlaskClient, action_id: int, detail: str = "The police asked us to lift it for now.") -> Any:
    page = post(client, f"/safeguarding/actions/{action_id}/withdraw/check", {"detail": detail},
                f"/safeguarding/actions/{action_id}/withdraw")
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    html = page.get_data(as_text=True)
    return client.post(f"/safeguarding/actions/{action_id}/withdraw",
                       data={"csrf_token": token(html), "detail": hidden(html, "detail"),
                             "token": hidden(html, "token")})


def close(client: FlaskClient, rid: int, outcome: str, detail: str = "Closed after the record was made.") -> Any:
    return post(client, f"/safeguarding/referrals/{rid}/close",
                {"close-outcome": outcome, "close-detail": detail}, f"/safeguarding/referrals/{rid}")


def radios_checked(html: str) -> list[str]:
    return re.findall(r'<input[^>]*\bchecked\b[^>]*>', html)
