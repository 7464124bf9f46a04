"""The reporter's way in, in a real browser (issue 13, part 5): from `/` on a 390 px phone
without JavaScript, in Danish, to a receipt and the follow-up, the first question on the
first screen, a quick exit on every page; and with JavaScript, the quick exit replaces the
page in the history so Back does not return to it. Nothing from another host is loaded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import dump

PHONE = {"width": 390, "height": 844}
NEUTRAL = "https://www.google.com/"


@pytest.fixture(autouse=True)
def _fast(app, redis_conn):
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def _phone(browser: Any, js: bool) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=js)
    page = context.new_page()
    page.set_default_timeout(10_000)
    other_hosts: list[str] = []

    def neutral(route: Any) -> None:
        # The quick exit's target, answered here: the test machine has no internet.
        route.fulfill(status=200, content_type="text/html", body="<title>Google</title><p>neutral</p>")

    def record(request: Any) -> None:
        if not request.url.startswith(("http://127.0.0.1", NEUTRAL, "data:", "about:")):
            other_hosts.append(request.url)

    page.route(NEUTRAL + "**", neutral)
    page.on("request", record)
    return context, page, other_hosts


def _fits(page: Any) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"{page.url} is {wide}px wider than the phone"


def _quick_exit_present(page: Any, label: str) -> None:
    link = page.get_by_role("link", name=label)
    assert link.count() == 1 and link.get_attribute("data-exit") == NEUTRAL
    assert link.get_attribute("href") == "/report/leave"  # without JS: the desk redirects
    box = link.bounding_box()
    assert box is not None and box["y"] < 120, "the quick exit is not at the top of the screen"


def test_reporter_journey_from_root_on_a_phone_without_js_in_danish(app, live_server, browser, axe_check):
    context, page, other_hosts = _phone(browser, js=False)
    try:
        page.goto(f"{live_server}/")
        assert page.get_by_role("heading", level=1).inner_text() == "Worried about something on Class2Class?"
        page.get_by_role("navigation", name="Language").locator("summary").click()  # folded: one line on a phone
        page.get_by_role("navigation", name="Language").get_by_role("link", name="Dansk").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Er du bekymret for noget på Class2Class?"
        assert page.get_by_role("link", name="Log ind for medarbejdere").count() == 1
        assert page.locator("a.skip-link").inner_text() == "Gå til hovedindholdet"
        _quick_exit_present(page, "Forlad siden")
        _fits(page)
        assert axe_check(page) == [], dump(axe_check(page))

        page.get_by_role("link", name="Fortæl os noget").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Fortæl os, hvad der er sket"
        first = page.get_by_label("Nogen er onde ved mig")
        box = first.bounding_box()
        assert box is not None and box["y"] + box["height"] <= PHONE["height"], box  # on the first screen
        assert page.locator("a.skip-link").inner_text() == "Gå til hovedindholdet"
        _quick_exit_present(page, "Forlad siden")
        _fits(page)
        violations = axe_check(page)
        assert violations == [], dump(violations)
        # The privacy details are still there, one tap away, without JavaScript.
        page.get_by_text("Dit privatliv, og hvad der sker nu").click()
        assert page.get_by_text("Vi gemmer ikke din IP-adresse").is_visible()

        first.check()
        page.get_by_label("Fortæl, hvad der skete").fill(
            "En voksen skriver privat til en 12-årig og beder om billeder.")
        page.get_by_role("button", name="Send", exact=True).click()
        assert page.get_by_role("heading", level=1).inner_text() == "Tak. Vi har fået det, du skrev."
        receipt = page.locator(".receipt-code code").inner_text()
        _quick_exit_present(page, "Forlad siden")
        _fits(page)

        page.get_by_role("link", name="Kom tilbage senere").click()
        page.get_by_label("Din kode").fill(receipt)
        page.get_by_role("button", name="Vis, hvad der sker").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Det, du fortalte os"
        _quick_exit_present(page, "Forlad siden")
        _fits(page)
        # The follow-up page switches language too, without the receipt in the URL.
        page.get_by_role("navigation", name="Sprog").locator("summary").click()  # folded: one line on a phone
        page.get_by_role("navigation", name="Sprog").get_by_role("button", name="English").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Your report"
        assert "receipt" not in page.url and "+" not in page.url and "%20" not in page.url
        page.get_by_role("navigation", name="Language").locator("summary").click()  # folded: one line on a phone
        page.get_by_role("navigation", name="Language").get_by_role("button", name="Dansk").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Det, du fortalte os"

        page.get_by_role("link", name="Forlad siden").click()  # no JavaScript: a plain link
        page.wait_for_url(NEUTRAL)
        assert "neutral" in page.content()
        assert context.cookies() == []  # the whole visit set no cookie
        assert other_hosts == [], other_hosts
    finally:
        context.close()


def test_quick_exit_with_javascript_leaves_no_way_back(app, live_server, browser, dialogs):
    context, page, _ = _phone(browser, js=True)
    try:
        page.goto(f"{live_server}/report?lang=da")
        page.get_by_label("Fortæl, hvad der skete").fill("Noget privat, som ingen må se.")
        assert not page.locator("#quick-exit-hint").is_visible()  # no keyboard hint on a touch screen
        page.get_by_role("link", name="Forlad siden").click()
        page.wait_for_url(NEUTRAL)
        page.go_back()
        assert "/report" not in page.url  # the report page was replaced in the history
        # The keyboard shortcut: Esc, outside the fields.
        page.goto(f"{live_server}/report/follow-up?lang=da")
        page.keyboard.press("Escape")
        page.wait_for_url(NEUTRAL)
        assert dialogs == []
    finally:
        context.close()
