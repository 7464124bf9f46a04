"""The key that finds one text flagged on many pieces of content (a spam wave, review/bulk.py).

SHA-256 of the text normalised: Unicode NFKC, case folded, zero-width characters dropped,
anything but letters and digits turned into single spaces. None when fewer than MIN_CHARS
letters and digits remain: "ok" or "lol" in a hundred chats is not a wave. The text itself
is stored on the item already; the key adds nothing a reader of the table could not see.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MIN_CHARS = 12
_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")


def normalise(text: str) -> str:
    folded = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def text_key(text: str) -> str | None:
    norm = normalise(text)
    if sum(ch.isalnum() for ch in norm) < MIN_CHARS:
        return None
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()
