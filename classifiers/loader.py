"""Backend selection and cheap health checks (no torch at import time)."""

from __future__ import annotations

from pathlib import Path

from .types import Classifier, ClassifierLoadError

DEFAULT_SPECS = (None, "", "default", "minilm")


def load_classifier(spec: str | None = None, *, batch_size: int = 32) -> Classifier:
    """Load a backend.

    * ``None`` / ``"default"`` / ``"minilm"``: bundled MiniLM encoder + heads.
    * ``"hf:/path/to/checkpoint"`` (optionally ``?map=/path/map.json``): a
      local sequence-classification checkpoint (see classifiers/hf.py).

    Raises ClassifierLoadError with a readable message on missing/corrupt files.
    """
    if spec in DEFAULT_SPECS:
        from .minilm import MiniLMClassifier

        return MiniLMClassifier(batch_size=batch_size)
    assert spec is not None
    if spec.startswith("hf:"):
        from .hf import HFClassifier

        return HFClassifier(spec, batch_size=batch_size)
    raise ClassifierLoadError(
        f"unknown model spec {spec!r}: use 'default', 'minilm' or 'hf:/path/to/checkpoint'"
    )


def check_model_files(spec: str | None = None, weights_dir: Path | None = None) -> str | None:
    """Health check: an error message if the model's files are missing or
    corrupt, else None. Never imports torch and never raises."""
    try:
        if spec in DEFAULT_SPECS:
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
