"""How a flagged message is joined with the messages before it (no torch).

Training (team conversations) and serving use this one function, so the model
sees the same shape in both. The flagged message comes last and is never cut;
context messages are the most recent ones, each shortened, oldest dropped first.
"""

from __future__ import annotations

from collections.abc import Sequence

from .textmap import MappedText, prepare_mapped
from .textprep import PreparedText, normalise

MAX_CONTEXT_MESSAGES = 6
MAX_CONTEXT_CHARS = 280      # per context message
MAX_CONTEXT_TOTAL = 1200     # all context messages together, in characters
SEPARATOR = "\n"


def clean_context(context: Sequence[object] | None) -> list[str]:
    """Normalised, non-empty, most recent last; never raises on odd input."""
    if not context:
        return []
    out = []
    for raw in list(context)[-MAX_CONTEXT_MESSAGES:]:
        text = normalise(raw)[0][:MAX_CONTEXT_CHARS]
        if text:
            out.append(text)
    total = 0
    kept: list[str] = []
    for text in reversed(out):
        total += len(text) + 1
        if total > MAX_CONTEXT_TOTAL:
            break
        kept.append(text)
    return list(reversed(kept))


def join_context(context: Sequence[object] | None, text: str) -> str:
    parts = clean_context(context)
    return SEPARATOR.join([*parts, text]) if parts else text


def prepare_batch(texts: Sequence[str], contexts: Sequence[Sequence[str] | None] | None,
                  ) -> tuple[list[tuple[PreparedText, MappedText]], list[list[str]]]:
    """Every backend's first step: each text prepared (with its offset map) and each
    context cleaned; one context entry (or None) per text, else ValueError."""
    items = [prepare_mapped(t) for t in texts]
    ctx = [clean_context(c) for c in contexts] if contexts is not None else [[] for _ in texts]
    if len(ctx) != len(items):
        raise ValueError("contexts must have one entry (or None) per text")
    return items, ctx
