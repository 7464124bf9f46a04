"""Light-weight public types shared by every backend.

This module must stay free of torch/transformers imports: the web process
imports it (through ``classifiers``) only for constants and result types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

# Order matters: it is the column order of the head weights and of every
# report, so never reorder without retraining.
CATEGORIES: tuple[str, ...] = (
    "harassment",
    "hate",
    "threat",
    "sexual",
    "grooming",
    "self_harm",
    "profanity",
)

UNDETERMINED_LANGUAGE = "und"


class ClassifierLoadError(RuntimeError):
    """A model could not be loaded (missing, corrupt or unsupported files)."""


@dataclass(frozen=True)
class Evidence:
    """Where in the text a category's score came from: character offsets into
    the exact string passed to ``score_batch`` (Python ``str`` indices, i.e.
    Unicode code points, ``end`` exclusive) and a label: ``rule:<family>`` for
    a rule match, ``sentence`` for leave-one-sentence-out attribution. Never
    a copy of the text: scores are stored unsealed."""

    start: int
    end: int
    label: str

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "label": self.label}


@dataclass(frozen=True)
class ScoreResult:
    """Scores for one text.

    ``scores`` always holds every category in [0, 1]; ``reasons`` only holds
    categories for which a human-readable explanation exists (a fired rule,
    a category the model does not cover, a truncated text). ``evidence``
    only holds categories at/above their review threshold.
    """

    scores: dict[str, float]
    reasons: dict[str, str]
    language: str
    language_reliable: bool
    model_name: str
    model_version: str
    evidence: dict[str, tuple[Evidence, ...]] = field(default_factory=dict)
    context_used: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "scores": dict(self.scores),
            "reasons": dict(self.reasons),
            "language": self.language,
            "language_reliable": self.language_reliable,
            "model_name": self.model_name,
            "model_version": self.model_version,
            "evidence": {c: [e.to_dict() for e in items] for c, items in self.evidence.items()},
            "context_used": self.context_used,
        }


# Per text: the messages before it in its conversation (oldest first), or None.
Contexts = Sequence[Sequence[str] | None] | None


@runtime_checkable
class Classifier(Protocol):
    name: str
    version: str
    reliable_languages: frozenset[str]

    def score_batch(self, texts: Sequence[str], contexts: Contexts = None) -> list[ScoreResult]: ...
