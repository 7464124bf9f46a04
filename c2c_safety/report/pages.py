"""What every reporter page shares: the page language, the quick exit, the public layout.

The public pages (`/` for a visitor who is not signed in, `/report`, `/report/follow-up`
and what they lead to) render through `render`, which gives the templates the translator
of the chosen language and the quick-exit address. The language comes from `?lang=` (kept
in every link and form action) or the browser's Accept-Language, never from a cookie.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from c2c_safety.core import i18n
from c2c_safety.report import helplines

# Where "Leave this page" goes: a busy, neutral site, so someone glancing at the screen
# sees nothing unusual. A link, not a fetch: the desk itself calls nothing at run time.
QUICK_EXIT_URL = "https://www.google.com/"


def exit_url() -> str:
    configured = current_app.config.get("QUICK_EXIT_URL")
    return str(configured) if configured else QUICK_EXIT_URL


def pick_lang() -> str:
    return i18n.pick(request.args.get("lang"), request.headers.get("Accept-Language"))


def context(lang: str) -> dict[str, Any]:
    return {"lang": lang, "page_lang": lang, "tr": i18n.translator(lang), "languages": i18n.available(),
            "fmt_date": lambda d: i18n.format_date(d, lang), "exit_url": exit_url(),
            "helpline": helplines.choose(lang, params_country())}


def params_country() -> str | None:
    # The reporter's choice of country for the helpline, for this page only (never stored).
    value = request.args.get("country", "")
    return value if len(value) == 2 and value.isascii() and value.isalpha() else None


def render(template: str, lang: str, status: int = 200, **ctx: Any) -> tuple[str, int]:
    return render_template(template, **context(lang), **ctx), status
