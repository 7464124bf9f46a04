"""The real MiniLM backend (MiniLM + trained heads + rules), loaded once."""

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
    heads = Path(__file__).resolve().parents[2] / "classifiers" / "weights" / "heads.safetensors"
    sha = hashlib.sha256(heads.read_bytes()).hexdigest()[:10]
    assert sha in res.model_version and res.model_version == default_clf.version
    assert default_clf.reliable_languages == frozenset({"en"})
    assert set(REVIEW_THRESHOLDS) == set(CATEGORIES)
    assert all(0.0 < t < 1.0 for t in REVIEW_THRESHOLDS.values())
    assert check_model_files("minilm") is None


@pytest.mark.parametrize(("text", "lang"), [
    ("Du er så dum og grim, ingen i klassen kan lide dig.", "da"),
    ("Wir haben heute im Unterricht über Vulkane und Erdbeben gelernt.", "de"),
])
def test_non_english_is_scored_but_unreliable(default_clf: Classifier, text: str, lang: str) -> None:
    [res] = default_clf.score_batch([text])
    assert res.language == lang
    assert res.language_reliable is False
    assert all(0.0 <= v <= 1.0 for v in res.scores.values())


def test_batch_results_do_not_depend_on_batching(default_clf: Classifier) -> None:
    texts = [*BENIGN, *(t for t, _, _ in HARMFUL), "short", "a much longer message " * 30]
    together = default_clf.score_batch(texts)
    alone = [default_clf.score_batch([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        for category in CATEGORIES:
            assert a.scores[category] == pytest.approx(b.scores[category], abs=1e-4)
        assert a.reasons == b.reasons and a.language == b.language


def test_corrupt_or_missing_heads_are_load_errors(tmp_path: Path) -> None:
    import shutil

    from classifiers import ClassifierLoadError
    from classifiers.heads import WEIGHTS_DIR
    from classifiers.minilm import MiniLMClassifier

    missing = tmp_path / "missing"
    missing.mkdir()
    assert "missing" in (check_model_files("minilm", weights_dir=missing) or "")
    with pytest.raises(ClassifierLoadError, match="missing"):
        MiniLMClassifier(weights_dir=missing)

    corrupt = tmp_path / "corrupt"
    shutil.copytree(WEIGHTS_DIR, corrupt)
    data = bytearray((corrupt / "heads.safetensors").read_bytes())
    data[-8:] = b"\xff" * 8
    (corrupt / "heads.safetensors").write_bytes(bytes(data))
    assert "do not match" in (check_model_files("minilm", weights_dir=corrupt) or "")
    with pytest.raises(ClassifierLoadError):
        MiniLMClassifier(weights_dir=corrupt)

    garbage = tmp_path / "garbage"
    shutil.copytree(WEIGHTS_DIR, garbage)
    (garbage / "heads.safetensors").write_bytes(b"not a safetensors file")
    # Even with the manifest hash "fixed", an unparsable file is reported.
    import hashlib
    import json

    manifest = json.loads((garbage / "manifest.json").read_text())
    manifest["heads_sha256"] = hashlib.sha256(b"not a safetensors file").hexdigest()
    (garbage / "manifest.json").write_text(json.dumps(manifest))
    assert "unreadable" in (check_model_files("minilm", weights_dir=garbage) or "")
