"""Translations for the public pages (the anonymous report channel), from JSON catalogs.

Each language is one file, `c2c_safety/translations/<code>.json`, a flat object of
`"key": "text"`; `"_meta": {"name": ...}` names the language in itself. Adding a language
is adding a file: the switcher and the `lang` check pick it up. English is the fallback for
a key a catalog lacks. Texts may hold `{name}` placeholders, filled with str.format_map.

The language is chosen per request (query string or hidden field, then the browser's
Accept-Language) and never remembered in a cookie.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers

CATALOG_DIR = Path(__file__).resolve().parent.parent / "translations"
DEFAULT = "en"
# Dates on the public pages are shown in the platform's home time zone (Denmark).
DISPLAY_ZONE = "Europe/Copenhagen"
# The CLDR locale for a page language where the bare code is not the one we mean: English
# for European children writes "7 March 2027", not the US "March 7, 2027".
LOCALES = {"en": "en_GB"}

Translator = Callable[..., str]


@cache
def catalogs() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOG_DIR.glob("*.json")):
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        meta = data.pop("_meta", {})
        out[path.stem] = {k: str(v) for k, v in data.items()}
        out[path.stem]["_name"] = str(meta.get("name", path.stem))
    return out


def available() -> list[tuple[str, str]]:
    """(code, name in its own language) for every catalog, English first."""
    cats = catalogs()
    codes = sorted(cats, key=lambda c: (c != DEFAULT, c))
    return [(code, cats[code]["_name"]) for code in codes]


def is_available(code: str | None) -> bool:
    return bool(code) and code in catalogs()


def _from_accept_language(header: str) -> str | None:
    """The best catalog for an Accept-Language header (q-values honoured, region ignored)."""
    best: tuple[float, str] | None = None
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        code = tag.strip().lower().split("-")[0]
        if q > 0 and is_available(code) and (best is None or q > best[0]):
            best = (q, code)
    return best[1] if best else None


def pick(requested: str | None, accept_language: str | None = None) -> str:
    if requested and is_available(requested):
        return requested
    if accept_language:
        found = _from_accept_language(accept_language[:500])
        if found:
            return found
    return DEFAULT


def text(key: str, lang: str, **values: Any) -> str:
    cats = catalogs()
    raw = cats.get(lang, {}).get(key) or cats[DEFAULT].get(key)
    if raw is None:
        raise KeyError(f"no translation for {key!r}")
    return raw.format_map(values) if values else raw


def translator(lang: str) -> Translator:
    def tr(key: str, **values: Any) -> str:
        # Counts and limits in the language's own digits grouping ("20.000 tegn").
        shown = {k: format_number(v, lang) if isinstance(v, int) and not isinstance(v, bool) else v
                 for k, v in values.items()}
        return text(key, lang, **shown)

    return tr


@cache
def _zone() -> tzinfo:
    try:
        return ZoneInfo(DISPLAY_ZONE)
    except ZoneInfoNotFoundError:
        return UTC


def format_date(when: datetime | None, lang: str) -> str:
    """A date in words, in the page's language and that language's own order and spelling
    ("1 May 2025", "1. maj 2025", "1. Mai 2025"), from the CLDR data Babel ships. The
    catalog's own `date.format` is the fallback for a language Babel does not know."""
    if when is None:
        return ""
    local = when.astimezone(_zone())
    try:
        return babel_dates.format_date(local.date(), format="long", locale=LOCALES.get(lang, lang))
    except (UnknownLocaleError, ValueError):
        months = text("date.months", lang).split(",")
        return text("date.format", lang, day=local.day, month=months[local.month - 1], year=local.year)


def format_number(value: int, lang: str) -> str:
    """A number as the page's language writes it (20,000 / 20.000 / 20 000)."""
    try:
        return babel_numbers.format_decimal(value, locale=LOCALES.get(lang, lang))
    except (UnknownLocaleError, ValueError):
        return str(value)
