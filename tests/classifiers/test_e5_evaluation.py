"""Evaluation maths on synthetic scores: per-language rows, low-prevalence AP, benign means,
the reliable-language decision, calibration and its plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.data.examples import Example
from classifiers.evaluation.evaluate import benign_scores, decide_reliable, metric_rows
from classifiers.evaluation.reliability import plot, reliability
from classifiers.types import CATEGORIES

THRESHOLDS = dict.fromkeys(CATEGORIES, 0.5)
H = CATEGORIES.index("harassment")


def _data(seed: int = 0) -> tuple[list[Example], np.ndarray]:
    rng = np.random.default_rng(seed)
    examples, rows = [], []
    for lang, source, separation in (("en", "olid", 1.5), ("da", "dkhate", 1.5), ("es", "mhc_es", 0.2)):
        for i in range(200):
            y = int(i % 4 == 0)
            examples.append(Example(f"{lang} {i}", source, "test", language=lang).label("harassment", y))
            row = np.full(len(CATEGORIES), 0.1)
            row[H] = 1 / (1 + np.exp(-(rng.normal() + separation * (y - 0.5) * 2)))
            rows.append(row)
    return examples, np.array(rows)


def test_rows_per_language_and_low_prevalence_ap() -> None:
    examples, scores = _data()
    rows = {(r.group, r.category): r for r in metric_rows(examples, scores, THRESHOLDS, "language")}
    assert set(rows) == {("en", "harassment"), ("da", "harassment"), ("es", "harassment"), ("ALL", "harassment")}
    en, es = rows[("en", "harassment")], rows[("es", "harassment")]
    assert en.n_pos == 50 and en.n_neg == 150
    assert en.roc_auc > 0.85 > 0.7 > es.roc_auc
    assert en.ap_low < en.ap          # fewer positives: lower precision at every recall
    assert 0.0 <= en.ece <= 1.0


def test_reliable_languages_follow_the_measurements() -> None:
    examples, scores = _data()
    benign = benign_scores(examples, scores, THRESHOLDS)
    assert set(benign) == {"en", "da", "es"} and benign["en"]["n"] == 150
    decision = decide_reliable(examples, scores, THRESHOLDS, benign)
    assert decision["languages"] == ["da", "en"]         # es: weak, and template-built only
    per = decision["per_language"]
    assert isinstance(per, dict) and per["es"]["evidence_kind"] == "templates"
    scores[[i for i, ex in enumerate(examples) if ex.language == "da"], :] = 0.9   # everything flagged
    benign = benign_scores(examples, scores, THRESHOLDS)
    assert "da" not in decide_reliable(examples, scores, THRESHOLDS, benign)["languages"]


def test_reliability_and_plot(tmp_path: Path) -> None:
    perfect = reliability([0, 1] * 50, [0.0, 1.0] * 50)
    assert perfect.ece == pytest.approx(0.0)
    off = reliability([0] * 100, [0.8] * 100)
    assert off.ece == pytest.approx(0.8) and off.counts == [100]
    plot({"harassment": off, "hate": perfect}, tmp_path / "r.png", "test")
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
