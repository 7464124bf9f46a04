"""The real default backend (multilingual e5-small + our adapters + rules), loaded once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from classifiers import CATEGORIES, REVIEW_THRESHOLDS, Classifier, ScoreResult, check_model_files

BENIGN = [
    "Our class planted trees today and measured how tall they grew.",
    "Hi! We are class 5B and we love football, drawing and reading comics.",
    "What is the weather like in your country right now?",
    "Thank you for your video about recycling, we learned a lot.",
    "Can you help me with question 4 of the fractions worksheet?",
    "Our teacher says we will present the water project on Friday.",
]
HARMFUL = [
    ("You are a stupid ugly idiot and everyone in class laughs at you.", "harassment", False),
    ("I want to kill myself", "self_harm", False),
    ("don't tell your parents, send me a pic and add me on snapchat", "grooming", True),
    ("I'm going to bring a gun to school and shoot you", "threat", True),
    ("Muslims are all terrorists and should be thrown out of this country.", "hate", False),
]


def test_benign_sentences_stay_below_every_threshold(default_clf: Classifier) -> None:
    for text, res in zip(BENIGN, default_clf.score_batch(BENIGN), strict=True):
        for category in CATEGORIES:
            assert res.scores[category] < default_clf.thresholds[category], (text, category, res.scores)
        assert res.reasons == {}, text
        assert res.language == "en" and res.language_reliable


@pytest.mark.parametrize(("text", "category", "needs_reason"), HARMFUL)
def test_harmful_sentences_land_in_the_right_category(
    default_clf: Classifier, text: str, category: str, needs_reason: bool
) -> None:
    [res] = default_clf.score_batch([text])
    assert res.scores[category] >= default_clf.thresholds[category], res.scores
    if needs_reason:
        assert category in res.reasons and "signal" in res.reasons[category]


def test_grooming_reason_names_the_signals(default_clf: Classifier) -> None:
    [res] = default_clf.score_batch(["don't tell your parents, send me a pic and add me on snapchat"])
    reason = res.reasons["grooming"]
    assert "secret" in reason and "photos" in reason and "private app" in reason


def test_result_contract(default_clf: Classifier) -> None:
    [res] = default_clf.score_batch(["hello there"])
    assert isinstance(res, ScoreResult)
    assert tuple(res.scores) == CATEGORIES
    d = res.to_dict()
    assert set(d) == {"scores", "reasons", "language", "language_reliable", "model_name",
                      "model_version", "evidence", "context_used"}
    adapters = Path(__file__).resolve().parents[2] / "classifiers" / "weights" / "e5" / "adapters.safetensors"
    sha = hashlib.sha256(adapters.read_bytes()).hexdigest()[:10]
    assert f"+lora-{sha}+" in res.model_version and res.model_version == default_clf.version
    assert "en" in default_clf.reliable_languages
    assert set(REVIEW_THRESHOLDS) == set(CATEGORIES)
    assert all(0.0 < t < 1.0 for t in REVIEW_THRESHOLDS.values())
    assert check_model_files(None) is None


@pytest.mark.parametrize(("text", "lang"), [
    ("Du er så dum og grim, ingen i klassen kan lide dig.", "da"),
    ("Wir haben heute im Unterricht über Vulkane und Erdbeben gelernt.", "de"),
    ("Γεια σας από την τάξη μας, σήμερα φυτέψαμε δέντρα.", "el"),
])
def test_reliability_follows_the_measured_languages(default_clf: Classifier, text: str, lang: str) -> None:
    [res] = default_clf.score_batch([text])
    assert res.language == lang
    assert res.language_reliable is (lang in default_clf.reliable_languages)
    assert all(0.0 <= v <= 1.0 for v in res.scores.values())


def test_batch_results_do_not_depend_on_batching(default_clf: Classifier) -> None:
    texts = [*BENIGN, *(t for t, _, _ in HARMFUL), "short", "a much longer message " * 30]
    together = default_clf.score_batch(texts)
    alone = [default_clf.score_batch([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        for category in CATEGORIES:
            # The frozen layers scale each token row by itself (RowInt8Linear), so a message's
            # neighbours no longer move its score: what is left is float rounding upstream of the
            # quantiser crossing a rounding step (measured 2026-12-08 on 288 held-out classroom
            # messages: p99 0.005-0.010, max 0.06). torch.ao's per-batch scaling moved scores by
            # up to 0.29 (p99 0.15; on these sentences 0.14), so a message near a threshold fell
            # either side.
            assert a.scores[category] == pytest.approx(b.scores[category], abs=0.08)
        assert a.reasons == b.reasons and a.language == b.language


def test_minilm_is_retired_with_a_readable_error() -> None:
    from classifiers import ClassifierLoadError, load_classifier

    with pytest.raises(ClassifierLoadError, match="retired"):
        load_classifier("minilm")
    assert "retired" in (check_model_files("minilm") or "")
