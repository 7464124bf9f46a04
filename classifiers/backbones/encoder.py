"""Tokenise-into-windows and batched forward passes (torch lives here).

Shared by the backends (threads, quiet transformers) and the HF backend (windows). Only backend modules import this, so
``import classifiers`` never pulls in torch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from ..textprep import sentence_spots

# Windows per text beyond which the rest is not embedded. With 256-token
# windows and 32 overlap that is ~3.6k tokens (~14k chars of English); the
# text is also cut at textprep.MAX_CHARS first. Keeps one pasted essay from
# costing more than ~16 short messages' worth of compute.
MAX_CHUNKS = 16
WINDOW_OVERLAP = 32
DEFAULT_BATCH_SIZE = 32

_threads_configured = False


def configure_torch_threads() -> int:
    """Set torch's intra-op threads once per process.

    C2C_TORCH_THREADS wins if set; otherwise use the cores we have, capped
    at 4 because the encoder gains little beyond that and workers share the box.
    """
    global _threads_configured
    raw = os.environ.get("C2C_TORCH_THREADS", "").strip()
    try:
        wanted = int(raw) if raw else 0
    except ValueError:
        wanted = 0
    if wanted <= 0:
        wanted = max(1, min(os.cpu_count() or 1, 4))
    if not _threads_configured or torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
        _threads_configured = True
    return wanted


def quiet_transformers() -> None:
    """No progress bars / hub chatter on stderr of a worker or CLI."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Windows:
    features: list[dict[str, list[int]]]   # one entry per window
    owner: list[int]                        # index of the source text
    capped: list[bool]                      # per text: windows were dropped


def tokenize_windows(
    tokenizer: Any, texts: Sequence[str], max_length: int, max_chunks: int = MAX_CHUNKS
) -> Windows:
    """Split each text into overlapping windows of at most ``max_length``.

    The tokenizer's own overflow support adds the right special tokens for
    any model family (BERT [CLS]/[SEP], RoBERTa <s>/</s>, ...).
    """
    overlap = min(WINDOW_OVERLAP, max(0, max_length // 4))
    encoded = tokenizer(
        list(texts),
        truncation=True,
        max_length=max_length,
        stride=overlap,
        return_overflowing_tokens=True,
        padding=False,
    )
    mapping: list[int] = list(encoded["overflow_to_sample_mapping"])
    keys = [k for k in tokenizer.model_input_names if k in encoded]
    features: list[dict[str, list[int]]] = []
    owner: list[int] = []
    counts = [0] * len(texts)
    capped = [False] * len(texts)
    for row, text_index in enumerate(mapping):
        if counts[text_index] >= max_chunks:
            capped[text_index] = True
            continue
        counts[text_index] += 1
        features.append({k: list(encoded[k][row]) for k in keys})
        owner.append(int(text_index))
    # Texts that need more than one window also get sentence-level "spot"
    # windows: mean pooling over 256 tokens would otherwise dilute a single
    # harmful sentence in a long essay. Chat messages (one window) skip this.
    long_texts = [i for i, n in enumerate(counts) if n > 1]
    if long_texts:
        spot_texts: list[str] = []
        spot_owner: list[int] = []
        for i in long_texts:
            spots = sentence_spots(texts[i])
            spot_texts.extend(spots)
            spot_owner.extend([i] * len(spots))
        if spot_texts:
            spot_enc = tokenizer(spot_texts, truncation=True, max_length=max_length, padding=False)
            for row, text_index in enumerate(spot_owner):
                features.append({k: list(spot_enc[k][row]) for k in keys})
                owner.append(text_index)
    return Windows(features=features, owner=owner, capped=capped)


def run_batched(
    tokenizer: Any,
    features: list[dict[str, list[int]]],
    batch_size: int,
    forward: Callable[[dict[str, torch.Tensor]], torch.Tensor],
) -> npt.NDArray[np.float32]:
    """Run ``forward`` over all windows, longest-first to limit padding.

    Returns one row per window in the original order.
    """
    if not features:
        return np.zeros((0, 0), dtype=np.float32)
    batch_size = max(1, int(batch_size))
    order = sorted(range(len(features)), key=lambda i: -len(features[i]["input_ids"]))
    # Start a new batch when an item is under half the batch's longest one,
    # so short chat lines are never padded to a 256-token window's length.
    batches: list[list[int]] = []
    for i in order:
        length = len(features[i]["input_ids"])
        if (not batches or len(batches[-1]) >= batch_size
                or 2 * length < len(features[batches[-1][0]]["input_ids"])):
            batches.append([])
        batches[-1].append(i)
    rows: list[npt.NDArray[np.float32] | None] = [None] * len(features)
    with torch.inference_mode():
        for idx in batches:
            batch = tokenizer.pad([features[i] for i in idx], return_tensors="pt")
            out = forward(dict(batch)).detach().to(torch.float32).cpu().numpy()
            for j, i in enumerate(idx):
                rows[i] = out[j]
    return np.stack([r for r in rows if r is not None]).astype(np.float32)

