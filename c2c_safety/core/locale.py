"""Which language a page is rendered in, and gettext catalogs through Flask-Babel.

Two gettext domains share one translation directory (`c2c_safety/translations/<lang>/
LC_MESSAGES/{messages,public}.po`): `public` holds the reporter pages' text and ships in
every language of `PUBLIC_LANGUAGES`; `messages` holds the staff pages' text (English and
Danish). `_` looks in both, so a template never says which domain a string is in; the
babel-*.cfg mapping files decide that by file (see docs/reporting.md, "Languages"). Flask-Babel
pairs `default_domain="messages;public"` with the directory list by position and merges the
two catalogs, `public` last: an English text in both domains reads as the public one.

The language is chosen per request and never remembered in a cookie: a public page takes
`?lang=` (kept in every link and form action) or the browser's Accept-Language among the
public languages and sets `g.page_lang`; a signed-in staff member gets the language stored
on their account, else the browser's among the staff languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_locale, gettext, refresh
from flask_login import current_user

from c2c_safety.core.config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "c2c_safety" / "translations"
DOMAINS = ("messages", "public")
DEFAULT = "en"
# Every language of the reporter pages, named in itself for the switcher (English first).
PUBLIC_LANGUAGES: dict[str, str] = {
    "en": "English", "da": "Dansk", "de": "Deutsch", "es": "Español", "fr": "Français",
    "it": "Italiano", "nl": "Nederlands", "sv": "Svenska", "nb": "Norsk bokmål", "pl": "Polski",
    "pt": "Português", "tr": "Türkçe", "uk": "Українська", "sw": "Kiswahili",
}
STAFF_LANGUAGES: dict[str, str] = {"en": "English", "da": "Dansk"}
# Dates on the public pages are shown in the platform's home time zone (Denmark).
DISPLAY_ZONE = "Europe/Copenhagen"
# The CLDR locale for a page language where the bare code is not the one we mean: English
# for European children writes "7 March 2027", not the US "March 7, 2027".
CLDR = {"en": "en_GB"}


def N_(message: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Mark an English msgid for extraction; it is translated where it is shown (`say`, `_`)."""
    return message


def say(message: str, values: Mapping[str, object] | None = None) -> str:
    """Translate a msgid marked with `N_`, numbers in the language's own grouping ("20.000")."""
    if not values:
        return str(gettext(message))
    shown = {k: format_number(v) if isinstance(v, int) and not isinstance(v, bool) else v
             for k, v in values.items()}
    return str(gettext(message, **shown))


def translated(labels: Mapping[str, str]) -> dict[str, str]:
    """A label table (values marked with `N_`) in the page's language, for a template."""
    return {key: str(gettext(text)) for key, text in labels.items()}


def public_languages() -> list[tuple[str, str]]:
    return list(PUBLIC_LANGUAGES.items())


def _from_accept_language(header: str, allowed: dict[str, str]) -> str | None:
    """The best of `allowed` for an Accept-Language header (q-values honoured, region ignored;
    "no" and "nn" read as Norwegian bokmål, the only Norwegian we ship)."""
    best: tuple[float, str] | None = None
    for part in header[:500].split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        code = tag.strip().lower().split("-")[0]
        code = "nb" if code in ("no", "nn") else code
        if q > 0 and code in allowed and (best is None or q > best[0]):
            best = (q, code)
    return best[1] if best else None


def pick_public(requested: str | None, accept_language: str | None) -> str:
    if requested and requested in PUBLIC_LANGUAGES:
        return requested
    return _from_accept_language(accept_language or "", PUBLIC_LANGUAGES) or DEFAULT


def use_public_language(requested: str | None = None) -> str:
    """Choose a public page's language from the request and render in it from now on."""
    lang = pick_public(requested if requested is not None else request.args.get("lang"),
                       request.headers.get("Accept-Language"))
    if g.get("page_lang") != lang:
        g.page_lang = lang
        refresh()  # Flask-Babel caches the locale per request: forget one chosen earlier
    return lang


def _user_language() -> str | None:
    if not current_user or not current_user.is_authenticated:
        return None
    chosen = getattr(current_user, "language", None)
    return chosen if chosen in STAFF_LANGUAGES else None


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT  # a worker, the CLI or an e-mail: there is no browser to follow
    chosen = g.get("page_lang")
    if chosen:
        return str(chosen)
    visitor = None if current_user and current_user.is_authenticated else request.args.get("lang")
    if visitor in STAFF_LANGUAGES:
        return str(visitor)  # the sign-in pages' switch: links with ?lang=, never a cookie
    return _user_language() or request.accept_languages.best_match(list(STAFF_LANGUAGES)) or DEFAULT


def current_language() -> str:
    return str(get_locale() or DEFAULT).split("_")[0]


@cache
def _zone() -> tzinfo:
    try:
        return ZoneInfo(DISPLAY_ZONE)
    except ZoneInfoNotFoundError:
        return UTC


def format_date(when: datetime | None, lang: str | None = None) -> str:
    """A date in words in the page's language ("7 March 2027", "7. marts 2027", "7 марта")."""
    if when is None:
        return ""
    code = lang or current_language()
    local = when.astimezone(_zone()) if when.tzinfo else when.replace(tzinfo=UTC).astimezone(_zone())
    try:
        return babel_dates.format_date(local.date(), format="long", locale=CLDR.get(code, code))
    except (UnknownLocaleError, ValueError):
        return local.date().isoformat()


def format_number(value: int, lang: str | None = None) -> str:
    """A number as the page's language writes it (20,000 / 20.000 / 20 000)."""
    code = lang or current_language()
    try:
        return babel_numbers.format_decimal(value, locale=CLDR.get(code, code))
    except (UnknownLocaleError, ValueError):
        return str(value)


def init_app(app: Flask) -> None:
    # One directory per domain, in the same order (Flask-Babel pairs them by position).
    Babel(app, locale_selector=select_locale,
          default_translation_directories=";".join(str(TRANSLATIONS) for _ in DOMAINS),
          default_domain=";".join(DOMAINS))
    app.jinja_env.globals.update(format_date=format_date, format_number=format_number, say=say,
                                 current_language=current_language,
                                 staff_languages=STAFF_LANGUAGES)
