"""The classroom held-out set at the review threshold, per language and category.

A harmful message counts as *caught* when any category reaches its review threshold (the
desk then treats it as high priority, whichever category); *caught in category* asks the
labelled category itself to cross. A benign message crossing any threshold is a false
positive. Every rate carries a Wilson 95 % interval: with 5-10 messages per language the
interval, not the point, is the finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..data.classroom import TEST_FILE, TEST_SETS, ClassroomMessage, load_classroom
from ..types import CATEGORIES, Classifier
from .metrics import wilson
from .results import ClassroomRow, Rate


def rate(k: int, n: int) -> Rate:
    low, high = wilson(k, n)
    return Rate(k, n, low, high)


def classroom_rows(messages: list[ClassroomMessage], scores: list[Mapping[str, float]],
                   thresholds: Mapping[str, float]) -> list[ClassroomRow]:
    crossed = [{c for c in CATEGORIES if s[c] >= thresholds[c]} for s in scores]
    rows: list[ClassroomRow] = []
    for lang in [*sorted({m.language for m in messages}), "ALL"]:
        idx = [i for i, m in enumerate(messages) if lang == "ALL" or m.language == lang]
        harm = [i for i in idx if messages[i].harmful]
        benign = [i for i in idx if not messages[i].harmful]
        hard = [i for i in benign if messages[i].hard_negative]
        by_category = {}
        for category in sorted({messages[i].category for i in harm}):
            sel = [i for i in harm if messages[i].category == category]
            by_category[category] = rate(sum(bool(crossed[i]) for i in sel), len(sel))
        rows.append(ClassroomRow(
            lang, rate(sum(bool(crossed[i]) for i in harm), len(harm)),
            rate(sum(messages[i].category in crossed[i] for i in harm), len(harm)),
            rate(sum(bool(crossed[i]) for i in benign), len(benign)), by_category,
            tuple(messages[i].id for i in harm if not crossed[i]),
            rate(sum(bool(crossed[i]) for i in hard), len(hard)) if hard else None,
            tuple(messages[i].id for i in benign if crossed[i])))
    return rows


def evaluate_classroom(clf: Classifier, thresholds: Mapping[str, float], batch_size: int = 32,
                       path: Path = TEST_FILE) -> list[ClassroomRow]:
    messages = load_classroom(path)
    scores: list[Mapping[str, float]] = []
    for start in range(0, len(messages), batch_size):
        scores.extend(r.scores for r in clf.score_batch([m.text for m in messages[start:start + batch_size]]))
    return classroom_rows(messages, scores, thresholds)


def evaluate_classroom_sets(clf: Classifier, thresholds: Mapping[str, float], batch_size: int = 32
                            ) -> dict[str, list[ClassroomRow]]:
    """Every held-out classroom set (TEST_SETS), headline first."""
    return {key: evaluate_classroom(clf, thresholds, batch_size, path) for key, path, _who in TEST_SETS}
