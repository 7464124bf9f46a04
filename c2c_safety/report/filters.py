"""Showing text a reporter or platform user wrote: always escaped, never live HTML.

Staff templates use `{{ text|user_text }}` or the `user_text` macro in
templates/macros/user_text.html. Both escape everything (Jinja's escape, the same as
autoescape) and wrap it in `.user-text`, which keeps line breaks and lets the browser pick
the direction of right-to-left text.
"""

from __future__ import annotations

from markupsafe import Markup


def user_text(value: object, lang: str | None = None) -> Markup:
    text = "" if value is None else str(value)
    if lang:
        return Markup('<div class="user-text" dir="auto" lang="{}">{}</div>').format(lang, text)
    return Markup('<div class="user-text" dir="auto">{}</div>').format(text)

