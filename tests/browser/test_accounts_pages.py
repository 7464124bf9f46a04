"""Two-factor and role pages in a real browser without JavaScript, at 390 px and 1366 px:
setting up (QR code), signing in with a recovery code, the codes shown once, replacing the
authenticator, and pending role requests on the admin's and the reviewer's pages. Each
passes axe (WCAG 2.1 A/AA, serious or critical) and does not overflow a phone."""

from __future__ import annotations

from typing import Any

import pyotp

from tests.browser.conftest import browser_login, dump
from tests.conftest import PASSWORD, totp_code

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}


def _check(page: Any, axe_check: Any, what: str, problems: list[str]) -> None:
    wide = int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))
    if wide > 0:
        problems.append(f"{what}: {wide}px wider than the viewport")
    violations = axe_check(page)
    if violations:
        problems.append(f"{what}: {dump(violations)}")


def test_two_factor_pages_work_without_js_fit_a_phone_and_pass_axe(live_server, browser, axe_check, make_user):
    problems: list[str] = []
    for viewport in (PHONE, DESKTOP):
        ctx = browser.new_context(viewport=viewport, java_script_enabled=False)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        try:
            newcomer = make_user("safeguarding_lead", totp=False,
                                 email=f"a-new-lead-with-a-long-address-{viewport['width']}@c2c-safety.test")
            page.goto(f"{live_server}/login")
            page.get_by_label("E-mail").fill(newcomer.email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            assert page.url.endswith("/login/totp/enrol")
            qr = page.get_by_role("img", name="QR code of the setup key shown below as text")
            assert qr.is_visible() and qr.bounding_box()["width"] >= 150  # type: ignore[index]
            _check(page, axe_check, f"enrol at {viewport['width']}", problems)
            secret = page.locator("p.secret code").inner_text()
            page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
            page.get_by_role("button", name="Turn on two-factor").click()
            codes = page.locator("ol.recovery-codes code").all_inner_texts()
            assert len(codes) == 10, page.content()[-3000:]
            _check(page, axe_check, f"recovery codes at {viewport['width']}", problems)
            page.get_by_role("link", name="I have saved them: continue").click()

            page.goto(f"{live_server}/account")
            _check(page, axe_check, f"account at {viewport['width']}", problems)
            page.goto(f"{live_server}/account/two-factor")
            page.get_by_role("button", name="Set up a new authenticator").click()
            assert page.get_by_role("img", name="QR code of the setup key shown below as text").is_visible()
            _check(page, axe_check, f"replace authenticator at {viewport['width']}", problems)
            page.get_by_role("button", name="Sign out").click()

            page.goto(f"{live_server}/login")
            page.get_by_label("E-mail").fill(newcomer.email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            _check(page, axe_check, f"code step at {viewport['width']}", problems)
            page.get_by_role("link", name="Use a recovery code instead").click()
            _check(page, axe_check, f"recovery step at {viewport['width']}", problems)
            page.get_by_label("Recovery code").fill(codes[0])
            page.get_by_role("button", name="Continue").click()
            assert page.url.endswith("/account/two-factor"), page.url
            assert "9 unused recovery codes" in page.content()
        finally:
            ctx.close()
    assert not problems, "\n".join(problems)


def test_role_request_pages_fit_a_phone_and_pass_axe(app, live_server, browser, axe_check, make_user):
    requester = make_user("admin", email="the-first-admin-with-a-long-address@c2c-safety.test")
    person = make_user("case_handler", email="someone-about-to-be-promoted.with-a-long-name@c2c-safety.test")
    reviewer = make_user("independent_reviewer")
    confirmer = make_user("admin")
    problems: list[str] = []
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    try:
        browser_login(page, live_server, requester)
        page.goto(f"{live_server}/admin/users/{person.id}")
        page.get_by_label("Independent reviewer").check()
        page.get_by_label("Ceo").check()
        page.get_by_label("Account is active").check()
        page.get_by_role("button", name="Save").click()
        assert "takes effect when a second person confirms" in page.content()
        _check(page, axe_check, "admin list with pending requests (requester)", problems)
        page.get_by_role("button", name="Sign out").click()

        browser_login(page, live_server, confirmer)
        page.goto(f"{live_server}/admin/users")
        _check(page, axe_check, "admin list with pending requests (second admin)", problems)
        page.get_by_role("button", name=f"Confirm ceo for {person.email}").click()
        assert "is now ceo" in page.content()
        page.get_by_role("button", name="Sign out").click()

        browser_login(page, live_server, reviewer)
        page.goto(f"{live_server}/review/roles")
        _check(page, axe_check, "reviewer's role changes", problems)
        page.get_by_role("button", name=f"Confirm independent reviewer for {person.email}").click()
        assert page.url.endswith("/review/roles")
        assert "once they accept it" in page.content()
        page.get_by_role("button", name="Sign out").click()

        # Issue 20: the incoming reviewer accepts the role themselves, right after signing in.
        browser_login(page, live_server, person)
        page.goto(f"{live_server}/account/roles")
        _check(page, axe_check, "role requests (incoming reviewer)", problems)
        page.get_by_role("button", name="Accept").click()
        assert "You accepted the role" in page.content()
    finally:
        ctx.close()
    assert not problems, "\n".join(problems)
    assert totp_code  # the helpers above sign in with each account's own codes


def test_invitation_and_access_review_pages_fit_a_phone_and_pass_axe(app, live_server, browser, axe_check,
                                                                      make_user):
    admin = make_user("admin", email="the-only-admin-of-a-small-organisation@c2c-safety.test")
    reviewer = make_user("independent_reviewer")
    problems: list[str] = []
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    try:
        browser_login(page, live_server, admin)
        page.goto(f"{live_server}/admin/users")
        assert "Fewer than two people could confirm a grant" in page.content()
        _check(page, axe_check, "admin list with the small-organisation warning", problems)
        page.goto(f"{live_server}/admin/users/new")
        _check(page, axe_check, "new account (no password field)", problems)
        page.get_by_label("E-mail").fill("a-newcomer-with-a-long-address@c2c-safety.test")
        page.get_by_label("Name").fill("Søren Ødegård")
        page.get_by_label("Moderator").check()
        page.get_by_role("button", name="Create account").click()
        link = page.locator("p.user-text code").inner_text()
        assert "/invitation/" in link
        _check(page, axe_check, "invitation link shown once", problems)
        page.get_by_role("button", name="Sign out").click()
        page.goto(link)
        _check(page, axe_check, "choose your password", problems)
        page.get_by_label("Choose a password").fill("my own long password")
        page.get_by_label("The same password again").fill("my own long password")
        page.get_by_role("button", name="Set my password").click()
        assert page.url.endswith("/login")
        page.goto(link)
        assert "This link does not work" in page.content()

        browser_login(page, live_server, reviewer)
        page.goto(f"{live_server}/review/access")
        page.get_by_role("button", name="Start a review").click()
        # Measure the page the review started on, not the one the click is leaving: the
        # width check reads the document at once, and mid-navigation it sometimes read the old one.
        page.locator("form[action^='/review/access/']").first.wait_for()
        _check(page, axe_check, "access review", problems)
    finally:
        ctx.close()
    assert not problems, "\n".join(problems)
