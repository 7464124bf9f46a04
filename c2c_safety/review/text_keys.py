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
# Runs of anything but letters and digits: re's \w is exactly str.isalnum() plus "_", so this
# is the per-character loop it replaced (issue 24: that loop was 3 % of a flag's CPU), and
# tests/review/test_text_keys.py checks the two agree on arbitrary text.
_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    folded = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return _NOT_ALNUM.sub(" ", folded).strip()


def text_key(text: str) -> str | None:
    norm = normalise(text)
    if len(norm) - norm.count(" ") < MIN_CHARS:  # what is left is letters, digits and single spaces
        return None
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()
