"""The multilingual backend's pipeline on a tiny synthetic model: contract,
evidence offsets, conversation context, attribution, load errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import classifiers
from classifiers import CATEGORIES, Classifier, ClassifierLoadError, check_model_files
from classifiers.backbones.e5 import E5Classifier, sentence_spans
from tests.classifiers.test_robustness import GARBAGE

GROOMING_MSG = "  send me a \uff50\uff49\uff43  \u200bnow "


def test_contract_version_and_languages(tiny_e5_clf: Classifier) -> None:
    [res] = tiny_e5_clf.score_batch(["hello class"])
    assert tuple(res.scores) == CATEGORIES and all(0.0 <= v <= 1.0 for v in res.scores.values())
    assert res.model_name == "c2c-e5-small" and res.model_version == tiny_e5_clf.version
    assert res.model_version.startswith("e5s-") and "+lora-" in res.model_version and "+rules-" in res.model_version
    assert len(res.model_version) <= 64   # ItemScore.model_version column
    assert tiny_e5_clf.reliable_languages == frozenset({"en", "da"})
    assert res.context_used is False and set(res.to_dict()) >= {"evidence", "context_used"}


def test_rule_evidence_offsets_point_into_the_original_text(tiny_e5_clf: Classifier) -> None:
    text = "Hi!!  don\u2019t   tell your parents,\u200b send me a pic and ADD ME ON SNAPCHAT"
    [res] = tiny_e5_clf.score_batch([text])
    assert res.scores["grooming"] >= 0.6
    found = {e.label: text[e.start:e.end] for e in res.evidence["grooming"]}
    assert found["rule:secrecy"] == "don\u2019t   tell your parents"
    assert found["rule:photo_request"] == "send me a pic"
    assert found["rule:private_channel"] == "ADD ME ON SNAPCHAT"
    for items in res.evidence.values():
        for e in items:
            assert 0 <= e.start < e.end <= len(text)
    assert res.to_dict()["evidence"]["grooming"][0].keys() == {"start", "end", "label"}


def test_context_raises_grooming_only(tiny_e5_clf: Classifier) -> None:
    context = ["you are so mature", "don't tell your parents we talk, our little secret"]
    alone, inctx = tiny_e5_clf.score_batch([GROOMING_MSG, GROOMING_MSG], [None, context])
    assert inctx.context_used and not alone.context_used
    assert inctx.scores["grooming"] > alone.scores["grooming"]
    assert "earlier in the conversation" in inctx.reasons["grooming"]
    for category in CATEGORIES:
        if category != "grooming":
            assert inctx.scores[category] == pytest.approx(alone.scores[category], abs=1e-5)
    # evidence never points into the context, only into the flagged message
    for e in inctx.evidence.get("grooming", ()):
        assert 0 <= e.start < e.end <= len(GROOMING_MSG)


def test_contexts_must_match_texts(tiny_e5_clf: Classifier) -> None:
    with pytest.raises(ValueError, match="one entry"):
        tiny_e5_clf.score_batch(["a", "b"], [None])
    assert tiny_e5_clf.score_batch([], []) == []


def test_results_do_not_depend_on_batching(tiny_e5_clf: Classifier) -> None:
    texts = ["hello class", "you are stupid", "", "tree " * 300, "hej vi har planted a tree today"]
    together = tiny_e5_clf.score_batch(texts)
    alone = [tiny_e5_clf.score_batch([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        for category in CATEGORIES:
            # The frozen layers scale each token row by itself (RowInt8Linear): only float
            # rounding is left (6e-8 here). torch.ao's per-batch scaling moved it by ~1e-3.
            assert a.scores[category] == pytest.approx(b.scores[category], abs=1e-5)


def test_garbage_never_raises(tiny_e5_clf: Classifier) -> None:
    results = tiny_e5_clf.score_batch(GARBAGE, [GARBAGE[:3]] * len(GARBAGE))
    assert len(results) == len(GARBAGE)
    for res in results:
        assert all(np.isfinite(v) and 0.0 <= v <= 1.0 for v in res.scores.values())
    assert "20000" in results[11].reasons["harassment"]


def test_leave_one_sentence_out_marks_the_sentence(tiny_e5_clf: Classifier, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(tiny_e5_clf, E5Classifier)
    harassment = CATEGORIES.index("harassment")

    def fake_rows(texts: list[str], contexts: list[list[str]]) -> tuple[list[np.ndarray], list[bool]]:
        rows = []
        for t in texts:
            row = np.full((1, len(CATEGORIES)), 0.1, np.float32)
            row[0, harassment] = 0.9 if "stupid" in t else 0.1
            rows.append(row)
        return rows, [False] * len(texts)

    monkeypatch.setattr(tiny_e5_clf, "window_rows", fake_rows)
    text = "Hello class.  You are stupid!\nNice tree today."
    [res] = tiny_e5_clf.score_batch([text])
    [e] = [e for e in res.evidence["harassment"] if e.label == "sentence"]
    assert text[e.start:e.end] == "You are stupid!"
    [single] = tiny_e5_clf.score_batch(["you are stupid"])
    [whole] = [e for e in single.evidence["harassment"] if e.label == "sentence"]
    assert (whole.start, whole.end) == (0, 14)
    assert "hate" not in res.evidence


def test_sentence_spans() -> None:
    text = "One. Two?\n\nThree"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["One.", "Two?", "Three"]


def test_reliable_languages_needs_no_torch() -> None:
    assert classifiers.reliable_languages("hf:/nowhere") == frozenset({"en"})
    assert "en" in classifiers.reliable_languages("e5")


def test_corrupt_or_missing_adapters_are_load_errors(tiny_e5: tuple[Path, Path], tmp_path: Path) -> None:
    model, weights = tiny_e5
    assert check_model_files(None, weights_dir=weights) is None
    broken = tmp_path / "broken"
    shutil.copytree(weights, broken)
    data = bytearray((broken / "adapters.safetensors").read_bytes())
    data[-4:] = b"\xff\xff\xff\xff"
    (broken / "adapters.safetensors").write_bytes(bytes(data))
    assert "do not match" in (check_model_files(None, weights_dir=broken) or "")
    with pytest.raises(ClassifierLoadError):
        E5Classifier(weights_dir=broken, model_path=model)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "missing" in (check_model_files(None, weights_dir=empty) or "")
