"""The spam-wave key (review/text_keys.py): stable across the regex rewrite of issue 24, so
keys stored before it still find the texts flagged after it."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_safety.review import text_keys

_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")


def _reference_normalise(text: str) -> str:
    """The per-character definition the module documents (and used to run)."""
    folded = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in folded).split())


def _reference_key(text: str) -> str | None:
    norm = _reference_normalise(text)
    if sum(ch.isalnum() for ch in norm) < text_keys.MIN_CHARS:
        return None
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
       | st.text(alphabet="aA1_ -\t\n.!\u200b\u00ad\u0301\u00e9\u0660\u00b2\u2167\uff21\u00df", max_size=40))
def test_the_key_is_the_documented_one_for_any_text(text: str) -> None:
    assert text_keys.normalise(text) == _reference_normalise(text)
    assert text_keys.text_key(text) == _reference_key(text)


def test_a_wave_with_different_punctuation_and_case_has_one_key() -> None:
    a = text_keys.text_key("Click HERE for free V-Bucks!!! ")
    b = text_keys.text_key("click here\u200b for free v bucks")
    assert a is not None and a == b
    assert text_keys.text_key("lol ok") is None
