"""Identities that cannot be confused (issue 20, item 5).

An e-mail address or display name that looks like another account's lets someone slip a
look-alike into an exclusion or assignment list ("reviewer@demo.c2c" with a zero-width
space, or with a Cyrillic "е"). So both are NFKC-normalised, and refused when they

- hold an invisible, format (Unicode Cf: zero-width spaces and joiners, bidirectional
  controls such as the right-to-left override), control, private-use, unassigned, line or
  paragraph separator character, or any space in an e-mail address;
- mix scripts with characters that are confusable across them (confusable-homoglyphs'
  `is_dangerous`: a Cyrillic "е" among Latin letters);
- have the same *skeleton* as an existing account's: every character is mapped to one
  representative of its class of look-alikes (the Unicode confusables table, as shipped by
  confusable-homoglyphs), and the whole address (or name) is compared.

Legitimate non-ASCII names ("Søren Ødegård", "Zoë", "Иван Петров") pass: they are single-script.
"""

from __future__ import annotations

import functools
import unicodedata

from confusable_homoglyphs import confusables  # type: ignore[import-untyped]
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User

# Unicode general categories never wanted in a name or an address.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class IdentityError(ValueError):
    """Safe to show."""


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()


def normalise_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())


def _invisible(text: str, *, spaces: bool) -> bool:
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in _REFUSED_CATEGORIES or (cat == "Zs" and (spaces or ch != " ")):
            return True
    return False


@functools.lru_cache(maxsize=4096)
def _face(ch: str) -> str:
    """The face of a character's class of single-character look-alikes in the confusables
    table: ASCII preferred, then the lowest code point ("е" -> "e", "l" -> "1", "0" for "O")."""
    entries = confusables.confusables_data.get(ch, [])
    others = {e["c"].replace("\u200e", "").replace("\u200f", "") for e in entries}
    return min({ch} | {o for o in others if len(o) == 1}, key=lambda c: (not c.isascii(), ord(c)))


def skeleton(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(_face(c) for c in folded)


def _dangerous(text: str) -> bool:
    return bool(confusables.is_dangerous(text))


def refuse_invisible(email: str) -> None:
    if _invisible(normalise_email(email), spaces=True):
        raise IdentityError(_("The e-mail address holds an invisible or control character (such as a "
                            "zero-width space or a text-direction mark). Type it again."))


def check_email(session: Session, email: str, *, except_id: int | None = None) -> str:
    """The normalised address, or IdentityError."""
    email = normalise_email(email)
    refuse_invisible(email)
    if _dangerous(email):
        raise IdentityError(_("The e-mail address mixes alphabets with look-alike letters (such as a "
                            "Cyrillic \"е\" among Latin ones). Type it again."))
    mine = skeleton(email)
    for uid, other in session.execute(select(User.id, User.email)):
        if uid != except_id and other != email and skeleton(other) == mine:
            raise IdentityError(_("The address looks the same as an existing account's (%(other)s); "
                                  "accounts must be told apart at a glance.", other=other))
    return email


def check_name(session: Session, name: str, *, except_id: int | None = None) -> str:
    """The normalised display name, or IdentityError."""
    name = normalise_name(name)
    if _invisible(name, spaces=False):
        raise IdentityError(_("The name holds an invisible or control character (such as a zero-width "
                            "space or a text-direction mark)."))
    if name and _dangerous(name):
        raise IdentityError(_("The name mixes alphabets with look-alike letters; write it in one alphabet."))
    if name:
        mine = skeleton(name)
        for uid, other in session.execute(select(User.id, User.display_name)):
            if uid != except_id and other and skeleton(other) == mine:
                raise IdentityError(_("Another account already has a name that looks the same; add "
                                    "something that tells them apart (an initial, a team)."))
    return name
