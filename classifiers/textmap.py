"""Normalisation that remembers where every character came from (no torch).

Evidence is returned as character offsets into the text the caller passed
in, never as copies of it (scores are stored unsealed; the text is personal
data). Models and rules read the *normalised* text, so each normalised
character carries the [start, end) span of original characters it came from.

It produces the same text as ``textprep.normalise`` (tested), step by step:
truncate, drop surrogates, NFKC (per segment that cannot compose with its
neighbour), control/format/zalgo cleanup, whitespace runs, blank lines, strip.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .textprep import (
    _BLANK_LINES,
    _WHITESPACE,
    MAX_CHARS,
    MAX_COMBINING_RUN,
    PreparedText,
    coerce_text,
    detect_language,
)

# (character, start, end) in the original string
Char = tuple[str, int, int]


@dataclass(frozen=True)
class MappedText:
    text: str
    truncated: bool
    starts: tuple[int, ...]   # per normalised char: first original index
    ends: tuple[int, ...]     # per normalised char: original end (exclusive)

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Original [start, end) of normalised [start, end); None if empty."""
        if end <= start or start >= len(self.starts):
            return None
        end = min(end, len(self.ends))
        return self.starts[start], self.ends[end - 1]


def _nfkc_segments(text: str) -> list[Char]:
    """NFKC per segment; a segment grows while the next character could
    compose with it (combining marks, Hangul jamo ...), so the result equals
    NFKC of the whole string."""
    out: list[Char] = []
    seg_start = 0

    def flush(end: int) -> None:
        if end > seg_start:
            for ch in unicodedata.normalize("NFKC", text[seg_start:end]):
                out.append((ch, seg_start, end))

    for i in range(1, len(text) + 1):
        if i == len(text):
            flush(i)
            break
        prev, ch = text[i - 1], text[i]
        if ord(prev) < 0x300 and ord(ch) < 0x300:
            flush(i)        # Latin/ASCII pairs never compose with each other
            seg_start = i
            continue
        if unicodedata.combining(ch):
            continue
        head = text[seg_start:i]
        if unicodedata.normalize("NFKC", head + ch) == unicodedata.normalize("NFKC", head) + \
                unicodedata.normalize("NFKC", ch):
            flush(i)
            seg_start = i
    return out


def _clean(chars: list[Char]) -> list[Char]:
    out: list[Char] = []
    run = 0
    for ch, s, e in chars:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            out.append(("\n" if ch == "\n" else " ", s, e))
            run = 0
            continue
        if cat in ("Cf", "Cs", "Co", "Cn"):
            continue
        if cat in ("Mn", "Me"):
            run += 1
            if run > MAX_COMBINING_RUN:
                continue
        else:
            run = 0
        out.append((ch, s, e))
    return out


def _sub(chars: list[Char], pattern: re.Pattern[str], repl: str) -> list[Char]:
    text = "".join(c for c, _, _ in chars)
    out: list[Char] = []
    last = 0
    for m in pattern.finditer(text):
        out.extend(chars[last:m.start()])
        out.append((repl, chars[m.start()][1], chars[m.end() - 1][2]))
        last = m.end()
    out.extend(chars[last:])
    return out


def normalise_mapped(value: object) -> MappedText:
    text = coerce_text(value)
    truncated = len(text) > MAX_CHARS
    if truncated:
        text = text[:MAX_CHARS]
    # Surrogates are dropped before NFKC, as textprep does; keep their indices.
    kept = [i for i, ch in enumerate(text) if not 0xD800 <= ord(ch) <= 0xDFFF]
    if len(kept) == len(text):
        chars = _nfkc_segments(text)
    else:
        stripped = "".join(text[i] for i in kept)
        chars = [(c, kept[s], kept[e - 1] + 1) for c, s, e in _nfkc_segments(stripped)]
    chars = _clean(chars)
    chars = _sub(chars, _WHITESPACE, " ")
    chars = _sub(chars, _BLANK_LINES, "\n")
    lo, hi = 0, len(chars)
    while lo < hi and chars[lo][0].isspace():
        lo += 1
    while hi > lo and chars[hi - 1][0].isspace():
        hi -= 1
    chars = chars[lo:hi]
    if len(chars) > MAX_CHARS:
        chars = chars[:MAX_CHARS]
        truncated = True
    return MappedText("".join(c for c, _, _ in chars), truncated,
                      tuple(s for _, s, _ in chars), tuple(e for _, _, e in chars))


def prepare_mapped(value: object) -> tuple[PreparedText, MappedText]:
    """``textprep.prepare`` that also keeps the offset map."""
    mapped = normalise_mapped(value)
    return PreparedText(mapped.text, mapped.truncated, detect_language(mapped.text)), mapped
