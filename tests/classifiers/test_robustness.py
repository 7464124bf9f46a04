"""Garbage in, valid scores out; long texts are chunked and the worst window counts."""

from __future__ import annotations

import time

import numpy as np

from classifiers import CATEGORIES, Classifier
from classifiers.backbones.e5 import E5Classifier
from classifiers.textprep import MAX_CHARS

GARBAGE = [
    "",
    "   \n\t  ",
    "\x00\x01\x02\x03binary\xff\xfe\x7f" * 20,
    "😀🔥💀" * 50,
    "🙂",
    "مرحبا بكم في الفصل، كيف حالكم اليوم؟",
    "שלום לכולם, מה שלומכם היום?",
    "\u202eevil text reversed\u202c and \u2066isolates\u2069",
    "z̷̢̛̛̪̣̫̦̜̘̭̟̈́̃̋̑̓͋̍̆̌a̸̡̡͉̯̦̗̫̤̭̝̍͒̍̽̈́̐̈́̀͘l̸̨̛̜͎̠͕̗̪̹̯̑̂̌̃̂̎̚g̷̛̼̭̲̻̬̣̃̽̂͑͛̐̕o̸̢̯̘͍̲̰͔̍̌̓̿̍̈́̚̕͠" * 30,
    "lone \ud800 surrogate \udfff here",
    "\udcff\udcfe",
    "a" * 1_000_000,
    "word " * 200_000,
    "\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 text",  # full-width
    "\ufeff\u200b\u200c\u200d",
    "{\"json\": \"inside\"}",
]


def _valid(res_scores: dict[str, float]) -> bool:
    return tuple(res_scores) == CATEGORIES and all(
        isinstance(v, float) and np.isfinite(v) and 0.0 <= v <= 1.0 for v in res_scores.values()
    )


def test_garbage_never_raises(default_clf: Classifier) -> None:
    started = time.monotonic()
    results = default_clf.score_batch(GARBAGE)
    # Generous bound (shared CI boxes); an untruncated 1 MB text would take many minutes.
    assert time.monotonic() - started < 180
    assert len(results) == len(GARBAGE)
    for text, res in zip(GARBAGE, results, strict=True):
        assert _valid(res.scores), repr(text[:40])
        assert isinstance(res.language, str) and len(res.language) in (2, 3)
        res.to_dict()
        for reason in res.reasons.values():
            reason.encode("utf-8")
    assert results[0].language == "und" and results[0].language_reliable is False
    assert results[3].language == "und" and results[4].language == "und"
    # Truncation is disclosed so a low score is not read as "all clear".
    assert str(MAX_CHARS) in results[11].reasons["harassment"]
    assert default_clf.score_batch([]) == []


def test_harm_in_last_window_is_not_diluted(default_clf: Classifier) -> None:
    assert isinstance(default_clf, E5Classifier)
    filler = ("Our class wrote a long report about the rain forest, the animals that live there "
              "and how the trees grow tall to reach the light. ") * 40
    # No rule matches this sentence, so only the chunked model can find it.
    harmful = "I feel hopeless and worthless, nobody would miss me, I am done with living."
    text = filler + harmful
    rows, capped = default_clf.window_rows([text], [[]])
    assert rows[0].shape[0] > 3 and not capped[0]
    [res] = default_clf.score_batch([text])
    assert res.scores["self_harm"] >= default_clf.thresholds["self_harm"]
    assert "self_harm" not in res.reasons   # found by the model, not by a rule
    [plain] = default_clf.score_batch([filler])
    assert plain.scores["self_harm"] < default_clf.thresholds["self_harm"]


def test_window_cap_is_reported(default_clf: Classifier) -> None:
    text = "The students measured the trees in the park again today. " * 600
    [res] = default_clf.score_batch([text])
    assert "only the first 16 windows" in res.reasons["self_harm"]
