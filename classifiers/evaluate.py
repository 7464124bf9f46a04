"""Held-out evaluation of the MiniLM backend (heads + rules, as shipped).

    python -m classifiers evaluate --model minilm [--report docs/classifier-evaluation-minilm.md]

Only ``test`` rows are scored (official OLID/GermEval test sets, hash-split
test rows elsewhere, MLMA French which is never trained on, and the team
examples' test fifth). Training never loads these rows.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .datasets import SOURCES, Example, load_examples
from .evalcore import Evaluation, Row
from .metrics import at_threshold, average_precision, roc_auc
from .report import print_summary, write_report
from .textprep import prepare
from .types import CATEGORIES

log = logging.getLogger(__name__)


def _row(category: str, source: str, y: npt.NDArray[np.float64], s: npt.NDArray[np.float64],
         h: npt.NDArray[np.float64], threshold: float) -> Row:
    at = at_threshold(y, s, threshold)
    return Row(category, source, int(y.sum()), int((1 - y).sum()), roc_auc(y, s),
               average_precision(y, s), at.precision, at.recall, roc_auc(y, h))


def compute_rows(examples: list[Example], final: npt.NDArray[np.float64],
                 head: npt.NDArray[np.float64], thresholds: dict[str, float]) -> list[Row]:
    rows: list[Row] = []
    for c, category in enumerate(CATEGORIES):
        idx = [i for i, ex in enumerate(examples) if category in ex.labels]
        if not idx:
            continue
        y = np.array([examples[i].labels[category] for i in idx], dtype=np.float64)
        srcs = [examples[i].source for i in idx]
        for source in sorted(set(srcs)):
            sel = np.array([s == source for s in srcs])
            if y[sel].sum() > 0:   # sources with only negatives appear in ALL
                rows.append(_row(category, source, y[sel], final[idx, c][sel], head[idx, c][sel],
                                 thresholds[category]))
        rows.append(_row(category, "ALL", y, final[idx, c], head[idx, c], thresholds[category]))
    return rows


def _false_positive_rates(examples: list[Example], final: npt.NDArray[np.float64],
                          thresholds: dict[str, float]) -> dict[str, dict[str, float]]:
    """Share of clearly benign rows flagged per source: Davidson "neither"
    vs OLID "NOT" is our only (weak) proxy for dialect bias."""
    out: dict[str, dict[str, float]] = {}
    groups = {
        "davidson_neither": [i for i, e in enumerate(examples)
                             if e.source == "davidson" and e.labels.get("harassment") == 0],
        "olid_not": [i for i, e in enumerate(examples)
                     if e.source == "olid" and e.labels.get("profanity") == 0
                     and e.labels.get("harassment") == 0],
        "toxigen_neutral": [i for i, e in enumerate(examples)
                            if e.source == "toxigen" and e.labels.get("hate") == 0],
        "team_benign": [i for i, e in enumerate(examples)
                        if e.source == "team" and not any(e.labels.values())],
    }
    for name, idx in groups.items():
        if not idx:
            continue
        out[name] = {c: float(np.mean(final[idx, k] >= thresholds[c]))
                     for k, c in enumerate(CATEGORIES)}
        out[name]["n"] = float(len(idx))
    return out


def evaluate(data_dir: Path, report: Path | None, batch_size: int = 32) -> Evaluation:
    from .minilm import MiniLMClassifier

    started = time.monotonic()
    examples = load_examples(data_dir, splits=("test",))
    clf = MiniLMClassifier(batch_size=batch_size)
    finals: list[list[float]] = []
    heads: list[npt.NDArray[np.float32]] = []
    languages: dict[str, Counter[str]] = {}
    step = 256
    for start in range(0, len(examples), step):
        part = examples[start:start + step]
        prepared = [prepare(ex.text) for ex in part]
        results, head = clf.score_prepared(prepared)
        for ex, res in zip(part, results, strict=True):
            finals.append([res.scores[c] for c in CATEGORIES])
            languages.setdefault(ex.source, Counter())[res.language] += 1
        heads.append(head)
        log.info("scored %d/%d", start + len(part), len(examples))
    final = np.array(finals, dtype=np.float64)
    head_all = np.concatenate(heads).astype(np.float64)
    rows = compute_rows(examples, final, head_all, clf.thresholds)
    fpr = _false_positive_rates(examples, final, clf.thresholds)
    benign = fpr.get("team_benign", {})
    evaluation = Evaluation(
        rows=rows,
        thresholds=dict(clf.thresholds),
        sizes=dict(Counter(ex.source for ex in examples)),
        languages=languages,
        benign_flag_rate={c: benign.get(c, float("nan")) for c in CATEGORIES},
        false_positive_rates=fpr,
        model_version=clf.version,
        seconds=time.monotonic() - started,
        examples=len(examples),
    )
    print_summary(evaluation)
    if report is not None:
        write_report(evaluation, report, sources=SOURCES)
        print(f"report written to {report}")
    return evaluation
