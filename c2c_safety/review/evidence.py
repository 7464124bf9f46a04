"""The AI's evidence on the item page: which words or sentences drove each high category,
highlighted in the content, and which languages the model scores reliably.

The worker stores, per score, character offsets (Python code points, end exclusive) into
the scored text with a label (docs/scoring.md, "Model version, evidence and conversation
context"). Segments are cut here, on the server, and the template escapes each one and
wraps the marked ones in <mark>: user text never goes through |safe, and JavaScript's
UTF-16 indices never meet these offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool = False
    note: str = ""  # e.g. "grooming: rule secrecy"


@dataclass(frozen=True)
class Highlights:
    segments: list[Segment]
    legend: list[tuple[str, list[str]]] = field(default_factory=list)  # (category, [labels])
    context_used: bool = False


def _label(raw: str) -> str:
    if raw.startswith("rule:"):
        return str(_("rule: %(name)s", name=raw[5:].replace("_", " ")))
    if raw == "sentence":
        return str(_("sentence that raised the score"))
    return raw.replace("_", " ")


def highlight(text: str, extra: dict[str, Any] | None) -> Highlights | None:
    """Segments of `text` with the evidence spans marked, or None when there is no evidence.
    Spans outside the text or empty are dropped (the text should not change after scoring,
    but a bad span must never break the page); overlapping spans merge."""
    evidence = (extra or {}).get("evidence")
    if not isinstance(evidence, dict):
        return None
    spans: list[tuple[int, int, str]] = []
    legend: dict[str, list[str]] = {}
    for category, items in evidence.items():
        if not isinstance(items, list):
            continue
        for e in items:
            start, end = (e.get("start"), e.get("end")) if isinstance(e, dict) else (None, None)
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
                continue
            label = _label(str(e.get("label", "")))
            spans.append((start, end, f"{str(category).replace('_', ' ')}: {label}"))
            if label not in legend.setdefault(str(category), []):
                legend[str(category)].append(label)
    if not spans:
        return None
    spans.sort()
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, note in spans:
        if merged and start < merged[-1][1]:
            s0, e0, notes = merged[-1]
            merged[-1] = (s0, max(e0, end), notes if note in notes else [*notes, note])
        else:
            merged.append((start, end, [note]))
    out: list[Segment] = []
    pos = 0
    for start, end, notes in merged:
        if start > pos:
            out.append(Segment(text[pos:start]))
        out.append(Segment(text[start:end], True, "; ".join(notes)))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return Highlights(out, sorted(legend.items()), bool((extra or {}).get("context_used")))


@lru_cache(maxsize=8)
def _reliable(spec: str) -> tuple[str, ...]:
    from classifiers import reliable_languages

    try:
        return tuple(sorted(reliable_languages(spec)))
    except Exception:  # a missing or broken manifest must not break the item page
        return ("en",)


def reliable_languages(spec: str) -> list[str]:
    """ISO 639-1 codes the configured model scores reliably (classifiers.reliable_languages,
    which reads the model's manifest once per process here)."""
    return list(_reliable(spec or "default"))
