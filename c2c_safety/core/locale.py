"""Which language a page is rendered in, for Flask-Babel (gettext catalogs).

Public pages (the anonymous channel) set `g.page_lang` from `?lang=` or the browser's
Accept-Language; staff pages follow the browser among the staff languages. Never a cookie.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, gettext

from c2c_safety.core.config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "c2c_safety" / "translations"
STAFF_LANGUAGES = ("en", "da")


def select_locale() -> str:
    if not has_request_context():
        return "en"  # a worker or the CLI: there is no browser to follow
    chosen = g.get("page_lang")
    if chosen:
        return str(chosen)
    return request.accept_languages.best_match(STAFF_LANGUAGES) or "en"


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS),
          default_domain="messages")


def N_(message: str) -> str:  # noqa: N802 - the name pybabel looks for
    """Mark a module-level English label for extraction (`N_` is one of pybabel's default
    keywords) without translating it there: the same tables feed audit entries, webhooks and
    statements sent to platform users, so they stay English and are translated where shown."""
    return message


def translated(labels: Mapping[str, str]) -> dict[str, str]:
    """A label table (values marked with `N_`) in the page's language, for a template."""
    return {key: gettext(text) for key, text in labels.items()}
