"""Offset-keeping normalisation: same text as textprep.normalise, spans into the original."""

from __future__ import annotations

import pytest

from classifiers.textmap import normalise_mapped
from classifiers.textprep import normalise
from tests.classifiers.test_robustness import GARBAGE

EXTRA = ["e\u0301le\u0300ve", "\u1100\u1161\u11a8 hangul", "İstanbul ŞEHİR", "ﬁne ligature",
         "a  b\t\tc\n\n\n d  ", " x\u200by ", "Hej  du\r\n\r\nda", "x\u0301\u0301\u0301\u0301y"]


@pytest.mark.parametrize("text", GARBAGE + EXTRA)
def test_same_text_as_normalise(text: str) -> None:
    mapped = normalise_mapped(text)
    assert (mapped.text, mapped.truncated) == normalise(text)
    assert len(mapped.starts) == len(mapped.ends) == len(mapped.text)
    source = text if isinstance(text, str) else ""
    assert all(0 <= s < e <= len(source) for s, e in zip(mapped.starts, mapped.ends, strict=True))


def test_spans_point_back_into_the_original() -> None:
    original = "  Hello \u200b  \uff37\uff2f\uff32\uff2c\uff24\n\n\nbye "
    mapped = normalise_mapped(original)
    assert mapped.text == "Hello WORLD\nbye"
    start = mapped.text.index("WORLD")
    span = mapped.span(start, start + 5)
    assert span is not None and original[span[0]:span[1]] == "\uff37\uff2f\uff32\uff2c\uff24"
    b = mapped.text.index("bye")
    span = mapped.span(b, b + 3)
    assert span is not None and original[span[0]:span[1]] == "bye"
    assert mapped.span(3, 3) is None
