"""The reporter's journey in every shipped language on a 390 px phone without JavaScript,
axe clean (issue 21, "done when"): a child chooses "someone asked me for photos", sends,
gets a word code, the receipt promises the safeguarding desk's first look with advice and
never the Directive's three months; the code typed back in capitals opens the status page.
With C2C_UPDATE_SCREENSHOTS=1 the English and Danish pages are written to docs/screenshots/
for docs/reporting.md."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from c2c_safety.core import i18n
from tests.browser.conftest import dump

PHONE = {"width": 390, "height": 844}
DOCS_OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OUT = DOCS_OUT if os.environ.get("C2C_UPDATE_SCREENSHOTS") else Path(tempfile.mkdtemp(prefix="c2c-rep-shots-"))


@pytest.fixture(autouse=True)
def _fast(app, redis_conn):
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def _fits(page: Any) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"{page.url} is {wide}px wider than the phone"


def _shot(page: Any, lang: str, name: str) -> None:
    if lang in ("en", "da"):
        page.screenshot(path=str(OUT / f"reporter-{name}-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", [code for code, _ in i18n.available()])
def test_a_childs_journey_in_every_language_on_a_phone_without_js(live_server, browser, axe_check, lang):
    def t(key: str, **values: Any) -> str:
        return i18n.text(key, lang, **values)

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server}/?lang={lang}")
        assert page.get_by_role("heading", level=1).inner_text() == t("home.title")
        assert axe_check(page) == [], dump(axe_check(page))
        _shot(page, lang, "home")
        page.get_by_role("link", name=t("home.report")).click()
        assert page.get_by_role("heading", level=1).inner_text() == t("form.title")
        _fits(page)
        assert axe_check(page) == [], dump(axe_check(page))
        _shot(page, lang, "form")
        page.get_by_label(t("category.child_sexual")).check()
        page.get_by_label(t("about.me")).check()
        page.get_by_label(t("age.13_15")).check()
        page.get_by_label(t("form.what")).fill("Someone I met in a project chat wants more photos or he sends them.")
        page.get_by_role("button", name=t("form.submit"), exact=True).click()

        assert page.get_by_role("heading", level=1).inner_text() == t("receipt.title")
        code = page.locator(".receipt-code code").inner_text()
        assert len(code.split()) == 7
        html = page.content()
        assert t("receipt.child_promise", hours=24) in html and t("advice.child_sexual.2") in html
        assert t("receipt.ack", date="", feedback="").split("{")[0][:20] not in html  # never the 3 months
        _fits(page)
        _shot(page, lang, "receipt")

        page.get_by_role("link", name=t("receipt.follow")).click()
        page.get_by_label(t("follow.receipt")).fill(" " + code.upper().replace(" ", " - ") + " ")
        page.get_by_role("button", name=t("follow.submit")).click()
        assert page.get_by_role("heading", level=1).inner_text() == t("status.title")
        assert t("status.not_read_child", hours=24) in page.content()
        _fits(page)
        _shot(page, lang, "status")
        page.goto(f"{live_server}/report/help?lang={lang}")
        assert axe_check(page) == [], dump(axe_check(page))
        _fits(page)
        assert context.cookies() == []
    finally:
        context.close()
