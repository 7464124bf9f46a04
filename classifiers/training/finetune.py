"""Fine-tune the multilingual model: LoRA on the top layers + one 7-way head.

    python -m classifiers train --data /work/shared/datasets      (default model: e5)

Seeded (sampling, LoRA init, shuffling, dropout), resumable (the frozen
layers' outputs are cached in shards, and a checkpoint of the trainable
weights + optimiser + RNG state is written every CHECKPOINT_EVERY steps under
the work dir; re-running the same command continues where it stopped), and
bounded (a fixed number of epochs over a capped corpus). ``test`` rows are
never loaded. Writes ``weights/e5/adapters.safetensors`` + ``manifest.json``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..data.examples import Example
from ..progress import progress
from ..textprep import normalise
from ..types import CATEGORIES

log = logging.getLogger(__name__)

DEFAULT_WORK = Path(tempfile.gettempdir()) / "c2c-e5-train"
CHECKPOINT_EVERY = 200
# Rare categories (sexual, grooming: a few dozen team sentences) would get
# weights of 100+ under full class balancing and be memorised; cap the boost.
MAX_POSITIVE_BOOST = 8.0


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 13
    epochs: int = 3
    batch_size: int = 32
    lr_adapters: float = 5e-4
    lr_head: float = 2e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100


def _labels(examples: list[Example]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(y, w): w = 0 where a category is not labelled for that example."""
    y = np.zeros((len(examples), len(CATEGORIES)), np.float32)
    w = np.zeros_like(y)
    for i, ex in enumerate(examples):
        for c, category in enumerate(CATEGORIES):
            if category in ex.labels:
                y[i, c] = ex.labels[category]
                w[i, c] = ex.weights[category]
    return y, w


def balance(y: npt.NDArray[np.float32], w: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    out = w.copy()
    for c in range(y.shape[1]):
        pos = float((w[:, c] * y[:, c]).sum())
        neg = float((w[:, c] * (1 - y[:, c])).sum())
        if pos > 0 and neg > 0:
            out[:, c] = np.where(y[:, c] == 1, w[:, c] * min(neg / pos, MAX_POSITIVE_BOOST), w[:, c])
    return out


def _batches(lengths: list[int], idx: npt.NDArray[np.int64], batch: int,
             rng: np.random.Generator) -> list[list[int]]:
    """Shuffled batches of similar length (less padding, still random order)."""
    perm = idx[rng.permutation(len(idx))]
    out: list[list[int]] = []
    chunk = batch * 50
    for s in range(0, len(perm), chunk):
        part = sorted(perm[s:s + chunk].tolist(), key=lambda i: lengths[i])
        out.extend(part[b:b + batch] for b in range(0, len(part), batch))
    order = rng.permutation(len(out))
    return [out[i] for i in order]


def _pad_hidden(rows: list[npt.NDArray[np.float16]]) -> tuple[Any, Any]:
    import torch

    width = max(r.shape[0] for r in rows)
    hidden = torch.zeros((len(rows), width, rows[0].shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for j, r in enumerate(rows):
        hidden[j, :r.shape[0]] = torch.from_numpy(r.astype(np.float32))
        mask[j, :r.shape[0]] = 1
    return hidden, mask


def predict_logits(scorer: Any, hidden: list[npt.NDArray[np.float16]], batch: int = 64) -> npt.NDArray[np.float32]:
    import torch

    order = sorted(range(len(hidden)), key=lambda i: hidden[i].shape[0])
    out = np.zeros((len(hidden), len(CATEGORIES)), np.float32)
    scorer.eval()
    with torch.inference_mode():
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            h, m = _pad_hidden([hidden[i] for i in idx])
            out[idx] = scorer.upper(h, m).numpy()
    return out


def _checkpoint(path: Path, scorer: Any, opt: Any, sched: Any, step: int, meta: dict[str, object]) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save({"trainable": scorer.trainable_state(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                "step": step, "rng": torch.get_rng_state(), "meta": meta}, tmp)
    tmp.replace(path)


def fit(examples: list[Example], hidden: list[npt.NDArray[np.float16]], scorer: Any, cfg: TrainConfig,
        work: Path, fingerprint: str) -> dict[str, object]:
    """Train LoRA + head on the cached hidden states; resumes from work/ckpt.pt."""
    import torch

    train_idx = np.array([i for i, ex in enumerate(examples) if ex.split == "train"], dtype=np.int64)
    y, w = _labels(examples)
    wb = balance(y[train_idx], w[train_idx])
    w_train = np.zeros_like(w)
    w_train[train_idx] = wb
    lengths = [h.shape[0] for h in hidden]
    rng = np.random.default_rng(cfg.seed)
    plan = [_batches(lengths, train_idx, cfg.batch_size, rng) for _ in range(cfg.epochs)]
    total = sum(len(p) for p in plan)
    head = [p for n, p in scorer.named_parameters() if p.requires_grad and n.startswith("head.")]
    lora = [p for n, p in scorer.named_parameters() if p.requires_grad and not n.startswith("head.")]
    opt = torch.optim.AdamW([{"params": lora, "lr": cfg.lr_adapters}, {"params": head, "lr": cfg.lr_head}],
                            weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / cfg.warmup_steps) * max(0.0, 1.0 - s / total))
    ckpt = work / f"ckpt-{fingerprint}.pt"
    step = 0
    torch.manual_seed(cfg.seed)
    if ckpt.is_file():
        state = torch.load(ckpt, weights_only=False)
        scorer.load_trainable(state["trainable"], merge=False)
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step = int(state["step"])
        torch.set_rng_state(state["rng"])
        log.info("resuming at step %d/%d", step, total)
    flat = [b for p in plan for b in p]
    yt, wt = torch.from_numpy(y), torch.from_numpy(w_train)
    started, losses = time.monotonic(), []
    scorer.train()
    bar = progress(total, "fine-tune", unit="step")
    bar.update(step)
    while step < total:
        idx = flat[step]
        h, m = _pad_hidden([hidden[i] for i in idx])
        logits = scorer.upper(h, m)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, yt[idx], reduction="none")
        loss = (bce * wt[idx]).sum() / wt[idx].sum().clamp(min=1e-6)
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        sched.step()
        step += 1
        losses.append(float(loss.detach()))
        bar.update(1)
        if step % CHECKPOINT_EVERY == 0 or step == total:
            _checkpoint(ckpt, scorer, opt, sched, step, {"fingerprint": fingerprint})
            log.info("step %d/%d loss %.4f (%.0f s this run)", step, total, float(np.mean(losses[-200:])),
                     time.monotonic() - started)
    bar.close()
    return {"steps": total, "final_loss": round(float(np.mean(losses[-200:])), 4) if losses else None}


def prepare_windows(examples: list[Example], tokenizer: Any) -> list[list[int]]:
    from ..backbones.e5model import TRAIN_MAX_TOKENS

    texts = [normalise(ex.text)[0] for ex in examples]
    windows, _, _ = tokenizer.windows(texts, TRAIN_MAX_TOKENS, max_windows=1)
    return list(windows)


def config_dict(cfg: TrainConfig, adapter_cfg: Any) -> dict[str, object]:
    return {"train": asdict(cfg), "adapters": asdict(adapter_cfg),
            "threads": int(os.environ.get("C2C_TORCH_THREADS", "0") or 0)}
