"""Numpy metrics and logistic regression against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifiers.evaluation.metrics import at_threshold, average_precision, best_f1_threshold, roc_auc
from classifiers.training import logreg


def test_roc_auc_known_values() -> None:
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)   # ties count half
    assert roc_auc([1, 1, 0], [0.9, 0.8, 0.1]) == pytest.approx(1.0)
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))


def test_average_precision_known_values() -> None:
    # Ranking: 0.8(1) 0.4(0) 0.35(1) 0.1(0) -> AP = 0.5*1 + 0.5*(2/3)
    assert average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(5 / 6)
    assert math.isnan(average_precision([0, 0], [0.1, 0.2]))


def test_precision_recall_at_threshold_and_f1_choice() -> None:
    y = [0, 0, 1, 1, 1]
    s = [0.1, 0.6, 0.55, 0.7, 0.9]
    at = at_threshold(y, s, 0.6)
    assert at.precision == pytest.approx(2 / 3) and at.recall == pytest.approx(2 / 3)
    thr = best_f1_threshold(y, s)
    assert 0.1 < thr <= 0.55


def test_logreg_separates_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4))
    y = (x[:, 0] > 0).astype(float)
    w = logreg.balanced_weights(y, np.ones_like(y))
    coef1, b1 = logreg.fit(x, y, w, l2=1e-3)
    coef2, b2 = logreg.fit(x, y, w, l2=1e-3)
    assert np.array_equal(coef1, coef2) and b1 == b2
    assert roc_auc(y, logreg.predict(x, coef1, b1)) > 0.99
