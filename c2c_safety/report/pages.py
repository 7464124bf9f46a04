"""What every reporter page shares: the page language, the quick exit, the public layout.

The public pages (`/` for a visitor who is not signed in, `/report`, `/report/follow-up`
and what they lead to) render through `render`, which sets the page language for
Flask-Babel (the `public` gettext domain, core/locale.py) and gives the templates the
language switcher and the quick-exit address. The language comes from `?lang=` (kept in
every link and form action) or the browser's Accept-Language, never from a cookie.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from c2c_safety.core import locale
from c2c_safety.report import helplines

# Where "Leave this page" goes: a busy, neutral site, so someone glancing at the screen
# sees nothing unusual. A link, not a fetch: the desk itself calls nothing at run time.
QUICK_EXIT_URL = "https://www.google.com/"


def exit_url() -> str:
    configured = current_app.config.get("QUICK_EXIT_URL")
    return str(configured) if configured else QUICK_EXIT_URL


def pick_lang() -> str:
    return locale.use_public_language()


def context(lang: str) -> dict[str, Any]:
    return {"lang": lang, "page_lang": lang, "languages": locale.public_languages(), "exit_url": exit_url(),
            "helpline": helplines.choose(lang, params_country()), "notice_values": {}}


def params_country() -> str | None:
    # The reporter's choice of country for the helpline, for this page only (never stored).
    value = request.args.get("country", "")
    return value if len(value) == 2 and value.isascii() and value.isalpha() else None


def render(template: str, lang: str, status: int = 200, **ctx: Any) -> tuple[str, int]:
    locale.use_public_language(lang)
    return render_template(template, **(context(lang) | ctx)), status
