"""Expected calibration error and the reliability plot (evaluation only)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

BINS = 10


@dataclass(frozen=True)
class Reliability:
    ece: float
    centres: list[float]      # mean predicted score per non-empty bin
    observed: list[float]     # share of positives per non-empty bin
    counts: list[int]


def reliability(y: npt.ArrayLike, s: npt.ArrayLike, bins: int = BINS) -> Reliability:
    """Equal-width bins over [0, 1]; ECE = sum_b (n_b / n) |mean score_b - positive rate_b|."""
    yy = np.asarray(y, dtype=np.float64)
    ss = np.clip(np.asarray(s, dtype=np.float64), 0.0, 1.0)
    if yy.size == 0:
        return Reliability(float("nan"), [], [], [])
    which = np.minimum((ss * bins).astype(int), bins - 1)
    ece, centres, observed, counts = 0.0, [], [], []
    for b in range(bins):
        sel = which == b
        n = int(sel.sum())
        if not n:
            continue
        mean_s, rate = float(ss[sel].mean()), float(yy[sel].mean())
        ece += n / yy.size * abs(mean_s - rate)
        centres.append(mean_s)
        observed.append(rate)
        counts.append(n)
    return Reliability(ece, centres, observed, counts)


def plot(curves: dict[str, Reliability], path: Path, title: str) -> None:
    """One line per category; the diagonal is perfect calibration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 5.2), dpi=110)
    ax.plot([0, 1], [0, 1], color="#888888", linestyle="--", linewidth=1, label="perfect calibration")
    for name, curve in curves.items():
        if curve.centres:
            ax.plot(curve.centres, curve.observed, marker="o", markersize=3,
                    label=f"{name} (ECE {curve.ece:.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted score (bin mean)")
    ax.set_ylabel("share of positives in the bin")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Fixed metadata so an unchanged plot is byte-identical across runs.
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
