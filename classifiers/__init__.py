"""Content classifiers for the moderation desk.

Importing this package is cheap (no torch/transformers): the web process
uses it for CATEGORIES, REVIEW_THRESHOLDS and ScoreResult. The heavy
backends load only inside ``load_classifier``. This package imports nothing
from the rest of the project.
"""

from __future__ import annotations

from .loader import check_model_files, load_classifier
from .thresholds import REVIEW_THRESHOLDS, reliable_languages
from .types import CATEGORIES, Classifier, ClassifierLoadError, Contexts, Evidence, ScoreResult

__all__ = [
    "CATEGORIES",
    "REVIEW_THRESHOLDS",
    "Classifier",
    "ClassifierLoadError",
    "Contexts",
    "Evidence",
    "ScoreResult",
    "check_model_files",
    "load_classifier",
    "reliable_languages",
]
