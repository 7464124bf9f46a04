"""Result types shared by the evaluation and its report (no cycle between them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MetricRow:
    """One (group, category) cell of the report; group is a language code, a
    source key or "ALL"."""

    group: str
    category: str
    n_pos: int
    n_neg: int
    roc_auc: float
    ap: float
    ap_low: float        # average precision re-weighted to 5 % positives
    precision: float
    recall: float
    ece: float


@dataclass(frozen=True)
class ContextResult:
    split: str           # "test" (never trained on) or "all"
    n_pos: int
    n_neg: int
    auc_alone: float
    auc_context: float
    flagged_pos_alone: int
    flagged_pos_context: int
    flagged_neg_alone: int
    flagged_neg_context: int


@dataclass(frozen=True)
class Rate:
    """k of n with a Wilson 95 % interval (small sets: the interval is the point)."""

    k: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else float("nan")


@dataclass(frozen=True)
class ClassroomRow:
    """The classroom held-out set, one language (or "ALL"): harmful messages
    caught at the review threshold (any category at/above its threshold, i.e.
    high priority at the desk), and benign ones that crossed it."""

    language: str
    caught: Rate
    caught_in_category: Rate          # the labelled category itself crossed its threshold
    benign_flagged: Rate
    by_category: dict[str, Rate] = field(default_factory=dict)
    missed: tuple[str, ...] = ()      # ids of harmful messages below threshold (never text)
    hard_negatives_flagged: Rate | None = None   # benign messages that share words with harm
    false_alarms: tuple[str, ...] = ()  # ids of benign messages that crossed a threshold


@dataclass
class Evaluation:
    by_language: list[MetricRow]
    by_source: list[MetricRow]
    ece: dict[str, float]
    benign: dict[str, dict[str, float]]   # language -> {category mean..., "flag_rate", "n"}
    context: list[ContextResult]
    reliable: dict[str, object]
    thresholds: dict[str, float]
    sizes: dict[str, int]
    detected: dict[str, Counter[str]]
    model_version: str
    seconds: float
    examples: int
    # classroom held-out sets by key (data/classroom.py TEST_SETS), headline first
    classroom: dict[str, list[ClassroomRow]] = field(default_factory=dict)
    subset: str = ""                      # non-empty when only part of the held-out rows was scored
