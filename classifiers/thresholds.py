"""REVIEW_THRESHOLDS for the default model, read from the trained manifest.

The numbers are chosen by ``python -m classifiers train`` on a validation
split that the heads never saw (see docs/classifier-evaluation.md), and
stored in weights/manifest.json so there is a single source of truth. Only
json is read here so ``import classifiers`` stays light.
"""

from __future__ import annotations

import json
from pathlib import Path

from .types import CATEGORIES

# Used only if the manifest is missing/corrupt, so importing never fails.
# 0.5 is the natural boundary of a class-balanced logistic head.
FALLBACK_THRESHOLD = 0.5

_MANIFEST = Path(__file__).parent / "weights" / "manifest.json"


def load_review_thresholds(manifest: Path = _MANIFEST) -> dict[str, float]:
    thresholds = {category: FALLBACK_THRESHOLD for category in CATEGORIES}
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        stored = data.get("thresholds", {})
        for category in CATEGORIES:
            value = float(stored[category]["threshold"])
            if 0.0 < value < 1.0:
                thresholds[category] = value
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return thresholds


REVIEW_THRESHOLDS: dict[str, float] = load_review_thresholds()
