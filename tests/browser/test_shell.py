"""The web shell in a real browser: sign-in, two-factor, keyboard use and accessibility."""

from __future__ import annotations

import pyotp

from tests.browser.conftest import browser_login, dump
from tests.conftest import PASSWORD, TOTP_SECRET


def test_login_page_is_accessible_and_works_without_js(live_server, page_nojs, axe_check, make_user):
    user = make_user("moderator")
    page_nojs.goto(f"{live_server}/login")
    assert page_nojs.title().startswith("Sign in")
    browser_login(page_nojs, live_server, user)
    assert page_nojs.get_by_role("heading", level=1).inner_text().startswith("Hello")


def test_login_page_passes_axe(live_server, page, axe_check):
    page.goto(f"{live_server}/login")
    violations = axe_check(page)
    assert violations == [], dump(violations)


def test_admin_signs_in_with_two_factor_by_keyboard(live_server, page, axe_check, make_user):
    admin = make_user("admin", totp=True)
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")  # skip link first
    page.keyboard.press("Tab")  # brand link
    page.get_by_label("E-mail").focus()
    page.keyboard.type(admin.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/login/totp")
    assert axe_check(page) == []
    page.get_by_label("Six-digit code").focus()
    page.keyboard.type(pyotp.TOTP(TOTP_SECRET).now())
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff accounts").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Staff accounts"
    violations = axe_check(page)
    assert violations == [], dump(violations)


def test_signed_in_pages_pass_axe(live_server, page, axe_check, make_user):
    browser_login(page, live_server, make_user("moderator"))
    for path in ("/", "/account"):
        page.goto(live_server + path)
        violations = axe_check(page)
        assert violations == [], f"{path}: {dump(violations)}"
