"""The committed gettext catalogs as tests read them: `translated("da", "English msgid")`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[1] / "c2c_safety" / "translations"


@cache
def catalog(lang: str, domain: str = "public") -> Catalog:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / f"{domain}.po").open(encoding="utf-8") as f:
        return read_po(f)


def translated(lang: str, msgid: str, domain: str = "public", context: str | None = None,
               **values: object) -> str:
    """The msgstr of `msgid` in `lang` (the msgid itself when untranslated), filled in."""
    message = catalog(lang, domain).get(msgid, context=context)
    text = message.string if message is not None and message.string else msgid
    text = text[0] if isinstance(text, tuple) else text
    return text % values if values else text


def translated_n(lang: str, singular: str, plural: str, n: int, domain: str = "public") -> str:
    """The plural form of `lang` for `n` (compiled catalogs, as the app reads them)."""
    from babel.support import Translations

    return str(Translations.load(str(TRANSLATIONS), [lang], domain).ungettext(singular, plural, n)) % {"num": n}


def english_sentences(lang: str, domain: str = "public") -> list[str]:
    """English msgids long enough to be sentences, which `lang` translates differently: none
    of them may show on a page in `lang`."""
    out = []
    for m in catalog(lang, domain):
        if isinstance(m.id, str) and len(m.id) > 24 and "%(" not in m.id and "<" not in m.id \
                and m.string and m.string != m.id:
            out.append(m.id)
    return out
