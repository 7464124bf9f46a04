"""Journeys the other browser tests leave out (test_report_nojs, test_review_desk,
test_cases_flow and test_shell cover the rest).

- The reporter's pages that only a POST shows (the receipt and the follow-up status page)
  pass axe: `axe_check` re-opens the URL with a GET, so here axe runs on the page in place.
- The same report with JavaScript ON, on a 320 px phone: no sideways scroll either way.
- The independent reviewer reads the transparency report and verifies the audit chain.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.browser.conftest import AXE, browser_login, dump
from tests.support.review import claim, decide, make_item

SCORES = {"harassment": 0.93, "hate": 0.05, "threat": 0.02, "sexual": 0.0, "grooming": 0.0,
          "self_harm": 0.0, "profanity": 0.1}


@pytest.fixture(autouse=True)
def _fast(app: Flask, redis_conn: Any) -> None:
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def _axe_here(page: Any) -> list[dict[str, Any]]:
    """axe-core on the page as it is (the context was opened with bypass_csp)."""
    page.add_script_tag(content=Path(AXE).read_text())
    result = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_reporter_receipt_and_status_pages_on_a_phone(live_server: str, browser: Any, js: bool) -> None:
    context = browser.new_context(java_script_enabled=js, bypass_csp=True, is_mobile=True,
                                  has_touch=True, viewport={"width": 320, "height": 640})
    page = context.new_page()
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
    try:
        page.goto(f"{live_server}/report?lang=en")
        page.get_by_label("A child or young person may be at risk", exact=False).check()
        page.get_by_label("Tell us what happened").fill("An adult asks a 12-year-old for photos in a private chat.")
        page.get_by_role("button", name="Send report").click()
        receipt = page.locator(".receipt-code code").inner_text()
        assert re.fullmatch(r"[a-z]+( [a-z]+){6}", receipt)  # seven words
        pages = {"receipt": page.evaluate("document.documentElement.scrollWidth")}
        if js:  # axe needs script; the no-JS run checks the layout only
            assert _axe_here(page) == [], dump(_axe_here(page))
        page.goto(f"{live_server}/report/follow-up?lang=en")
        page.get_by_label("Receipt code").fill(receipt)
        page.get_by_role("button", name="Show my report").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Your report"
        pages["status"] = page.evaluate("document.documentElement.scrollWidth")
        if js:
            violations = _axe_here(page)
            assert violations == [], dump(violations)
        wide = {k: w for k, w in pages.items() if w > 320}
        assert not wide, f"sideways scroll at 320px: {wide}"
        assert seen == []
    finally:
        context.close()


def test_reviewer_reads_the_transparency_report_and_verifies_the_trail(
        app: Flask, client: Any, live_server: str, page: Any, axe_check: Any, make_user: Any,
        signed_in: Any) -> None:
    iid = make_item(app, scores=SCORES)
    signed_in("moderator")

    assert claim(client, iid).status_code == 302
    assert decide(client, iid).status_code == 302
    browser_login(page, live_server, make_user("independent_reviewer", totp=True))
    page.goto(f"{live_server}/review/reports")
    report = page.locator("main").inner_text()
    assert "remove" in report.lower() or "removed" in report.lower(), report[:800]
    violations = axe_check(page)
    assert violations == [], dump(violations)
    page.goto(f"{live_server}/review/audit")
    assert "decision" in page.locator("main").inner_text().lower()
    assert axe_check(page) == [], dump(axe_check(page))
    page.goto(f"{live_server}/review/audit/verify")
    assert axe_check(page) == [], dump(axe_check(page))
