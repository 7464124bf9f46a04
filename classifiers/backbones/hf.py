"""HF backend: any local AutoModelForSequenceClassification checkpoint.

Spec: ``hf:/path/to/checkpoint`` (optionally ``?map=/path/map.json``); see
labelmap.py for how model labels become desk categories. Categories the
map does not cover score 0.0 with an explicit "not covered" reason, so an
uncovered category is never mistaken for a safe one. Rules apply on top.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..context import prepare_batch
from ..rules.engine import RULES_VERSION
from ..scoring import finalize, rule_hits
from ..textmap import MappedText
from ..textprep import PreparedText
from ..thresholds import REVIEW_THRESHOLDS
from ..types import CATEGORIES, ClassifierLoadError, Contexts, ScoreResult
from .labelmap import LabelMap, load_label_map, parse_spec, resolve_map_path

log = logging.getLogger(__name__)

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model",
                   "sentencepiece.bpe.model", "tokenizer.model")
HARD_MAX_TOKENS = 512


def read_config(checkpoint: Path) -> dict[str, Any]:
    path = checkpoint / "config.json"
    if not checkpoint.is_dir():
        raise ClassifierLoadError(f"checkpoint directory not found: {checkpoint}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ClassifierLoadError(f"checkpoint has no config.json: {checkpoint}") from exc
    except (OSError, ValueError) as exc:
        raise ClassifierLoadError(f"checkpoint config.json unreadable: {exc}") from exc
    if not isinstance(config, dict) or not isinstance(config.get("id2label"), dict):
        raise ClassifierLoadError(f"{path} has no id2label; not a classification checkpoint")
    return config


def check_checkpoint_files(spec: str) -> str | None:
    """Cheap file-level check (no torch): None if it looks loadable."""
    try:
        checkpoint, explicit_map = parse_spec(spec)
        config = read_config(checkpoint)
        weights = [name for name in WEIGHT_FILES if (checkpoint / name).is_file()]
        if not weights:
            return f"no model weights in {checkpoint} (expected one of {', '.join(WEIGHT_FILES)})"
        if not any((checkpoint / name).is_file() for name in TOKENIZER_FILES):
            return f"no tokenizer files in {checkpoint}"
        if weights[0] == "model.safetensors":
            from safetensors import safe_open

            with safe_open(str(checkpoint / "model.safetensors"), framework="numpy") as handle:
                if not list(handle.keys()):
                    return f"{checkpoint / 'model.safetensors'} holds no tensors"
        labels = [str(v) for v in config["id2label"].values()]
        load_label_map(resolve_map_path(checkpoint, explicit_map), labels)
    except ClassifierLoadError as exc:
        return str(exc)
    except Exception as exc:  # any parse error means "corrupt"
        return f"checkpoint files corrupt: {exc}"
    return None


def _fingerprint(checkpoint: Path, label_map: LabelMap) -> str:
    """Short hash of config, map and weight files (size + first/last MiB).

    Hashing a multi-GB file at every start would be slow; size plus both
    ends changes whenever the weights are replaced in practice.
    """
    digest = hashlib.sha256()
    digest.update((checkpoint / "config.json").read_bytes())
    digest.update(label_map.raw)
    for name in WEIGHT_FILES:
        path = checkpoint / name
        if path.is_file():
            size = path.stat().st_size
            digest.update(f"{name}:{size}".encode())
            with path.open("rb") as handle:
                digest.update(handle.read(1 << 20))
                handle.seek(max(0, size - (1 << 20)))
                digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:10]


class HFClassifier:
    def __init__(self, spec: str, batch_size: int = 32) -> None:
        from . import encoder as enc

        checkpoint, explicit_map = parse_spec(spec)
        config = read_config(checkpoint)
        problem = check_checkpoint_files(spec)
        if problem:
            raise ClassifierLoadError(problem)
        enc.quiet_transformers()
        enc.configure_torch_threads()
        try:
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            self.tokenizer: Any = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
            self.model: Any = AutoModelForSequenceClassification.from_pretrained(
                checkpoint, local_files_only=True
            ).eval()
        except Exception as exc:
            raise ClassifierLoadError(f"cannot load HF checkpoint {checkpoint}: {exc}") from exc
        id2label = {int(k): str(v) for k, v in self.model.config.id2label.items()}
        self.label_map = load_label_map(
            resolve_map_path(checkpoint, explicit_map), list(id2label.values())
        )
        self.multi_label = config.get("problem_type") == "multi_label_classification"
        # (n_labels, n_categories) 0/1 matrix: category score = max over its labels.
        self._routing = np.zeros((len(id2label), len(CATEGORIES)), dtype=np.float32)
        for idx, label in id2label.items():
            for category in self.label_map.labels.get(label.lower(), ()):
                self._routing[idx, CATEGORIES.index(category)] = 1.0
        self.covered = frozenset(c for i, c in enumerate(CATEGORIES) if self._routing[:, i].any())
        self.thresholds = {**REVIEW_THRESHOLDS, **self.label_map.thresholds}
        self.reliable_languages = self.label_map.languages
        self.batch_size = batch_size
        tok_max = int(getattr(self.tokenizer, "model_max_length", HARD_MAX_TOKENS) or HARD_MAX_TOKENS)
        pos_max = int(getattr(self.model.config, "max_position_embeddings", HARD_MAX_TOKENS))
        self.max_tokens = max(8, min(tok_max, pos_max, HARD_MAX_TOKENS))
        self.max_chunks = enc.MAX_CHUNKS
        self.name = f"hf:{checkpoint.name}"
        self.version = f"hf-{_fingerprint(checkpoint, self.label_map)}+rules-{RULES_VERSION}"
        self._enc = enc

    def _forward(self, batch: dict[str, Any]) -> Any:
        import torch

        logits = self.model(**batch).logits.to(torch.float32)
        if self.multi_label:
            return torch.sigmoid(logits)
        return torch.softmax(logits, dim=-1)

    def _window_scores(self, texts: Sequence[str]) -> tuple[list[npt.NDArray[np.float32]], list[bool]]:
        windows = self._enc.tokenize_windows(self.tokenizer, texts, self.max_tokens, self.max_chunks)
        probs = self._enc.run_batched(self.tokenizer, windows.features, self.batch_size, self._forward)
        per_text: list[list[npt.NDArray[np.float32]]] = [[] for _ in texts]
        for row, text_index in enumerate(windows.owner):
            # Category score = max probability over the labels routed to it.
            per_text[text_index].append((probs[row][:, None] * self._routing).max(axis=0))
        stacked = [
            np.stack(r) if r else np.zeros((0, len(CATEGORIES)), np.float32) for r in per_text
        ]
        return stacked, windows.capped

    def _finalize(self, prepared: PreparedText, rows: npt.NDArray[np.float32] | None,
                  capped: bool, mapped: MappedText, context: list[str]) -> ScoreResult:
        return finalize(
            prepared, rows,
            thresholds=self.thresholds,
            reliable_languages=self.reliable_languages,
            model_name=self.name,
            model_version=self.version,
            covered=self.covered,
            capped_windows=self.max_chunks if capped else None,
            hits=rule_hits(prepared.text, context),
            mapped=mapped,
            context_used=bool(context),
        )

    def score_batch(self, texts: Sequence[str], contexts: Contexts = None) -> list[ScoreResult]:
        """Context only feeds the grooming rules for HF checkpoints."""
        items, ctx = prepare_batch(texts, contexts)
        if not items:
            return []
        try:
            rows, capped = self._window_scores([p.text for p, _ in items])
            return [self._finalize(p, r, c, m, x)
                    for (p, m), r, c, x in zip(items, rows, capped, ctx, strict=True)]
        except Exception as exc:
            # Exception type only: never log message text (project rule).
            log.warning("HF batch failed (%s); retrying one by one", type(exc).__name__)
        results: list[ScoreResult] = []
        for (p, m), x in zip(items, ctx, strict=True):
            try:
                rows, capped = self._window_scores([p.text])
                results.append(self._finalize(p, rows[0], capped[0], m, x))
            except Exception as exc:
                log.warning("HF model failed on one text (%s); rules only", type(exc).__name__)
                results.append(self._finalize(p, None, False, m, x))
        return results
