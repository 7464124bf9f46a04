"""Result types shared by the evaluation and its report (no cycle between them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    category: str
    source: str          # dataset key or "ALL" (pooled)
    n_pos: int
    n_neg: int
    roc_auc: float
    ap: float
    precision: float
    recall: float
    head_roc_auc: float  # heads alone, without rules


@dataclass
class Evaluation:
    rows: list[Row]
    thresholds: dict[str, float]
    sizes: dict[str, int]
    languages: dict[str, Counter[str]]
    benign_flag_rate: dict[str, float]
    false_positive_rates: dict[str, dict[str, float]]
    model_version: str
    seconds: float
    examples: int


@dataclass(frozen=True)
class MetricRow:
    """One (group, category) cell of the multilingual report; group is a
    language code, a source key or "ALL"."""

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


@dataclass
class E5Evaluation:
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
    baseline: list[MetricRow] = field(default_factory=list)   # MiniLM on the same rows, by language
