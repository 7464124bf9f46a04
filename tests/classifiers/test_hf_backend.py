"""HF backend on tiny, randomly initialised checkpoints built on disk."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from classifiers import CATEGORIES, ClassifierLoadError, check_model_files, load_classifier
from classifiers.scoring import NOT_COVERED

SINGLE_LABELS = ["neutral", "toxic", "threat"]
MULTI_LABELS = ["toxic", "insult", "obscene", "identity_attack", "sexual_explicit"]
MULTI_MAP: dict[str, object] = {
    "toxic": ["harassment"], "insult": ["harassment"], "obscene": ["profanity"],
    "identity_attack": ["hate"], "sexual_explicit": ["sexual"], "languages": ["en", "da", "de"],
}

Factory = Callable[..., Path]


@pytest.fixture(scope="module")
def single_ckpt(tiny_checkpoint_factory: Factory) -> Path:
    return tiny_checkpoint_factory(
        "single", SINGLE_LABELS, "single_label_classification",
        {"toxic": ["harassment"], "threat": ["threat"]},
    )


@pytest.fixture(scope="module")
def multi_ckpt(tiny_checkpoint_factory: Factory) -> Path:
    return tiny_checkpoint_factory("multi", MULTI_LABELS, "multi_label_classification", MULTI_MAP)


def _direct_probs(ckpt: Path, text: str, multi: bool) -> torch.Tensor:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(ckpt, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(ckpt, local_files_only=True).eval()
    with torch.inference_mode():
        logits = model(**tok(text, return_tensors="pt")).logits[0]
    return torch.sigmoid(logits) if multi else torch.softmax(logits, dim=-1)


def test_single_label_softmax_mapping(single_ckpt: Path) -> None:
    clf = load_classifier(f"hf:{single_ckpt}")
    text = "hello world the class planted trees"
    [res] = clf.score_batch([text])
    probs = _direct_probs(single_ckpt, text, multi=False)
    assert res.scores["harassment"] == pytest.approx(float(probs[1]), abs=1e-5)
    assert res.scores["threat"] == pytest.approx(float(probs[2]), abs=1e-5)
    for category in ("hate", "sexual", "grooming", "self_harm", "profanity"):
        assert res.scores[category] == 0.0
        assert NOT_COVERED in res.reasons[category]
    assert clf.reliable_languages == frozenset({"en"})
    assert res.model_name == f"hf:{single_ckpt.name}"
    assert res.model_version.startswith("hf-")


def test_multi_label_sigmoid_mapping_and_languages(multi_ckpt: Path) -> None:
    clf = load_classifier(f"hf:{multi_ckpt}")
    text = "you are so very stupid"
    [res] = clf.score_batch([text])
    probs = _direct_probs(multi_ckpt, text, multi=True)
    # harassment = max(toxic, insult); the "direct insult" rule may raise it further.
    assert res.scores["harassment"] >= max(float(probs[0]), float(probs[1])) - 1e-5
    assert res.scores["hate"] == pytest.approx(float(probs[3]), abs=1e-5)
    assert res.scores["sexual"] == pytest.approx(float(probs[4]), abs=1e-5)
    assert clf.reliable_languages == frozenset({"en", "da", "de"})
    assert NOT_COVERED in res.reasons["grooming"]
    assert "harassment" not in res.reasons or NOT_COVERED not in res.reasons["harassment"]


def test_rules_apply_on_top_of_uncovered_categories(single_ckpt: Path) -> None:
    from classifiers import REVIEW_THRESHOLDS

    clf = load_classifier(f"hf:{single_ckpt}")
    [res] = clf.score_batch(["don't tell your parents, send me a pic and add me on snapchat"])
    assert res.scores["grooming"] >= REVIEW_THRESHOLDS["grooming"]
    assert "grooming signal" in res.reasons["grooming"]
    assert NOT_COVERED in res.reasons["grooming"]


def test_long_text_is_chunked_with_small_position_limit(multi_ckpt: Path) -> None:
    clf = load_classifier(f"hf:{multi_ckpt}", batch_size=4)
    texts = ["hello world " * 400, "", "😀", "x" * 100_000]
    results = clf.score_batch(texts)
    assert len(results) == 4
    for res in results:
        assert set(res.scores) == set(CATEGORIES)
        assert all(0.0 <= v <= 1.0 for v in res.scores.values())
    assert "windows" in results[0].reasons["harassment"]   # > 16 windows of 64 tokens


def test_map_from_spec_query_and_env(tiny_checkpoint_factory: Factory, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ckpt = tiny_checkpoint_factory("nomap", ["neutral", "toxic", "insult"], None)  # no problem_type
    assert "no c2c_label_map.json" in (check_model_files(f"hf:{ckpt}") or "")
    with pytest.raises(ClassifierLoadError):
        load_classifier(f"hf:{ckpt}")
    map_file = tmp_path / "map.json"
    map_file.write_text(json.dumps({"labels": {"toxic": ["hate"]}, "languages": ["fr"]}))
    clf = load_classifier(f"hf:{ckpt}?map={map_file}")
    assert clf.reliable_languages == frozenset({"fr"})
    [res] = clf.score_batch(["bonjour"])
    assert NOT_COVERED in res.reasons["harassment"] and NOT_COVERED not in res.reasons.get("hate", "")
    monkeypatch.setenv("C2C_LABEL_MAP", str(map_file))
    assert load_classifier(f"hf:{ckpt}").reliable_languages == frozenset({"fr"})


def test_identity_mapping_without_map_file(tiny_checkpoint_factory: Factory) -> None:
    ckpt = tiny_checkpoint_factory("identity", ["neutral", "threat", "hate"], None)
    clf = load_classifier(f"hf:{ckpt}")
    [res] = clf.score_batch(["hello"])
    assert NOT_COVERED not in res.reasons.get("threat", "")
    assert NOT_COVERED in res.reasons["sexual"]


def test_missing_and_corrupt_checkpoints(single_ckpt: Path, tmp_path: Path) -> None:
    missing = tmp_path / "does-not-exist"
    assert check_model_files(f"hf:{missing}") is not None
    with pytest.raises(ClassifierLoadError, match="not found"):
        load_classifier(f"hf:{missing}")

    broken = tmp_path / "broken"
    shutil.copytree(single_ckpt, broken)
    (broken / "model.safetensors").write_bytes(b"\x00garbage, not safetensors")
    assert check_model_files(f"hf:{broken}") is not None
    with pytest.raises(ClassifierLoadError):
        load_classifier(f"hf:{broken}")

    no_config = tmp_path / "noconfig"
    shutil.copytree(single_ckpt, no_config)
    (no_config / "config.json").unlink()
    with pytest.raises(ClassifierLoadError, match=r"config\.json"):
        load_classifier(f"hf:{no_config}")

    bad_map = tmp_path / "badmap"
    shutil.copytree(single_ckpt, bad_map)
    (bad_map / "c2c_label_map.json").write_text('{"toxic": ["not_a_category"]}')
    with pytest.raises(ClassifierLoadError, match="unknown categories"):
        load_classifier(f"hf:{bad_map}")
    assert check_model_files(f"hf:{single_ckpt}") is None


def test_unknown_spec() -> None:
    with pytest.raises(ClassifierLoadError, match="unknown model spec"):
        load_classifier("bogus")
    assert check_model_files("bogus") is not None
