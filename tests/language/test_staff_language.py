"""A staff member's page language (issue 21.4): the browser's among English and Danish by
default; a POST with CSRF from the layout stores a choice on the account, with its audit
entry; never a cookie."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import AuditEvent, User
from tests.conftest import post_form

SWITCH = re.compile(r'<form method="post" action="/language"[^>]*>(.*?)</form>', re.S)


def test_the_browser_chooses_then_the_account_and_never_a_cookie(client, db, signed_in):
    user = signed_in("moderator")
    html = client.get("/", headers={"Accept-Language": "da-DK,da;q=0.9"}).get_data(as_text=True)
    assert '<html lang="da">' in html and ">Log ud<" in html
    html = client.get("/", headers={"Accept-Language": "de, en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="en">' in html and ">Sign out<" in html  # staff pages: English or Danish
    form = SWITCH.search(html)
    assert form and 'name="csrf_token"' in form.group(1) and '<option value="da" lang="da">Dansk' in form.group(1)

    cookies_before = {c.key for c in client._cookies.values()}
    resp = post_form(client, "/language", {"language": "da", "next": "/notifications"}, token_from="/")
    assert resp.status_code == 303 and resp.headers["Location"] == "/notifications"
    assert "Set-Cookie" not in resp.headers or all("lang" not in c.lower() for c in resp.headers.getlist("Set-Cookie"))
    assert {c.key for c in client._cookies.values()} == cookies_before
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="da">' in html and ">Log ud<" in html  # the account wins over the browser

    db.expire_all()
    assert db.get(User, user.id).language == "da"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.language")).one()
    assert event.actor_id == user.id and event.details == {"from": "", "to": "da"}


def test_bad_choices_and_foreign_targets_are_refused(client, db, signed_in):
    signed_in("moderator")
    assert post_form(client, "/language", {"language": "xx"}, token_from="/").status_code == 400
    assert client.post("/language", data={"language": "da"}).status_code == 400  # no CSRF token
    resp = post_form(client, "/language", {"language": "da", "next": "//evil.example/"}, token_from="/")
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "user.language")).all() != []


def test_a_visitor_cannot_choose(client):
    assert client.post("/language", data={"language": "da"}).status_code in (302, 400, 401)


def test_wtforms_own_messages_follow_the_page_language(app):
    """WTForms ships no Danish: its default messages come from our catalogs (core/form_texts.py)."""
    from c2c_safety.cases.forms import ReasonForm

    for lang, required, too_short in (
            ("da", "Dette felt er påkrævet.", "Feltet skal være mellem 10 og 2000 tegn langt."),
            ("en", "This field is required.", "Field must be between 10 and 2000 characters long.")):
        with app.test_request_context("/", method="POST", data={}, headers={"Accept-Language": lang}):
            form = ReasonForm(meta={"csrf": False})
            assert not form.validate()
            assert form.reason.errors == [required]
        with app.test_request_context("/", method="POST", data={"reason": "short"}, headers={"Accept-Language": lang}):
            form = ReasonForm(meta={"csrf": False})
            assert not form.validate()
            assert form.reason.errors == [too_short]


def test_the_sign_in_page_offers_both_staff_languages_by_link(client):
    """Before sign-in there is no account to keep a choice on: the switch is links with ?lang=."""
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in html and 'href="/login?lang=da"' in html
    html = client.get("/login?lang=da", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="da">' in html and 'href="/login?lang=en"' in html
    assert 'action="/login?lang=da"' in html  # a failed sign-in answers in the chosen language
    # the reporter pages keep their own switch of 14 languages, not this one
    public = client.get("/report?lang=da").get_data(as_text=True)
    assert 'class="staff-lang"' not in public and "Deutsch" in public
