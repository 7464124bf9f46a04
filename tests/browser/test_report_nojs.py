"""The anonymous report channel in a real browser with JavaScript off, on a 320 px phone."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import dump
from tests.report.test_attachments import jpeg_with_gps


@pytest.fixture(autouse=True)
def _fast(app, redis_conn):
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"page is {width}px wide on a 320px screen"


def test_report_and_follow_up_on_a_phone_without_js(live_server, phone_page_nojs, dialogs, tmp_path):
    page = phone_page_nojs
    photo = tmp_path / "skærmbillede.jpg"
    photo.write_bytes(jpeg_with_gps())

    page.goto(f"{live_server}/report")
    page.locator(".lang-switch summary").click()
    page.get_by_role("link", name="Dansk").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Fortæl os, hvad der er sket"
    _no_sideways_scroll(page)
    page.get_by_label("Et barn eller en ung kan være i fare").check()
    page.get_by_label("Fortæl, hvad der skete").fill(
        'En voksen skriver privat til en 12-årig. <script>alert("x")</script>')
    page.get_by_label("Hvornår skete det?").fill("I går")
    page.get_by_label("Vedhæft filer").set_input_files(str(photo))
    page.get_by_role("button", name="Send", exact=True).click()

    assert page.get_by_role("heading", level=1).inner_text() == "Tak. Vi har fået det, du skrev."
    receipt = page.locator(".receipt-code code").inner_text()
    assert re.fullmatch(r"[a-z]+( [a-z]+){6}", receipt)  # seven words
    assert receipt not in page.url
    _no_sideways_scroll(page)

    page.get_by_role("link", name="Kom tilbage senere").click()
    page.get_by_label("Din kode").fill(receipt.upper().replace(" ", "  -  "))  # any case, any spacing
    page.get_by_role("button", name="Vis, hvad der sker").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Det, du fortalte os"
    assert "Modtaget og bekræftet" in page.content()
    _no_sideways_scroll(page)

    page.get_by_label("Din besked").fill("Han hedder 'coolteacher' på platformen.")
    page.get_by_role("button", name="Send besked").click()
    assert "Din besked er sendt." in page.content()
    assert "Han hedder" in page.locator(".message").last.inner_text()
    assert "receipt" not in page.url and "+" not in page.url and "%20" not in page.url

    assert page.context.cookies() == []  # nothing remembered: no session, no language cookie
    assert dialogs == []


def test_errors_are_shown_and_text_is_kept_without_js(live_server, page_nojs):
    page = page_nojs
    page.goto(f"{live_server}/report")
    page.get_by_label("Tell us what happened").fill("")
    page.get_by_label("Who is involved?").fill("someone in 7B")
    page.get_by_role("button", name="Send report").click()
    assert page.get_by_role("alert").filter(has_text="There is a problem").is_visible()
    assert page.get_by_label("Who is involved?").input_value() == "someone in 7B"
    page.get_by_role("link", name="What happened?").click()  # summary links to the field


@pytest.mark.parametrize("path", ["/report", "/report?lang=da", "/report/follow-up", "/report/follow-up?lang=da"])
def test_report_pages_pass_axe(live_server, page, axe_check, path):
    page.goto(live_server + path)
    violations = axe_check(page)
    assert violations == [], dump(violations)
