"""The gettext catalogs (issue 21.4): every public-page string is translated in every shipped
language, with the same placeholders; the committed .pot templates are what the code says
today (so a new string without translations fails here, not in front of a child); staff
pages are translated into Danish; dates and numbers follow the page's language."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from c2c_safety.core import locale
from tests.po_catalogs import TRANSLATIONS, catalog

ROOT = TRANSLATIONS.parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _template(domain: str) -> Catalog:
    with (TRANSLATIONS / f"{domain}.pot").open(encoding="utf-8") as f:
        return read_po(f)


def _ids(cat: Catalog) -> set[object]:
    return {(m.context, m.id) if m.context else m.id for m in cat if m.id}


def _untranslated(lang: str, domain: str) -> list[str]:
    """Every msgid of the domain's template that `lang` lacks, leaves empty or marks fuzzy,
    and every one whose placeholders differ from the English."""
    po = catalog(lang, domain)
    problems = []
    for m in _template(domain):
        if not m.id:
            continue
        found = po.get(m.id, context=m.context)
        strings = () if found is None else (found.string if isinstance(found.string, tuple) else (found.string,))
        english = set(PLACEHOLDER.findall(m.id if isinstance(m.id, str) else " ".join(m.id)))
        if found is None or found.fuzzy or not strings or not all(s.strip() for s in strings):
            problems.append(f"untranslated: {m.id!r}")
        elif any(set(PLACEHOLDER.findall(s)) - {"num"} != english - {"num"} for s in strings):
            problems.append(f"placeholders differ: {m.id!r}")
    return problems


def test_the_public_template_holds_the_reporter_pages():
    ids = _ids(_template("public"))
    assert len(ids) > 150
    assert "Leave this page" in ids and "Someone is being mean to me" in ids  # templates and Python
    assert ("%(num)s file attached", "%(num)s files attached") in ids  # ngettext


@pytest.mark.parametrize("lang", list(locale.PUBLIC_LANGUAGES))
def test_every_public_string_is_translated_in_every_shipped_language(lang):
    problems = _untranslated(lang, "public")
    assert not problems, f"{lang}: {len(problems)} problems, first: {problems[:5]}"


@pytest.mark.parametrize("lang", [code for code in locale.PUBLIC_LANGUAGES if code != "en"])
def test_every_public_catalog_carries_its_native_review_marker(lang):
    head = (TRANSLATIONS / lang / "LC_MESSAGES" / "public.po").read_text(encoding="utf-8").split('msgid ""')[0]
    assert re.search(r"^# NATIVE-REVIEW: (pending|done)\b", head, re.M), lang


def _extract(domain: str, out: Path) -> Catalog:
    pybabel = Path(sys.executable).with_name("pybabel")
    cfg = {"public": "babel-public.cfg", "messages": "babel-staff.cfg"}[domain]
    subprocess.run([str(pybabel), "-q", "extract", "-F", cfg, "-o", str(out), "."], cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    with out.open(encoding="utf-8") as f:
        return read_po(f)


@pytest.mark.parametrize("domain", ["public", "messages"])
def test_the_committed_templates_are_current(domain, tmp_path):
    """`make messages` was run after the last change to a user-facing string."""
    fresh = _ids(_extract(domain, tmp_path / f"{domain}.pot"))
    committed = _ids(_template(domain))
    assert fresh == committed, (f"run `make messages`: new {sorted(map(str, fresh - committed))[:5]}, "
                                f"gone {sorted(map(str, committed - fresh))[:5]}")


# INTEGRATION: the staff pages are wrapped in gettext on other branches (issue 21.4, staff
# side), which fill da/LC_MESSAGES/messages.po. Expected to fail until they are merged and
# `make messages` has run; it must pass before issue 21 closes. Not skipped on purpose.
def test_staff_pages_are_translated_into_danish():
    problems = _untranslated("da", "messages")
    assert len(_ids(_template("messages"))) > 100, "staff pages not wrapped in gettext yet (integration)"
    assert not problems, f"da/messages.po: {len(problems)} problems, first: {problems[:5]}"


def test_dates_and_numbers_follow_the_language():
    when = datetime(2027, 3, 7, 12, tzinfo=UTC)
    assert locale.format_date(when, "en") == "7 March 2027"
    assert locale.format_date(when, "da") == "7. marts 2027"
    assert locale.format_date(when, "de") == "7. März 2027"
    assert locale.format_number(20000, "da") == "20.000" and locale.format_number(20000, "en") == "20,000"


def test_errors_and_plurals_in_the_pages_language(app):
    from c2c_safety.core.locale import say
    from c2c_safety.report import texts

    with app.test_request_context("/report?lang=da"):
        locale.use_public_language()
        assert say(texts.ERR_TOO_LONG, {"max": 20000}) == "Skriv højst 20.000 tegn her."
    with app.test_request_context("/report?lang=pl"):
        locale.use_public_language()
        from flask_babel import ngettext
        assert ngettext("%(num)s file attached", "%(num)s files attached", 3) == "3 załączone pliki"
        assert ngettext("%(num)s file attached", "%(num)s files attached", 5) == "5 załączonych plików"
    with app.test_request_context("/report?lang=en"):
        locale.use_public_language()
        assert say(texts.ERR_TOO_LONG, {"max": 20000}) == "Please keep this under 20,000 characters."
