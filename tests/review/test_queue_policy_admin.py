"""Admins keep the policy list and see webhook failures and reviewer exposure; nobody else can."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEvent
from models.review import PolicyReason
from tests.conftest import CSRF_RE, login
from tests.support.review import claim, make_item


def token(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m
    return m.group(1)


def test_admin_adds_and_retires_reasons_and_moderators_see_the_list(app, client, make_user, db):
    login(client, make_user("admin", totp=True))
    html = client.get("/policy").get_data(as_text=True)
    for label in ("Bullying or harassment", "Grooming or child safety", "Privacy or personal data",
                  "Spam or scams", "Impersonation", "Inappropriate for age", "Other breach"):
        assert label in html
    page = client.get("/policy/reasons/new").get_data(as_text=True)
    bad = client.post("/policy/reasons/new", data={"csrf_token": token(page), "code": "Bad Code!",
                                                   "label": "x", "ground": "y" * 20, "position": "5"})
    assert bad.status_code == 400
    resp = client.post("/policy/reasons/new", data={
        "csrf_token": token(page), "code": "exam_cheating", "label": "Helping others cheat in tests",
        "ground": "Class2Class coexistence policy, 'Honesty': no sharing of test answers.",
        "position": "5", "active": "y"})
    assert resp.status_code == 302
    dup = client.post("/policy/reasons/new", data={
        "csrf_token": token(page), "code": "exam_cheating", "label": "x", "ground": "y" * 20,
        "position": "5", "active": "y"})
    assert dup.status_code == 400 and "already exists" in dup.get_data(as_text=True)
    spam = db.scalars(select(PolicyReason).where(PolicyReason.code == "spam_scam")).one()
    spam_id, spam_ground = spam.id, spam.ground
    db.rollback()  # SQLite: release the write lock before the app writes
    edit = client.get(f"/policy/reasons/{spam_id}").get_data(as_text=True)
    assert client.post(f"/policy/reasons/{spam_id}", data={
        "csrf_token": token(edit), "code": "spam_scam", "label": "Spam or scams",
        "ground": spam_ground, "position": "80"}).status_code == 302  # active unticked: retired
    assert db.scalars(select(AuditEvent).where(AuditEvent.action.like("policy.reason_%"))).all()
    db.rollback()

    mod = app.test_client()
    login(mod, make_user("moderator"))
    iid = make_item(app)
    claim(mod, iid)
    form = mod.get(f"/queue/{iid}").get_data(as_text=True)
    assert "Helping others cheat in tests" in form and 'value="spam_scam"' not in form


@pytest.mark.parametrize("role", ["moderator", "safeguarding_lead", "case_handler", "ceo",
                                  "independent_reviewer"])
def test_admin_pages_are_admin_only(app, client, signed_in, role):
    signed_in(role)
    for url in ("/policy", "/policy/reasons/new", "/admin/webhooks", "/admin/wellbeing"):
        assert client.get(url).status_code == 403, url


def test_exposure_is_visible_to_admins(app, client, make_user):
    mod = app.test_client()
    moderator = make_user("moderator")
    login(mod, moderator)
    iid = make_item(app, flags=[("u-1", "student", "sexual")])
    from tests.support.review import csrf

    mod.get(f"/queue/{iid}")  # hidden until revealed: seeing it is what counts (issue 12)
    mod.post(f"/queue/{iid}/reveal", data={"csrf_token": csrf(mod, f"/queue/{iid}")})
    mod.get(f"/queue/{iid}")
    login(client, make_user("admin", totp=True))
    html = client.get("/admin/wellbeing").get_data(as_text=True)
    assert moderator.email in html and "<td>1</td>" in html
