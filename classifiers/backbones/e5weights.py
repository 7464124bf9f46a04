"""Our part of the multilingual model: LoRA adapters, head and calibration,
in one safetensors file (no pickle) checked against manifest.json.

numpy/safetensors only at module level, so health checks stay torch-free.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..types import CATEGORIES, ClassifierLoadError

E5_WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights" / "e5"
ADAPTERS_FILE = "adapters.safetensors"
MANIFEST_FILE = "manifest.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def save_adapters(out_dir: Path, state: dict[str, Any], adapter_cfg: Any,
                  a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> str:
    from safetensors.numpy import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    tensors = {k: np.ascontiguousarray(v.numpy(), dtype=np.float32) for k, v in sorted(state.items())}
    tensors["calibration.a"] = np.ascontiguousarray(a, dtype=np.float32)
    tensors["calibration.b"] = np.ascontiguousarray(b, dtype=np.float32)
    meta = {"categories": json.dumps(list(CATEGORIES)), "adapter_config": json.dumps(asdict(adapter_cfg))}
    path = out_dir / ADAPTERS_FILE
    save_file(tensors, str(path), metadata=meta)
    path.chmod(0o644)   # workers may run as another user than the one who trained
    return file_sha256(path)


def read_manifest(weights_dir: Path = E5_WEIGHTS_DIR) -> dict[str, Any]:
    return read_json_manifest(weights_dir / MANIFEST_FILE, "e5 manifest", " (run `python -m classifiers train`)")


def load_adapters(weights_dir: Path = E5_WEIGHTS_DIR, verify: bool = True
                  ) -> tuple[dict[str, npt.NDArray[np.float32]], dict[str, Any], str]:
    """(tensors, adapter config dict, sha256); raises ClassifierLoadError."""
    from safetensors import safe_open

    path = weights_dir / ADAPTERS_FILE
    if not path.is_file():
        raise ClassifierLoadError(f"e5 adapters missing: {path} (run `python -m classifiers train`)")
    sha = file_sha256(path)
    if verify and read_manifest(weights_dir).get("adapters_sha256") != sha:
        raise ClassifierLoadError(f"e5 adapters {path} do not match the manifest hash; file corrupt or manifest stale")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            meta = handle.metadata() or {}
            tensors = {k: np.asarray(handle.get_tensor(k), dtype=np.float32) for k in handle.keys()}  # noqa: SIM118
        categories = tuple(json.loads(meta.get("categories", "[]")))
        cfg = json.loads(meta["adapter_config"])
    except Exception as exc:  # any parse failure means corrupt
        raise ClassifierLoadError(f"e5 adapters unreadable: {path}: {exc}") from exc
    if categories != CATEGORIES:
        raise ClassifierLoadError(f"e5 adapter categories {categories} differ from {CATEGORIES}; retrain")
    if not all(np.isfinite(v).all() for v in tensors.values()):
        raise ClassifierLoadError(f"e5 adapters contain NaN/inf: {path}")
    return tensors, cfg, sha
