"""Issue 22.8 in a real browser without JavaScript at 390 px: a case handler sends the anonymous
reporter a photo (a refused type first: a form error), and the reporter downloads it from the
status page with their code; its metadata is gone. Clicks counted; axe on both pages."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select

from models import CaseFile
from tests.browser.conftest import browser_login, dump
from tests.support.intake import receipt_of, submit_report
from tests.support.media import picture

PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px screen"


def _axe_on_dom(browser: Any, page: Any) -> list[dict[str, Any]]:
    """axe on exactly the DOM the no-JS page shows (the status page is a POST answer, so it
    cannot be fetched again by URL): the same HTML in a CSP-bypassing twin at the same origin."""
    ctx = browser.new_context(bypass_csp=True, viewport=PHONE, storage_state=page.context.storage_state())
    twin = ctx.new_page()
    try:
        twin.goto(page.url)
        twin.set_content(page.content())
        twin.add_script_tag(path=str(AXE))
        result = twin.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
                                  values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    finally:
        ctx.close()
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_a_handler_sends_a_photo_and_the_reporter_downloads_it_without_js(
        app, db, live_server, browser, make_user, tmp_path, redis_conn):
    receipt = receipt_of(submit_report(app.test_client(), {"category": "ethical",
                                                           "what": "The trip money went missing."}))
    cid = db.scalars(select(CaseFile.id)).one()
    db.rollback()
    handler = make_user("case_handler")
    photo = tmp_path / "Leaflet photo.jpg"
    photo.write_bytes(picture(7, exif=True))
    bad = tmp_path / "page.html"
    bad.write_bytes(b"<html><script>alert(1)</script></html>")

    staff = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = staff.new_page()
    page.set_default_timeout(15_000)
    try:
        browser_login(page, live_server, handler)
        page.goto(f"{live_server}/cases/{cid}")
        clicks = 0
        page.get_by_label("Message to the reporter").fill("Here is the leaflet we mentioned.")
        page.get_by_label("A file for the reporter (optional)").set_input_files(str(bad))
        page.get_by_role("button", name="Send to the reporter").click()
        assert "This kind of file cannot be sent" in page.content()  # refused, nothing sent
        page.get_by_label("Message to the reporter").fill("Here is the leaflet we mentioned.")
        page.get_by_label("A file for the reporter (optional)").set_input_files(str(photo))
        page.get_by_role("button", name="Send to the reporter").click()
        clicks += 1
        assert "Message sent" in page.content()
        _no_sideways_scroll(page)
        violations = _axe_on_dom(browser, page)
        assert violations == [], dump(violations)
    finally:
        staff.close()
    print(f"clicks to send the reporter a file from the case page: {clicks} (plus choosing the file)")

    reporter = browser.new_context(java_script_enabled=False, viewport=PHONE, accept_downloads=True)
    page = reporter.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server}/report/follow-up")
        page.get_by_label("Receipt code").fill(receipt)
        page.get_by_role("button", name="Show my report").click()
        assert "Here is the leaflet we mentioned." in page.content()
        _no_sideways_scroll(page)
        violations = _axe_on_dom(browser, page)
        assert violations == [], dump(violations)
        with page.expect_download() as info:
            page.get_by_role("button", name="Download Leaflet photo.jpg").click()
        download = info.value
        assert download.suggested_filename == "Leaflet photo.jpg"
        data = Path(download.path()).read_bytes()
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and not image.getexif() and b"PhoneMaker" not in data
        assert reporter.cookies() == []  # the code's session is the form, never a cookie
    finally:
        reporter.close()
    print("clicks for the reporter to download it: 2 (show my report, download; plus typing the code)")


def test_a_moderator_restricts_an_account_from_its_page_without_js(app, db, live_server, browser, make_user,
                                                                   redis_conn):
    """Issue 22.5: the account page's restriction request, reason then confirmation (clicks counted)."""
    from tests.support.review import make_item

    iid = make_item(app, author="u-acct-b1")
    moderator = make_user("moderator")
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        browser_login(page, live_server, moderator)
        page.goto(f"{live_server}/queue/{iid}/account")
        clicks = 0
        page.get_by_role("button", name="Continue to confirmation").click()  # no reason: a form error
        assert "a reason is required" in page.content()
        page.get_by_label("Why the account should be restricted").fill(
            "Five reports of grooming messages from this account this week.")
        page.get_by_role("button", name="Continue to confirmation").click()
        clicks += 1
        assert "Check before you send" in page.content()
        violations = _axe_on_dom(browser, page)
        assert violations == [], dump(violations)
        page.get_by_role("button", name="Confirm and send: restrict the account").click()
        clicks += 1
        assert "Sent to the platform" in page.content()
        assert "asked from this page" in page.locator("main").inner_text()
        _no_sideways_scroll(page)
    finally:
        context.close()
    print(f"clicks to restrict an account from its page: {clicks} (plus writing the reason)")
    assert clicks == 2
