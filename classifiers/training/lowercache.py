"""Training cache of the frozen lower layers' outputs (int8 model, as served).

The first ``split`` layers never change during fine-tuning, so their output
for each training text is computed once and kept in shards of fp16 arrays
under the work dir. A shard is written atomically, so an interrupted run
resumes at the first missing shard; the key includes everything that changes
the numbers (weights hash, split, token limit, quantisation, torch version).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..progress import progress

log = logging.getLogger(__name__)

SHARD = 1024


def cache_key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _shard_path(directory: Path, index: int) -> Path:
    return directory / f"shard-{index:05d}.npz"


def build(directory: Path, windows: Sequence[Sequence[int]], scorer: Any, pad_id: int,
          batch_size: int = 32) -> None:
    """Compute every missing shard (resumable)."""
    import torch

    from ..backbones.e5model import pad_batch

    directory.mkdir(parents=True, exist_ok=True)
    n_shards = (len(windows) + SHARD - 1) // SHARD
    started = time.monotonic()
    bar = progress(len(windows), "frozen layers", unit="text")
    for s in range(n_shards):
        path = _shard_path(directory, s)
        if path.is_file():
            bar.update(min(len(windows), (s + 1) * SHARD) - s * SHARD)
            continue
        rows = list(range(s * SHARD, min(len(windows), (s + 1) * SHARD)))
        order = sorted(rows, key=lambda i: len(windows[i]))  # little padding
        hidden: dict[int, npt.NDArray[np.float16]] = {}
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                idx = order[b:b + batch_size]
                ids, mask = pad_batch([windows[i] for i in idx], pad_id)
                out = scorer.lower(ids, mask).to(torch.float16).numpy()
                for j, i in enumerate(idx):
                    hidden[i] = out[j, :len(windows[i])]
        lengths = np.array([len(windows[i]) for i in rows], dtype=np.int64)
        flat = np.concatenate([hidden[i] for i in rows], axis=0)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, lengths=lengths, hidden=flat)
        tmp.replace(path)
        bar.update(len(rows))
        done = min(len(windows), (s + 1) * SHARD)
        log.info("lower-layer cache: %d/%d texts (%.0f s)", done, len(windows), time.monotonic() - started)
    bar.close()


def load(directory: Path, n: int) -> list[npt.NDArray[np.float16]]:
    out: list[npt.NDArray[np.float16]] = []
    for s in range((n + SHARD - 1) // SHARD):
        with np.load(_shard_path(directory, s), allow_pickle=False) as data:
            lengths, flat = data["lengths"], data["hidden"]
        ends = np.cumsum(lengths)
        out.extend(np.split(flat, ends[:-1]))
    if len(out) != n:
        raise RuntimeError(f"lower-layer cache in {directory} holds {len(out)} rows, expected {n}")
    return out
