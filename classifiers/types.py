"""Light-weight public types shared by every backend.

This module must stay free of torch/transformers imports: the web process
imports it (through ``classifiers``) only for constants and result types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
class ScoreResult:
    """Scores for one text.

    ``scores`` always holds every category in [0, 1]; ``reasons`` only holds
    categories for which a human-readable explanation exists (a fired rule,
    a category the model does not cover, a truncated text).
    """

    scores: dict[str, float]
    reasons: dict[str, str]
    language: str
    language_reliable: bool
    model_name: str
    model_version: str

    def to_dict(self) -> dict[str, object]:
        return {
            "scores": dict(self.scores),
            "reasons": dict(self.reasons),
            "language": self.language,
            "language_reliable": self.language_reliable,
            "model_name": self.model_name,
            "model_version": self.model_version,
        }


@runtime_checkable
class Classifier(Protocol):
    name: str
    version: str
    reliable_languages: frozenset[str]

    def score_batch(self, texts: Sequence[str]) -> list[ScoreResult]: ...
