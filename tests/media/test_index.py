"""The PDQ index returns exactly what a full scan would, at every threshold up to 31."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.media_index import MAX_THRESHOLD, PdqIndex, distance, parse_hex


def _flip(h: bytes, bits: list[int]) -> bytes:
    out = bytearray(h)
    for b in bits:
        out[b // 8] ^= 1 << (b % 8)
    return bytes(out)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), threshold=st.integers(0, MAX_THRESHOLD),
       flips=st.lists(st.integers(0, 255), max_size=40, unique=True))
def test_search_equals_brute_force(seed: int, n: int, threshold: int, flips: list[int]) -> None:
    rng = np.random.default_rng(seed)
    listed = [rng.integers(0, 256, size=32, dtype=np.uint8).tobytes() for _ in range(n)]
    # Near neighbours of one listed hash, so matches at every distance occur.
    listed += [_flip(listed[0], flips[:k]) for k in range(0, len(flips), 3)]
    index = PdqIndex(listed)
    query = _flip(listed[0], flips)
    expected = sorted((distance(h, query), i) for i, h in enumerate(listed) if distance(h, query) <= threshold)
    got = [(m.distance, m.row) for m in index.search(query, threshold)]
    assert got == expected


def test_an_image_hash_one_bit_per_chunk_off_still_matches() -> None:
    # 31 bits spread so that 15 chunks differ by 2 and one by 1: the pigeonhole case.
    base = bytes(32)
    bits = [c * 16 + k for c in range(15) for k in (0, 1)] + [15 * 16]
    index = PdqIndex([base])
    query = _flip(base, bits)
    assert distance(base, query) == 31
    assert [m.distance for m in index.search(query)] == [31]
    assert index.search(_flip(query, [15 * 16 + 1])) == []  # 32 bits: not a match


def test_bad_input_is_refused() -> None:
    index = PdqIndex([bytes(32)])
    with pytest.raises(ValueError):
        index.search(bytes(31))
    with pytest.raises(ValueError):
        index.search(bytes(32), threshold=32)  # beyond what the index can answer exactly
    with pytest.raises(ValueError):
        PdqIndex([bytes(33)])
    with pytest.raises(ValueError):
        parse_hex("zz" * 32)
    assert parse_hex(" " + "AB" * 32 + "\n") == bytes([0xAB]) * 32
    assert PdqIndex([]).search(bytes(32)) == []
