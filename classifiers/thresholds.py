"""REVIEW_THRESHOLDS and reliably-scored languages, read from the trained
manifest of the backend this process is configured for (``C2C_CLASSIFIER``).

The numbers are chosen by ``python -m classifiers train`` on a validation
split (thresholds) and by ``python -m classifiers evaluate`` on held-out
test splits (languages); see docs/classifier-evaluation.md. Only json is read
here, so ``import classifiers`` stays light and the web process can call
``reliable_languages()`` without torch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .types import CATEGORIES

# Used only if the manifest is missing/corrupt, so importing never fails.
FALLBACK_THRESHOLD = 0.5
WEIGHTS = Path(__file__).parent / "weights"
_MANIFESTS = {"e5": WEIGHTS / "e5" / "manifest.json"}


def manifest_for(spec: str | None) -> Path | None:
    """Manifest of a backend spec; None for HF checkpoints (their label map decides)."""
    if spec in (None, "", "default", "e5"):
        return _MANIFESTS["e5"]
    return None


def _read(manifest: Path | None) -> dict[str, object]:
    if manifest is None:
        return {}
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_review_thresholds(manifest: Path | None = _MANIFESTS["e5"]) -> dict[str, float]:
    thresholds = {category: FALLBACK_THRESHOLD for category in CATEGORIES}
    stored = _read(manifest).get("thresholds", {})
    for category in CATEGORIES:
        try:
            value = float(stored[category]["threshold"])  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            continue
        if 0.0 < value < 1.0:
            thresholds[category] = value
    return thresholds


def reliable_languages(spec: str | None = None) -> frozenset[str]:
    """ISO 639-1 codes the configured model scores reliably, per held-out
    measurement (the ``reliable_languages`` entry `evaluate` writes into the
    manifest). ``spec`` defaults to ``$C2C_CLASSIFIER``. MiniLM: English.
    HF checkpoints: their label map's ``languages`` (resolved when loaded),
    so this returns English only."""
    spec = os.environ.get("C2C_CLASSIFIER") if spec is None else spec
    entry = _read(manifest_for(spec)).get("reliable_languages")
    if isinstance(entry, dict) and isinstance(entry.get("languages"), list):
        return frozenset(str(code) for code in entry["languages"])
    return frozenset({"en"})


REVIEW_THRESHOLDS: dict[str, float] = load_review_thresholds(manifest_for(os.environ.get("C2C_CLASSIFIER")))
