"""Ranking metrics in plain numpy (no scikit-learn dependency).

Definitions follow scikit-learn's so numbers are comparable:
ROC-AUC with tied scores counted as half, and average precision as the
step-wise sum over distinct thresholds, AP = sum_k (R_k - R_{k-1}) * P_k.
Optional sample weights are used on validation data, where down-weighted
sources (e.g. Davidson) should count for less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def _prep(y: npt.ArrayLike, s: npt.ArrayLike, w: npt.ArrayLike | None) -> tuple[Array, Array, Array]:
    yy = np.asarray(y, dtype=np.float64)
    ss = np.asarray(s, dtype=np.float64)
    ww = np.ones_like(yy) if w is None else np.asarray(w, dtype=np.float64)
    return yy, ss, ww


def _curve(y: Array, s: Array, w: Array) -> tuple[Array, Array, Array]:
    """Cumulative weighted TP and FP at each distinct threshold (desc)."""
    order = np.argsort(-s, kind="mergesort")
    s, y, w = s[order], y[order], w[order]
    distinct = np.where(np.diff(s))[0]
    idx = np.r_[distinct, y.size - 1]
    tps = np.cumsum(w * y)[idx]
    fps = np.cumsum(w * (1.0 - y))[idx]
    return tps, fps, s[idx]


def roc_auc(y: npt.ArrayLike, s: npt.ArrayLike, w: npt.ArrayLike | None = None) -> float:
    yy, ss, ww = _prep(y, s, w)
    if yy.size == 0 or yy.min() == yy.max():
        return float("nan")
    tps, fps, _ = _curve(yy, ss, ww)
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return float(np.trapezoid(tpr, fpr))


def average_precision(y: npt.ArrayLike, s: npt.ArrayLike, w: npt.ArrayLike | None = None) -> float:
    yy, ss, ww = _prep(y, s, w)
    if yy.size == 0 or yy.max() == 0:
        return float("nan")
    tps, fps, _ = _curve(yy, ss, ww)
    precision = tps / np.maximum(tps + fps, 1e-12)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


@dataclass(frozen=True)
class AtThreshold:
    precision: float
    recall: float
    flagged: int


def at_threshold(y: npt.ArrayLike, s: npt.ArrayLike, threshold: float,
                 w: npt.ArrayLike | None = None) -> AtThreshold:
    yy, ss, ww = _prep(y, s, w)
    hit = ss >= threshold
    tp = float(np.sum(ww * yy * hit))
    fp = float(np.sum(ww * (1 - yy) * hit))
    pos = float(np.sum(ww * yy))
    precision = tp / (tp + fp) if tp + fp > 0 else float("nan")
    recall = tp / pos if pos > 0 else float("nan")
    return AtThreshold(precision, recall, int(hit.sum()))


def best_f1_threshold(y: npt.ArrayLike, s: npt.ArrayLike, w: npt.ArrayLike | None = None) -> float:
    """Score threshold maximising (weighted) F1; midpoint between the chosen
    score and the next lower one so tiny score drift does not flip it."""
    yy, ss, ww = _prep(y, s, w)
    tps, fps, thresholds = _curve(yy, ss, ww)
    precision = tps / np.maximum(tps + fps, 1e-12)
    recall = tps / max(tps[-1], 1e-12)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1))
    if best + 1 < thresholds.size:
        return float((thresholds[best] + thresholds[best + 1]) / 2.0)
    return float(thresholds[best])


def threshold_for_precision(y: npt.ArrayLike, s: npt.ArrayLike, target: float,
                            w: npt.ArrayLike | None = None) -> float | None:
    """Lowest score threshold whose (weighted) precision reaches ``target``
    (so recall is as high as that precision allows); None if unreachable."""
    yy, ss, ww = _prep(y, s, w)
    tps, fps, thresholds = _curve(yy, ss, ww)
    precision = tps / np.maximum(tps + fps, 1e-12)
    ok = np.where(precision >= target)[0]
    if ok.size == 0:
        return None
    best = int(ok.max())   # thresholds descend, so the last index is the lowest
    if best + 1 < thresholds.size:
        return float((thresholds[best] + thresholds[best + 1]) / 2.0)
    return float(thresholds[best])


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for k successes in n (95 % by default); (nan, nan) for n = 0.
    Small sets are the point: 16 of 16 caught is 0.81-1.00, not "100 %"."""
    if n <= 0:
        return float("nan"), float("nan")
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * float(np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
