"""Per-category logistic heads over sentence embeddings (numpy only).

Stored as safetensors (no pickle, so a tampered file cannot run code) with a
JSON manifest beside it. Kept free of torch so health checks and the
evaluation maths can use it without loading the encoder.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .types import CATEGORIES, ClassifierLoadError

WEIGHTS_DIR = Path(__file__).parent / "weights"
HEADS_FILE = "heads.safetensors"
MANIFEST_FILE = "manifest.json"

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Heads:
    weight: FloatArray        # (n_categories, dim)
    bias: FloatArray          # (n_categories,)
    categories: tuple[str, ...]
    sha256: str

    def predict(self, embeddings: FloatArray) -> FloatArray:
        """Sigmoid probabilities, shape (n, n_categories)."""
        if embeddings.size == 0:
            return np.zeros((0, len(self.categories)), dtype=np.float32)
        logits = embeddings.astype(np.float32) @ self.weight.T + self.bias
        # Clip so exp() cannot overflow on extreme logits.
        logits = np.clip(logits, -40.0, 40.0)
        probs: FloatArray = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return probs


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_heads(out_dir: Path, weight: FloatArray, bias: FloatArray) -> str:
    from safetensors.numpy import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / HEADS_FILE
    save_file(
        {"weight": np.ascontiguousarray(weight, dtype=np.float32),
         "bias": np.ascontiguousarray(bias, dtype=np.float32)},
        str(path),
        metadata={"categories": json.dumps(list(CATEGORIES))},
    )
    return file_sha256(path)


def read_json_manifest(path: Path, what: str, hint: str = "") -> dict[str, Any]:
    """A manifest file as a dict; ClassifierLoadError naming `what` when missing or bad."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ClassifierLoadError(f"{what} missing: {path}{hint}") from exc
    except (OSError, ValueError) as exc:
        raise ClassifierLoadError(f"{what} unreadable: {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ClassifierLoadError(f"{what} is not a JSON object: {path}")
    return data


def read_manifest(weights_dir: Path = WEIGHTS_DIR) -> dict[str, object]:
    return read_json_manifest(weights_dir / MANIFEST_FILE, "head manifest")


def load_heads(weights_dir: Path = WEIGHTS_DIR, verify: bool = True) -> Heads:
    """Load heads; with ``verify`` the file hash must match the manifest."""
    from safetensors import safe_open

    path = weights_dir / HEADS_FILE
    if not path.is_file():
        raise ClassifierLoadError(
            f"head weights missing: {path} (run `python -m classifiers train`)"
        )
    sha = file_sha256(path)
    if verify:
        expected = read_manifest(weights_dir).get("heads_sha256")
        if expected != sha:
            raise ClassifierLoadError(
                f"head weights {path} do not match manifest hash "
                f"(expected {expected}, got {sha}); file corrupt or manifest stale"
            )
    try:
        with safe_open(str(path), framework="numpy") as handle:
            meta = handle.metadata() or {}
            weight = np.asarray(handle.get_tensor("weight"), dtype=np.float32)
            bias = np.asarray(handle.get_tensor("bias"), dtype=np.float32)
        categories = tuple(json.loads(meta.get("categories", "[]")))
    except Exception as exc:  # any parse failure means corrupt
        raise ClassifierLoadError(f"head weights unreadable: {path}: {exc}") from exc
    if categories != CATEGORIES:
        raise ClassifierLoadError(
            f"head categories {categories} differ from {CATEGORIES}; retrain the heads"
        )
    if weight.ndim != 2 or weight.shape[0] != len(CATEGORIES) or bias.shape != (len(CATEGORIES),):
        raise ClassifierLoadError(f"head weights have unexpected shapes {weight.shape}/{bias.shape}")
    if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
        raise ClassifierLoadError(f"head weights contain NaN/inf: {path}")
    return Heads(weight=weight, bias=bias, categories=categories, sha256=sha)
