"""The reporter's journey in every shipped language on a 390 px phone without JavaScript,
axe clean (issue 21, "done when"): a child opens the landing page, chooses "someone asked me
for photos", sends, gets a word code in their language, the receipt promises the
safeguarding desk's first look with advice and never the Directive's three months; the code
typed back in capitals opens the status page. Every page carries the language in `<html
lang>` and no English sentence. One browser, one test per language.
With C2C_UPDATE_SCREENSHOTS=1 the English and Danish pages are written to docs/screenshots/
for docs/reporting.md."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from c2c_safety.core.locale import PUBLIC_LANGUAGES
from c2c_safety.report import codes
from tests.browser.conftest import dump
from tests.po_catalogs import english_sentences, translated, translated_n

PHONE = {"width": 390, "height": 844}
DOCS_OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OUT = DOCS_OUT if os.environ.get("C2C_UPDATE_SCREENSHOTS") else Path(tempfile.mkdtemp(prefix="c2c-rep-shots-"))
PROMISE = ("A trained person will read this within %(num)s hour. You did the right thing by telling us.",
           "A trained person will read this within %(num)s hours. You did the right thing by telling us.")
NOT_READ = ("Not yet. A trained person will read it within %(num)s hour.",
            "Not yet. A trained person will read it within %(num)s hours.")


@pytest.fixture(autouse=True)
def _fast(app, redis_conn):
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def _fits(page: Any) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"{page.url} is {wide}px wider than the phone"


def _shot(page: Any, lang: str, name: str) -> None:
    if lang in ("en", "da"):
        page.screenshot(path=str(OUT / f"reporter-{name}-{lang}.png"), full_page=True)


def _speaks(page: Any, lang: str) -> None:
    """The page says it is in `lang`, and (for a language other than English) shows no
    English sentence that the language translates."""
    assert page.locator("html").get_attribute("lang") == lang, page.url
    if lang != "en":
        text = page.locator("body").inner_text()
        english = [s for s in english_sentences(lang) if s in text]
        assert not english, f"{lang} page {page.url} shows English: {english[:3]}"


@pytest.mark.parametrize("lang", list(PUBLIC_LANGUAGES))
def test_a_childs_journey_in_every_language_on_a_phone_without_js(live_server, browser, axe_check, lang):
    def t(msgid: str, **values: Any) -> str:
        return translated(lang, msgid, **values)

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server}/?lang={lang}")
        assert page.get_by_role("heading", level=1).inner_text() == t("Worried about something on Class2Class?")
        _speaks(page, lang)
        assert axe_check(page) == [], dump(axe_check(page))
        _shot(page, lang, "home")
        page.get_by_role("link", name=t("Report a concern")).click()
        assert page.get_by_role("heading", level=1).inner_text() == t("Tell us about a concern")
        _speaks(page, lang)
        first_choice = page.get_by_label(t("Someone is being mean to me")).bounding_box()
        assert first_choice is not None and first_choice["y"] < PHONE["height"], "first question off the first screen"
        _fits(page)
        assert axe_check(page) == [], dump(axe_check(page))
        _shot(page, lang, "form")
        page.get_by_label(t("Someone asked me for photos or sent me sexual things")).check()
        page.get_by_label(t("Yes, it is about me")).check()
        page.get_by_label(t("13–15")).check()
        page.get_by_label(t("Tell us what happened"), exact=True).fill(
            "Someone I met in a project chat wants more photos or he sends them.")
        page.get_by_role("button", name=t("Send report"), exact=True).click()

        assert page.get_by_role("heading", level=1).inner_text() == t("Thank you. We have received your report.")
        _speaks(page, lang)
        code = page.locator(".receipt-code code").inner_text()
        assert len(code.split()) == 7 and all(w in codes.wordlist(lang) for w in code.split())  # their words
        html = page.content()
        assert translated_n(lang, *PROMISE, 24) in html
        assert t("Do not pay and do not send more pictures. Paying does not make it stop.") in html
        adult = t("Your report was acknowledged on %(date)s. We will give you feedback by %(feedback)s at the latest.")
        assert max(re.split(r"%\(\w+\)s", adult), key=len).strip() not in html  # never the three months
        assert axe_check(page) == [], dump(axe_check(page))
        _fits(page)
        _shot(page, lang, "receipt")

        page.get_by_role("link", name=translated(lang, "Follow your report", context="receipt")).click()
        _speaks(page, lang)
        page.get_by_label(t("Receipt code")).fill(" " + code.upper().replace(" ", " - ") + " ")
        page.get_by_role("button", name=t("Show my report")).click()
        assert page.get_by_role("heading", level=1).inner_text() == t("Your report")
        _speaks(page, lang)
        assert translated_n(lang, *NOT_READ, 24) in page.content()
        assert axe_check(page) == [], dump(axe_check(page))
        _fits(page)
        _shot(page, lang, "status")
        page.goto(f"{live_server}/report/help?lang={lang}")
        _speaks(page, lang)
        assert axe_check(page) == [], dump(axe_check(page))
        _fits(page)
        assert context.cookies() == []
    finally:
        context.close()
