"""Follow-up codes a child can write down and read back (issue 21.2).

A new report's code is seven words from a 256-word list in the reporter's language:
256^7 = 2^56 codes, more than the 10^16 ≈ 2^53.2 of the 16 digits used before
(docs/security.md, "Receipt codes"). The words are short and concrete, one list per
language in `wordlists/<lang>.txt`, all lower-case letters of one script: a–z for the
Latin-script languages (no æ/ø/å/ł: a child abroad may have no such key) and the Cyrillic
alphabet for Ukrainian. A language without a list uses the English one. Adding a list is
adding a file of exactly 256 distinct such words (the arithmetic needs only that).

A code is typed back in any case, with any spaces, hyphens or commas between the words, in
any language's words (the code is the words, not the list). Old 16-digit receipts keep
working: the canonical form of a code is its 16 digits or its words joined by one space,
and that string is what the HMAC lookup tag and the scrypt hash are made from.
"""

from __future__ import annotations

import re
import secrets
from functools import cache
from pathlib import Path

WORDS_PER_CODE = 7
LIST_SIZE = 256
OLD_DIGITS = 16
DEFAULT_LIST = "en"
_DIR = Path(__file__).resolve().parent / "wordlists"
# The scripts a list may be written in: every word of one list in one of them.
SCRIPTS = {"latin": re.compile("[a-z]+"), "cyrillic": re.compile("[а-яёіїєґ]+")}
_SEPARATORS = re.compile("[\\s\\-\u2010-\u2015_.,;:/\u00b7\u2022]+")  # hyphens and dashes of all kinds


@cache
def wordlists() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted(_DIR.glob("*.txt")):
        words = tuple(w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip())
        one_script = any(all(script.fullmatch(w) for w in words) for script in SCRIPTS.values())
        if len(words) != LIST_SIZE or len(set(words)) != LIST_SIZE or not one_script:
            raise ValueError(f"word list {path.name} must hold {LIST_SIZE} distinct lower-case words of one script")
        out[path.stem] = words
    return out


@cache
def all_words() -> frozenset[str]:
    return frozenset(w for words in wordlists().values() for w in words)


def wordlist(lang: str) -> tuple[str, ...]:
    lists = wordlists()
    return lists.get(lang) or lists[DEFAULT_LIST]


def new_code(lang: str) -> str:
    """A fresh code in canonical form: seven words of the language's list, one space apart."""
    words = wordlist(lang)
    return " ".join(secrets.choice(words) for _ in range(WORDS_PER_CODE))


def normalise(raw: str) -> str | None:
    """The canonical code typed in `raw` (any case, any separators), or None if it is not one."""
    # Turkish keyboards write İ/ı: "İ".lower() is "i" plus a combining dot, and no list holds ı.
    text = (raw or "")[:300].strip().lower().replace("i\u0307", "i").replace("ı", "i")
    digits = "".join(ch for ch in text if ch in "0123456789")
    if not any(ch.isalpha() for ch in text):
        return digits if len(digits) == OLD_DIGITS else None
    words = [w for w in _SEPARATORS.split(text) if w]
    if len(words) != WORDS_PER_CODE or not all(w in all_words() for w in words):
        return None
    return " ".join(words)


def display(canonical: str) -> str:
    """How a code is shown: old digits in four groups, words as they are."""
    if canonical.isdigit():
        return "-".join(canonical[i:i + 4] for i in range(0, len(canonical), 4))
    return canonical
