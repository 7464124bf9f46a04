"""Which language a page is rendered in, for Flask-Babel (gettext catalogs).

Public pages (the anonymous channel) set `g.page_lang` from `?lang=` or the browser's
Accept-Language; staff pages follow the browser among the staff languages. Never a cookie.
"""

from __future__ import annotations

from flask import Flask, g, has_request_context, request
from flask_babel import Babel

from c2c_safety.core.config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "c2c_safety" / "translations"
STAFF_LANGUAGES = ("en", "da")


def select_locale() -> str:
    if not has_request_context():  # CLI, workers, e-mails: English, the source language
        return "en"
    chosen = g.get("page_lang")
    if chosen:
        return str(chosen)
    return request.accept_languages.best_match(STAFF_LANGUAGES) or "en"


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS),
          default_domain="messages")
