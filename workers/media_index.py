"""Near-duplicate lookup of PDQ hashes: which listed hashes are within a Hamming distance of a query.

PDQ (Meta's perceptual hash, 256 bits) calls two images the same picture when their hashes
differ in at most 31 bits (the threshold the algorithm's authors recommend for matching; see
docs/media.md). A list from a hotline or an industry hash-sharing programme can hold millions of
hashes, and a scan of every one per image would cost ~10 ms per million in numpy and grow with the
list, so the index is a multi-index hash (Norouzi, Punjani & Fleet, "Fast search in Hamming
space with multi-index hashing", CVPR 2012):

- the 256 bits are cut into 16 chunks of 16 bits, and each chunk gets a sorted table of
  (chunk value, row);
- if two hashes differ in at most 31 bits, then by the pigeonhole principle at least one of
  the 16 chunks differs in at most one bit (16 chunks x 2 bits = 32 > 31);
- so a query probes, in every chunk, its own value and the 16 values one bit away (17 x 16 =
  272 binary searches), and only the rows found there are compared in full.

With uniform hashes a chunk value holds N / 65,536 rows, so a query compares about
272 x N / 65,536 candidates: ~4,000 at a million, ~0.5 ms. The result is exact — the same rows a
full scan would return (a property test checks it against brute force).

Memory per listed hash: 32 bytes of hash + 16 x (4-byte key + 4-byte row) = 160 bytes, so a
million hashes take ~160 MB in the worker that holds the index.

This module is pure computation (numpy only) so that workers, benches and tests can use it
without the web app; it is never imported by the web process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

HASH_BYTES = 32
CHUNKS = 16
# The PDQ authors' recommended match threshold (bits out of 256).
DEFAULT_THRESHOLD = 31
# The index's exactness argument needs fewer than 2 bits per chunk on average.
MAX_THRESHOLD = 2 * CHUNKS - 1

_FLIPS = np.array([0] + [1 << b for b in range(16)], dtype=np.uint32)


def parse_hex(text: str) -> bytes:
    """A PDQ hash as written in hash lists: 64 hexadecimal digits (either case)."""
    value = text.strip().lower()
    if len(value) != 2 * HASH_BYTES:
        raise ValueError("a PDQ hash has 64 hexadecimal digits")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ValueError("a PDQ hash has 64 hexadecimal digits") from None


def distance(a: bytes, b: bytes) -> int:
    """Hamming distance of two PDQ hashes."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


@dataclass(frozen=True)
class Match:
    row: int  # position in the sequence the index was built from
    distance: int


class PdqIndex:
    """An immutable index over a sequence of 32-byte PDQ hashes (rebuild it when the lists change)."""

    def __init__(self, hashes: Sequence[bytes] | NDArray[np.uint8]) -> None:
        if isinstance(hashes, np.ndarray):
            table = np.ascontiguousarray(hashes, dtype=np.uint8)
        else:
            for h in hashes:
                if len(h) != HASH_BYTES:
                    raise ValueError("every PDQ hash is 32 bytes")
            table = np.frombuffer(b"".join(hashes), dtype=np.uint8).copy()
        table = table.reshape(-1, HASH_BYTES)
        self._words: NDArray[np.uint64] = table.view(">u8").astype(np.uint64)
        chunks = table.view(">u2").astype(np.uint32)  # (n, 16)
        # One sorted table for all chunks: key = chunk number * 65,536 + chunk value, so a
        # query's 272 probes are one vectorised binary search.
        keys = (chunks + (np.arange(CHUNKS, dtype=np.uint32) << 16)).T.ravel()  # chunk-major
        order = np.argsort(keys, kind="stable")
        self._keys: NDArray[np.uint32] = keys[order]
        self._rows: NDArray[np.uint32] = (order % max(1, table.shape[0])).astype(np.uint32)

    def __len__(self) -> int:
        return int(self._words.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self._words.nbytes + self._keys.nbytes + self._rows.nbytes)

    def search(self, query: bytes, threshold: int = DEFAULT_THRESHOLD) -> list[Match]:
        """Every listed hash within `threshold` bits of `query`, nearest first."""
        if len(query) != HASH_BYTES:
            raise ValueError("a PDQ hash is 32 bytes")
        if not 0 <= threshold <= MAX_THRESHOLD:
            raise ValueError(f"the threshold must be between 0 and {MAX_THRESHOLD}")
        if len(self) == 0:
            return []
        q = np.frombuffer(query, dtype=np.uint8)
        q_chunks = q.view(">u2").astype(np.uint32)
        q_words = q.view(">u8").astype(np.uint64)
        probes = np.sort(((q_chunks[:, None] ^ _FLIPS[None, :]) + (np.arange(CHUNKS, dtype=np.uint32) << 16)[:, None])
                         .ravel())
        lo = np.searchsorted(self._keys, probes, side="left")
        hi = np.searchsorted(self._keys, probes, side="right")
        lens = hi - lo
        total = int(lens.sum())
        if total == 0:
            return []
        # Every position in the ranges [lo, hi), without a Python loop.
        positions = np.repeat(lo - np.cumsum(lens) + lens, lens) + np.arange(total)
        rows = np.unique(self._rows[positions])
        dist = np.bitwise_count(self._words[rows] ^ q_words).sum(axis=1)
        keep = dist <= threshold
        hits = sorted(zip(dist[keep].tolist(), rows[keep].tolist(), strict=True))
        return [Match(row=int(r), distance=int(d)) for d, r in hits]
