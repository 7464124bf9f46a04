"""On-disk cache of training embeddings (a temp dir by default).

Only for training/evaluation experiments: re-running ``train`` with another
seed or L2 grid then skips the slow encoder pass. Keys include the encoder
fingerprint and window settings, so a different encoder never reuses them.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

DEFAULT_DIR = Path(tempfile.gettempdir()) / "c2c-classifier-emb-cache"


class EmbeddingCache:
    def __init__(self, directory: Path | None, fingerprint: str) -> None:
        self.path = (directory / f"emb-{fingerprint}.npz") if directory else None
        self._store: dict[str, npt.NDArray[np.float32]] = {}
        if self.path is not None and self.path.is_file():
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    keys = [str(k) for k in data["keys"]]
                    self._store = dict(zip(keys, data["vectors"].astype(np.float32), strict=True))
            except (OSError, ValueError, KeyError):
                self._store = {}   # corrupt cache: just recompute

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()[:32]

    def missing(self, texts: list[str]) -> list[str]:
        seen: set[str] = set()
        out = []
        for t in texts:
            k = self.key(t)
            if k not in self._store and k not in seen:
                seen.add(k)
                out.append(t)
        return out

    def put(self, texts: list[str], vectors: npt.NDArray[np.float32]) -> None:
        for t, v in zip(texts, vectors, strict=True):
            self._store[self.key(t)] = v.astype(np.float32)

    def get(self, texts: list[str]) -> npt.NDArray[np.float32]:
        return np.stack([self._store[self.key(t)] for t in texts]).astype(np.float32)

    def save(self) -> None:
        if self.path is None or not self._store:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._store.keys()))
        vectors = np.stack(list(self._store.values()))
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors)
        tmp.replace(self.path)


def encoder_fingerprint(model_dir: Path, *parts: object) -> str:
    digest = hashlib.sha256((model_dir / "config.json").read_bytes())
    digest.update(str((model_dir / "model.safetensors").stat().st_size).encode())
    for part in parts:
        digest.update(repr(part).encode())
    return digest.hexdigest()[:16]
