"""Label-map files that tie an HF checkpoint's labels to desk categories.

Kept torch-free so health checks can validate a map without loading a model.

Format (``c2c_label_map.json`` in the checkpoint dir, or given explicitly):

    {"toxic": ["harassment"], "identity_attack": ["hate"],
     "languages": ["en", "da"], "thresholds": {"hate": 0.6}}

or the same label entries nested under "labels". Keys "languages" and
"thresholds" are optional; keys starting with "_" are comments.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from ..types import CATEGORIES, ClassifierLoadError

MAP_FILENAME = "c2c_label_map.json"
MAP_ENV = "C2C_LABEL_MAP"
RESERVED = {"labels", "languages", "thresholds"}


@dataclass(frozen=True)
class LabelMap:
    labels: dict[str, tuple[str, ...]]   # model label (lower-cased) -> categories
    languages: frozenset[str]
    thresholds: dict[str, float]
    path: Path | None
    raw: bytes


def parse_spec(spec: str) -> tuple[Path, Path | None]:
    """``hf:/ckpt`` or ``hf:/ckpt?map=/path/map.json`` -> (ckpt, map path)."""
    body = spec[3:] if spec.startswith("hf:") else spec
    path_part, _, query = body.partition("?")
    if not path_part:
        raise ClassifierLoadError(f"model spec {spec!r} names no checkpoint directory")
    map_values = parse_qs(query).get("map") if query else None
    return Path(path_part).expanduser(), Path(map_values[0]).expanduser() if map_values else None


def resolve_map_path(checkpoint: Path, explicit: Path | None) -> Path | None:
    """Precedence: ?map= in the spec, then $C2C_LABEL_MAP, then the checkpoint dir."""
    if explicit is not None:
        return explicit
    env = os.environ.get(MAP_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    candidate = checkpoint / MAP_FILENAME
    return candidate if candidate.is_file() else None


def _as_categories(label: str, value: object, path: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ClassifierLoadError(f"label map {path}: {label!r} must map to a list of categories")
    unknown = [i for i in items if i not in CATEGORIES]
    if unknown:
        raise ClassifierLoadError(
            f"label map {path}: unknown categories {unknown} (known: {', '.join(CATEGORIES)})"
        )
    return tuple(items)


def load_label_map(path: Path | None, model_labels: list[str]) -> LabelMap:
    """Read and validate a map; without a file, labels named like a category map to it."""
    if path is None:
        identity: dict[str, tuple[str, ...]] = {
            lab.lower(): (lab.lower(),) for lab in model_labels if lab.lower() in CATEGORIES
        }
        if not identity:
            raise ClassifierLoadError(
                f"no {MAP_FILENAME} for this checkpoint and none of its labels "
                f"{model_labels} is a desk category; add a label map"
            )
        return LabelMap(identity, frozenset({"en"}), {}, None, b"")
    try:
        raw = path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError as exc:
        raise ClassifierLoadError(f"label map not found: {path}") from exc
    except (OSError, ValueError) as exc:
        raise ClassifierLoadError(f"label map unreadable: {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ClassifierLoadError(f"label map {path} must be a JSON object")
    entries = data.get("labels") if isinstance(data.get("labels"), dict) else {
        k: v for k, v in data.items() if k not in RESERVED and not k.startswith("_")
    }
    assert isinstance(entries, dict)
    labels = {str(k).lower(): _as_categories(str(k), v, path) for k, v in entries.items()}
    languages = data.get("languages", ["en"])
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise ClassifierLoadError(f"label map {path}: 'languages' must be a list of codes")
    thresholds_raw = data.get("thresholds", {})
    if not isinstance(thresholds_raw, dict):
        raise ClassifierLoadError(f"label map {path}: 'thresholds' must be an object")
    try:
        thresholds = {str(k): float(v) for k, v in thresholds_raw.items() if k in CATEGORIES}
    except (TypeError, ValueError) as exc:
        raise ClassifierLoadError(f"label map {path}: bad threshold: {exc}") from exc
    lowered = {lab.lower() for lab in model_labels}
    if not any(label in lowered for label in labels):
        raise ClassifierLoadError(
            f"label map {path} matches none of the model's labels {model_labels}"
        )
    return LabelMap(labels, frozenset(x.lower() for x in languages), thresholds, path, raw)
