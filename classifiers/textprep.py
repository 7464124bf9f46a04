"""Input hygiene and language detection shared by all backends.

Nothing here imports torch: the rules, the CLI and health checks use it too.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from .types import UNDETERMINED_LANGUAGE

# Hard cap on characters looked at per text. Chat messages are far shorter;
# the cap exists so a 1 MB paste cannot stall a worker (tokenising 1 MB takes
# seconds, embedding it minutes). ~20k chars is roughly 5k tokens.
MAX_CHARS = 20_000
# Fewer letters than this -> language "und" (emoji-only, "??", "ok").
MIN_LETTERS_FOR_LANGUAGE = 2
# py3langid's length-normalised probability below this -> "und". Chosen by
# eye on short chat lines: "lol"/"hi" land near 0.01-0.05, short real
# sentences ("send me a pic") around 0.15 and longer ones above 0.5.
MIN_LANGUAGE_CONFIDENCE = 0.1
# More combining marks than this on one base character is "zalgo" noise;
# two keeps legitimate stacked diacritics (e.g. Vietnamese).
MAX_COMBINING_RUN = 2

# Sentence-level "spot" windows for long texts (see encoder.py): a 256-token
# mean-pooled window dilutes one harmful sentence among 200 benign tokens.
SPOT_MAX_CHARS = 240
SPOT_MIN_CHARS = 20
MAX_SPOTS = 96
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")

_SURROGATES = re.compile("[\ud800-\udfff]")
_WHITESPACE = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")

# py3langid emits some ISO 639-3 codes; the desk contract is ISO 639-1.
_TO_639_1 = {
    "ary": "ar", "arz": "ar", "wuu": "zh", "yue": "zh", "uzs": "uz",
    "sdh": "ku", "hbo": "he", "grc": "el", "fuv": "ff", "gug": "gn",
    "kik": "ki",
}


@dataclass(frozen=True)
class PreparedText:
    text: str            # normalised text that models and rules see
    truncated: bool      # True if characters beyond MAX_CHARS were dropped
    language: str        # ISO 639-1 or "und"


def _clean_char_categories(text: str) -> str:
    out: list[str] = []
    combining_run = 0
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            # Keep line structure, turn NUL/escape/etc. into spaces so
            # "kill\x00you" still reads as two words.
            out.append("\n" if ch == "\n" else " ")
            combining_run = 0
            continue
        if cat in ("Cf", "Cs", "Co", "Cn"):
            # Format chars (RLO/LRO bidi overrides, zero-width joiners used to
            # split swear words), surrogates, private-use, unassigned: drop.
            continue
        if cat in ("Mn", "Me"):
            combining_run += 1
            if combining_run > MAX_COMBINING_RUN:
                continue
        else:
            combining_run = 0
        out.append(ch)
    return "".join(out)


def coerce_text(value: object) -> str:
    """Turn whatever a caller passed into a str without raising."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if value is None:
        return ""
    return str(value)


def normalise(value: object) -> tuple[str, bool]:
    """Return (clean text, truncated?). Never raises."""
    text = coerce_text(value)
    truncated = len(text) > MAX_CHARS
    if truncated:
        text = text[:MAX_CHARS]
    # Lone surrogates (from bad JSON/UTF-16 decoding) make .encode() and the
    # Rust tokenizer fail, so they go first.
    text = _SURROGATES.sub("", text)
    # NFKC rather than plain NFC: it also folds full-width and "math bold"
    # letters (a common filter-evasion trick) to plain letters.
    text = unicodedata.normalize("NFKC", text)
    text = _clean_char_categories(text)
    text = _WHITESPACE.sub(" ", text)
    text = _BLANK_LINES.sub("\n", text)
    text = text.strip()
    if len(text) > MAX_CHARS:  # NFKC can expand ligatures slightly
        text = text[:MAX_CHARS]
        truncated = True
    return text, truncated


class _LanguageDetector:
    """Lazy, thread-safe wrapper: the py3langid model takes ~1 s to load."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._identifier: object | None = None

    def _get(self) -> object:
        with self._lock:
            if self._identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                self._identifier = LanguageIdentifier.from_model_file(
                    MODEL_FILE, norm_probs=True
                )
            return self._identifier

    def detect(self, text: str) -> str:
        letters = sum(1 for ch in text[:2000] if ch.isalpha())
        if letters < MIN_LETTERS_FOR_LANGUAGE:
            return UNDETERMINED_LANGUAGE
        identifier = self._get()
        # The first 2000 chars are plenty for language ID and bound its cost.
        lang, conf = identifier.classify(text[:2000])  # type: ignore[attr-defined]
        if float(conf) < MIN_LANGUAGE_CONFIDENCE or lang == "zxx":
            return UNDETERMINED_LANGUAGE
        code = _TO_639_1.get(str(lang), str(lang))
        return code if len(code) == 2 else UNDETERMINED_LANGUAGE


_DETECTOR = _LanguageDetector()


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text`` (already normalised), or "und"."""
    try:
        return _DETECTOR.detect(text)
    except Exception:  # a detector failure must not drop the text
        return UNDETERMINED_LANGUAGE


def prepare(value: object) -> PreparedText:
    text, truncated = normalise(value)
    return PreparedText(text=text, truncated=truncated, language=detect_language(text))


def sentence_spots(text: str, max_chars: int = SPOT_MAX_CHARS, max_spots: int = MAX_SPOTS) -> list[str]:
    """One piece per sentence (fragments under SPOT_MIN_CHARS are joined to
    the next one; over-long sentences are cut), so each can be scored alone
    without benign neighbours diluting it."""
    spots: list[str] = []
    pending = ""
    for sentence in _SENTENCE_END.split(text):
        piece = f"{pending} {sentence.strip()}".strip()
        if len(piece) < SPOT_MIN_CHARS:
            pending = piece
            continue
        pending = ""
        while piece and len(spots) < max_spots:
            spots.append(piece[:max_chars])
            piece = piece[max_chars:]
        if len(spots) >= max_spots:
            return spots
    if pending and len(spots) < max_spots:
        spots.append(pending)
    return spots
