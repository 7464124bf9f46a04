"""Every public-page string has a translation in every shipped language (issue 21.4): a key
used by a reporter template, by the report package's errors, or dynamically (categories,
answers, advice) that a catalog lacks fails here — English is a fallback for a bug, not a
translation. Placeholders must match too, or a language would crash or lose the number."""

from __future__ import annotations

import re
import string
from pathlib import Path

from c2c_safety.core import i18n
from c2c_safety.report import reports

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_TEMPLATES = [*sorted((ROOT / "templates" / "report").glob("*.html")),
                    ROOT / "templates" / "home" / "public.html"]
PUBLIC_CODE = sorted((ROOT / "c2c_safety" / "report").glob("*.py"))
ADVICE = {"child_sexual": 6, "child_mean": 5, "child_friend": 4, "child_adult": 4, "safeguarding_minor": 3}


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in PUBLIC_TEMPLATES:
        found = re.findall(r"tr\('([a-z0-9_.]+)'", path.read_text(encoding="utf-8"))
        keys |= {k for k in found if not k.endswith(".")}  # "category." ~ c: listed below
    for path in PUBLIC_CODE:
        keys |= {k for k in re.findall(r'"((?:err|form|page|file|files|receipt|status)\.[a-z0-9_.]+)"',
                                       path.read_text(encoding="utf-8"))}
    keys |= {f"category.{c}" for c in reports.CATEGORIES} | {f"about.{a}" for a in reports.ABOUT}
    keys |= {f"age.{a}" for a in reports.AGE_BANDS} | {f"meeting.{m}" for m in reports.MEETINGS}
    keys |= {f"advice.{c}.{n}" for c, count in ADVICE.items() for n in range(1, count + 1)}
    keys |= {"case_status.received", "case_status.acknowledged", "case_status.investigating",
             "case_status.feedback_given", "case_status.closed", "date.months", "date.format"}
    return keys


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_public_string_is_translated_in_every_shipped_language():
    cats = i18n.catalogs()
    keys = used_keys()
    assert len(keys) > 100 and "advice.child_sexual.6" in keys
    missing = {lang: sorted(k for k in keys if not cats[lang].get(k, "").strip()) for lang in cats}
    assert all(not m for m in missing.values()), missing


def test_placeholders_agree_across_languages():
    cats = i18n.catalogs()
    for key, english in cats[i18n.DEFAULT].items():
        for lang, cat in cats.items():
            if key in cat:
                assert _fields(cat[key]) == _fields(english), (lang, key)


def test_the_child_advice_in_the_template_matches_the_test():
    html = (ROOT / "templates" / "report" / "receipt.html").read_text(encoding="utf-8")
    for category, count in ADVICE.items():
        assert f"'{category}': {count}" in html


def test_dates_and_numbers_follow_the_language():
    from datetime import UTC, datetime

    when = datetime(2027, 3, 7, 12, tzinfo=UTC)
    assert i18n.format_date(when, "en") == "7 March 2027"
    assert i18n.format_date(when, "da") == "7. marts 2027"
    assert i18n.translator("da")("err.too_long", max=20000) == "Skriv højst 20.000 tegn her."
    assert i18n.translator("en")("err.too_long", max=20000) == "Please keep this under 20,000 characters."
