"""Issue 22.5: a restriction asked from an author's account page by a moderator or the lead,
with a required reason, through the safeguarding desk's confirmation page and signed webhook
contract (to a REAL receiver checking the HMAC), audited in the same transaction; the account
page lists it as standing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from models import AuditEvent
from models.review import SafeguardingAction, WebhookDelivery
from tests.conftest import CSRF_RE
from tests.safeguarding.test_platform_requests import deliver_all
from tests.support.review import make_item
from tests.webhooks.test_webhooks import SECRET, Receiver

WHY = "SECRET-WHY: five grooming reports on this account in a week."


@pytest.fixture
def receiver(app) -> Iterator[Receiver]:
    with Receiver([]) as r:
        cfg = app.config["C2C"]
        cfg.webhook_url, cfg.webhook_secret = r.url, SECRET
        yield r


def _csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m
    return m.group(1)


def _hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html) or re.search(
        rf'type="hidden" name="{name}" value="([^"]*)"', html) or re.search(
        rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', html)
    assert m, name
    return m.group(1).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")


def _count(db, model) -> int:
    n = int(db.scalar(select(func.count()).select_from(model)) or 0)
    db.rollback()
    return n


def test_a_moderator_restricts_an_account_after_confirming_and_the_platform_gets_it_signed(
        app, client, signed_in, db, receiver):
    iid = make_item(app, author="u-acct-9")
    mod = signed_in("moderator")
    account = client.get(f"/queue/{iid}/account").get_data(as_text=True)
    assert "Ask the platform to restrict this account" in account
    assert f'action="/safeguarding/accounts/{iid}/restrict/check"' in account
    # The reason leads to a confirmation page that records nothing.
    page = client.post(f"/safeguarding/accounts/{iid}/restrict/check",
                       data={"csrf_token": _csrf(account), "detail": WHY})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Check before you send" in html and "stop this account" in html
    assert "u-acct-9" not in html
    assert _count(db, SafeguardingAction) == 0 and _count(db, WebhookDelivery) == 0
    # Confirmed: recorded, audited and the signed delivery written, in one transaction.
    sent = client.post(f"/safeguarding/accounts/{iid}/restrict", data={
        "csrf_token": _csrf(html), "detail": _hidden(html, "detail"), "token": _hidden(html, "token")})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/queue/{iid}/account")
    action = db.scalars(select(SafeguardingAction)).one()
    assert (action.kind, action.child_pseudonym, action.actor_id, action.referral_id) == (
        "account_restriction", "u-acct-9", mod.id, None)
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "account.restriction_requested")).one()
    assert ev.actor_id == mod.id and ev.target_id == str(iid) and ev.details["confirmed"] is True
    assert ev.details["delivery_id"] == action.delivery_id and "SECRET" not in str(ev.details)
    action_id, email = action.id, mod.email
    db.rollback()
    deliver_all(app, db)
    assert receiver.bad_signatures == 0 and len(receiver.received) == 1
    got = receiver.received[0]
    assert got["event"] == "safeguarding.restriction_requested"
    data = got["json"]["data"]
    assert data["person"] == {"id": "u-acct-9", "role": "student"} and data["referral_id"] is None
    assert data["restriction"] == "messaging" and data["reason"] == "account_review"
    assert data["request_id"] == action_id and data["decided_by_human"] is True
    assert "SECRET" not in str(got["json"]) and email not in str(got["json"])
    # The account page lists the open request and no longer offers a second one.
    account = client.get(f"/queue/{iid}/account").get_data(as_text=True)
    assert "Restrict the account's messaging (asked from this page)" in account
    assert "can be withdrawn until" in account
    assert f'action="/safeguarding/accounts/{iid}/restrict/check"' not in account
    # The same confirmation again sends nothing twice.
    again = client.post(f"/safeguarding/accounts/{iid}/restrict", data={
        "csrf_token": _csrf(html), "detail": _hidden(html, "detail"), "token": _hidden(html, "token")})
    assert again.status_code in (400, 409)
    assert _count(db, SafeguardingAction) == 1 and _count(db, WebhookDelivery) == 1


def test_an_empty_reason_is_a_form_error_and_a_direct_post_is_refused(app, client, signed_in, db):
    iid = make_item(app, author="u-acct-10")
    signed_in("safeguarding_lead")
    account = client.get(f"/queue/{iid}/account").get_data(as_text=True)
    token = _csrf(account)
    empty = client.post(f"/safeguarding/accounts/{iid}/restrict/check", data={"csrf_token": token, "detail": "  "})
    assert empty.status_code == 400 and "a reason is required" in empty.get_data(as_text=True)
    short = client.post(f"/safeguarding/accounts/{iid}/restrict/check", data={"csrf_token": token, "detail": "bad"})
    assert short.status_code == 400 and "at least 20 characters" in short.get_data(as_text=True)
    # Skipping the confirmation page: no token, a forged one, or another account's.
    for fake in ("", "forged.token.value"):
        resp = client.post(f"/safeguarding/accounts/{iid}/restrict",
                           data={"csrf_token": token, "detail": WHY, "token": fake})
        assert resp.status_code == 400, fake
    other = make_item(app, author="u-acct-11")
    page = client.post(f"/safeguarding/accounts/{other}/restrict/check",
                       data={"csrf_token": token, "detail": WHY}).get_data(as_text=True)
    stolen = client.post(f"/safeguarding/accounts/{iid}/restrict",
                         data={"csrf_token": token, "detail": WHY, "token": _hidden(page, "token")})
    assert stolen.status_code == 400 and "another person or another action" in stolen.get_data(as_text=True)
    # A different reason from the one confirmed.
    mine = client.post(f"/safeguarding/accounts/{iid}/restrict/check",
                       data={"csrf_token": token, "detail": WHY}).get_data(as_text=True)
    changed = client.post(f"/safeguarding/accounts/{iid}/restrict", data={
        "csrf_token": token, "detail": WHY + " more", "token": _hidden(mine, "token")})
    assert changed.status_code == 400
    assert _count(db, SafeguardingAction) == 0 and _count(db, WebhookDelivery) == 0
    assert client.post("/safeguarding/accounts/999999/restrict/check",
                       data={"csrf_token": token, "detail": WHY}).status_code == 404


def test_other_roles_cannot_ask(app, client, signed_in):
    iid = make_item(app, author="u-acct-12")
    signed_in("case_handler")
    assert client.post(f"/safeguarding/accounts/{iid}/restrict/check", data={"detail": WHY}).status_code in (400, 403)
    assert client.get(f"/queue/{iid}/account").status_code == 403


def test_an_account_request_is_withdrawn_after_its_own_confirmation_and_the_platform_is_told(
        app, client, signed_in, db, receiver):
    iid = make_item(app, author="u-acct-13")
    signed_in("moderator")
    account = client.get(f"/queue/{iid}/account").get_data(as_text=True)
    html = client.post(f"/safeguarding/accounts/{iid}/restrict/check",
                       data={"csrf_token": _csrf(account), "detail": WHY}).get_data(as_text=True)
    assert client.post(f"/safeguarding/accounts/{iid}/restrict", data={
        "csrf_token": _csrf(html), "detail": _hidden(html, "detail"), "token": _hidden(html, "token")}
    ).status_code == 302
    action_id = db.scalars(select(SafeguardingAction.id)).one()
    db.rollback()
    account = client.get(f"/queue/{iid}/account").get_data(as_text=True)
    check = f"/safeguarding/accounts/{iid}/requests/{action_id}/withdraw/check"
    assert f'action="{check}"' in account
    assert client.post(check, data={"csrf_token": _csrf(account), "detail": ""}).status_code == 400
    page = client.post(check, data={"csrf_token": _csrf(account), "detail": "The school has dealt with it now."})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Confirm and withdraw" in html
    # Skipping its confirmation page is refused.
    direct = client.post(f"/safeguarding/accounts/{iid}/requests/{action_id}/withdraw",
                         data={"csrf_token": _csrf(html), "detail": "The school has dealt with it now.", "token": ""})
    assert direct.status_code == 400
    done = client.post(f"/safeguarding/accounts/{iid}/requests/{action_id}/withdraw", data={
        "csrf_token": _csrf(html), "detail": _hidden(html, "detail"), "token": _hidden(html, "token")})
    assert done.status_code == 302
    action = db.get(SafeguardingAction, action_id)
    assert action is not None and action.withdrawn_at is not None
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "account.restriction_withdrawn")).one()
    assert ev.details["action_id"] == action_id
    db.rollback()
    deliver_all(app, db)
    events = [r["event"] for r in receiver.received]
    assert events == ["safeguarding.restriction_requested", "safeguarding.request_withdrawn"]
    assert receiver.received[1]["json"]["data"]["request_id"] == action_id and receiver.bad_signatures == 0
    account = client.get(f"/queue/{iid}/account").get_data(as_text=True)
    assert "asked from this page" not in account  # no longer standing; a new one may be asked
    assert f'action="/safeguarding/accounts/{iid}/restrict/check"' in account
