"""The quick exit never costs the report (issue 21.1): a child typing capitals, Shift and
Escape into any field never leaves the page; the button still leaves from every reporter
page, with and without JavaScript; the keyboard shortcut (Esc, outside the fields) too."""

from __future__ import annotations

from typing import Any

import pytest

NEUTRAL = "https://www.google.com/"
SHOUTING = "Our PE teacher Mr ABC said I LOST. HE IS MEAN!! Shift Shift Shift"


@pytest.fixture(autouse=True)
def _fast(app, redis_conn):
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def _context(browser: Any, js: bool) -> tuple[Any, Any]:
    context = browser.new_context(java_script_enabled=js, viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.route(NEUTRAL + "**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                           body="<title>Google</title><p>neutral</p>"))
    return context, page


def _type_like_a_child(page: Any, selector: str) -> None:
    field = page.locator(selector)
    field.click()
    field.press_sequentially(SHOUTING, delay=5)
    for _ in range(6):  # Shift on its own, fast, as when looking for a capital letter
        page.keyboard.press("Shift")
    page.keyboard.press("Escape")  # inside a field Esc never leaves either
    page.keyboard.down("Shift")
    page.keyboard.press("A")
    page.keyboard.up("Shift")


def _still_here(page: Any, path: str) -> None:
    page.wait_for_timeout(300)
    assert path in page.url and page.locator("#quick-exit").count() == 1


def test_typing_capitals_shift_and_escape_into_every_field_never_leaves(live_server, browser):
    context, page = _context(browser, js=True)
    try:
        page.goto(f"{live_server}/report")
        assert page.locator("#quick-exit-hint").is_visible()  # a keyboard: the Esc hint shows
        for name in ("what", "when", "who", "contact"):
            _type_like_a_child(page, f"#f-{name}")
            _still_here(page, "/report")
        assert page.locator("#f-what").input_value().startswith(SHOUTING)
        page.get_by_label("Something else").check()
        page.get_by_role("button", name="Send report").click()
        code = page.locator(".receipt-code code").inner_text()

        page.goto(f"{live_server}/report/follow-up")
        _type_like_a_child(page, "#f-receipt")
        _still_here(page, "/report/follow-up")
        page.locator("#f-receipt").fill(code)
        page.get_by_role("button", name="Show my report").click()
        _type_like_a_child(page, "#f-message")
        _still_here(page, "/report/follow-up")
        assert page.locator("#f-message").input_value().startswith(SHOUTING)

        # Outside a field, Esc is the shortcut, and Back does not bring the report back.
        page.locator("h1").click()
        page.keyboard.press("Escape")
        page.wait_for_url(NEUTRAL)
        page.go_back()
        # Back reaches the page *before* the one left (here the empty follow-up form), never
        # the status page that was showing, and none of the words typed.
        page.wait_for_load_state()
        assert SHOUTING not in page.content() and page.locator("#f-message").count() == 0
    finally:
        context.close()


def _reporter_pages(page: Any, base: str) -> list[str]:
    return [f"{base}/", f"{base}/report?lang=da", f"{base}/report/follow-up"]


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_quick_exit_leaves_from_every_reporter_page(live_server, browser, js):
    context, page = _context(browser, js=js)
    try:
        for url in _reporter_pages(page, live_server):
            page.goto(url)
            page.locator("#quick-exit").click()
            page.wait_for_url(NEUTRAL)
        # The pages reached by POST: the receipt, a report's status, a refusal.
        page.goto(f"{live_server}/report")
        page.locator("#f-what").fill("Something")
        page.get_by_label("Something else").check()
        page.get_by_role("button", name="Send report").click()
        code = page.locator(".receipt-code code").inner_text()
        page.locator("#quick-exit").click()
        page.wait_for_url(NEUTRAL)
        page.goto(f"{live_server}/report/follow-up")
        page.locator("#f-receipt").fill(code)
        page.get_by_role("button", name="Show my report").click()
        page.locator("#quick-exit").click()
        page.wait_for_url(NEUTRAL)
        page.goto(f"{live_server}/report/follow-up")
        page.locator("#f-receipt").fill("12")
        page.get_by_role("button", name="Show my report").click()
        page.locator("#quick-exit").click()
        page.wait_for_url(NEUTRAL)
        page.go_back()
        page.wait_for_load_state()
        # With JS the page left was replaced in the history; without, Back can only re-ask the
        # desk (no-store), which shows an empty form: never the code typed.
        assert "12" not in (page.locator("#f-receipt").input_value() if page.locator("#f-receipt").count() else "")
    finally:
        context.close()


def test_the_receipt_survives_a_reload_and_a_restored_tab(live_server, browser):
    """Issue 21.2 in a real browser: reload the receipt page (the browser re-sends the form),
    then restore it as a phone does a discarded tab (a new page, the same URL and POST): the
    code is still there, and there is still one report."""
    for js in (True, False):
        context, page = _context(browser, js=js)
        try:
            page.goto(f"{live_server}/report")
            page.locator("#f-what").fill("Please do not lose my words")
            page.get_by_label("Something else").check()
            form = {"form_token": page.locator("input[name=form_token]").input_value(),
                    "category": "other", "what": "Please do not lose my words"}
            page.get_by_role("button", name="Send report").click()
            code = page.locator(".receipt-code code").inner_text()
            page.reload()  # Chromium re-posts without asking in automation
            assert page.locator(".receipt-code code").inner_text() == code
            assert "You already sent this report" in page.content()
            restored = context.new_page()
            restored.goto(f"{live_server}/report", wait_until="commit")  # a fresh tab, then the same POST
            resp = restored.request.post(f"{live_server}/report", multipart=form)
            assert resp.status == 200 and code in resp.text()
            page.goto(f"{live_server}/report/follow-up")
            page.locator("#f-receipt").fill("  " + code.upper().replace(" ", "   ") + " ")
            page.get_by_role("button", name="Show my report").click()
            assert page.get_by_role("heading", level=1).inner_text() == "Your report"
        finally:
            context.close()
