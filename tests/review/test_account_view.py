"""Issue 22.5: one page per author (reached from an item, pseudonym never printed) with their
items, decisions, appeals, referrals and standing requests, and internal notes; moderators and
safeguarding leads only; every view audited."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent
from tests.conftest import CSRF_RE
from tests.support.review import claim, decide, make_item


def test_the_account_page_lists_everything_and_is_audited(app: Flask, client: FlaskClient, signed_in: Any,
                                                         db: Session) -> None:
    a = make_item(app, author="u-acct-1", text="first post by them")
    b = make_item(app, author="u-acct-1", flags=[("u-k", "student", "grooming")], age_band="adult")
    other = make_item(app, author="u-someone-else")
    mod = signed_in("moderator")
    claim(client, a)
    assert decide(client, a, then="queue").status_code == 302
    item_page = client.get(f"/queue/{b}").get_data(as_text=True)
    assert f'href="/queue/{b}/account"' in item_page
    html = client.get(f"/queue/{b}/account").get_data(as_text=True)
    assert f"#{a} post" in html and f"#{b} post" in html and f"#{other} post" not in html
    assert "Remove the content" in html  # the decision on the first item
    assert "Referral #" in html  # the grooming flag opened a referral about this author's item
    assert "u-acct-1" not in html  # the pseudonym is never printed
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "view.account")).one()
    assert ev.actor_id == mod.id and ev.target_id == str(b)
    db.commit()
    token = CSRF_RE.search(html).group(1)  # type: ignore[union-attr]
    resp = client.post(f"/queue/{b}/account/note", data={"csrf_token": token, "text": "Third report this week."})
    assert resp.status_code == 302
    html = client.get(f"/queue/{a}/account").get_data(as_text=True)  # the same account from another item
    assert "Third report this week." in html
    assert client.post(f"/queue/{b}/account/note", data={"csrf_token": token, "text": ""}).status_code == 400


def test_only_moderators_and_leads_see_an_account(app: Flask, client: FlaskClient, signed_in: Any) -> None:
    iid = make_item(app)
    signed_in("admin")
    assert client.get(f"/queue/{iid}/account").status_code == 403
    assert client.get("/queue/999999/account").status_code in (403, 404)
