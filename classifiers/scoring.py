"""Turn per-window model scores + rules into a ScoreResult (no torch)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from .rules.engine import RULE_HIGH, RuleHits, apply_rules, rule_to_score, with_context
from .textmap import MappedText
from .textprep import MAX_CHARS, PreparedText
from .types import CATEGORIES, Evidence, ScoreResult

NOT_COVERED = "not covered by this model (score is not a safety judgement)"
TRUNCATED_NOTE = f"text cut to the first {MAX_CHARS} characters; the rest was not scored"
CAPPED_NOTE = "very long text: only the first {n} windows were scored by the model"
MODEL_FAILED = "model failed on this text; only rules were applied"


def _append(reasons: dict[str, str], category: str, note: str) -> None:
    reasons[category] = f"{reasons[category]}; {note}" if category in reasons else note


# For categories whose head learnt from a few dozen team-written sentences
# only (threat, sexual, grooming in the default model), the head is a
# *signal*, not a judge: its probability p joins the rule families as one
# more noisy-OR family of weight HEAD_SIGNAL_WEIGHT * p. Max 0.3 < RULE_HIGH,
# so the head alone can never make a message high priority (it learnt chat
# *style* as much as content: "hi" looked like grooming), but it can tip a
# single weak rule signal over, and it still ranks messages below that.
HEAD_SIGNAL_WEIGHT = 0.3
HEAD_SIGNAL_NOTE = "model: resembles team-written {label} examples"


def finalize(
    prepared: PreparedText,
    window_scores: npt.NDArray[np.float32] | None,
    *,
    thresholds: Mapping[str, float],
    reliable_languages: frozenset[str],
    model_name: str,
    model_version: str,
    covered: frozenset[str] = frozenset(CATEGORIES),
    capped_windows: int | None = None,
    head_as_signal: frozenset[str] = frozenset(),
    hits: RuleHits | None = None,
    mapped: MappedText | None = None,
    attributions: Mapping[str, list[Evidence]] | None = None,
    context_used: bool = False,
) -> ScoreResult:
    """Combine model and rules for one text.

    ``window_scores`` is (n_windows, len(CATEGORIES)) in CATEGORIES order, or
    None if the model failed. The worst (max) window counts, so harm buried
    at the end of a long message is not averaged away. Categories in
    ``head_as_signal`` combine head and rules on the rule scale (see
    HEAD_SIGNAL_WEIGHT); all others take max(head, rule mapped to threshold).
    """
    if window_scores is not None and window_scores.size:
        clean = np.nan_to_num(window_scores.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        model = np.clip(clean.max(axis=0), 0.0, 1.0)
    else:
        model = np.zeros(len(CATEGORIES), dtype=np.float64)
    if hits is None:
        hits = apply_rules(prepared.text, spans=mapped is not None)
    scores: dict[str, float] = {}
    reasons: dict[str, str] = {}
    for i, category in enumerate(CATEGORIES):
        value = float(model[i]) if category in covered else 0.0
        threshold = thresholds[category]
        if category in hits.reasons:
            reasons[category] = hits.reasons[category]
        if category in head_as_signal:
            rule = hits.scores.get(category, 0.0)
            combined = 1.0 - (1.0 - rule) * (1.0 - HEAD_SIGNAL_WEIGHT * value)
            head_mattered = value >= 0.5 and combined >= RULE_HIGH > rule
            value = rule_to_score(combined, threshold)
            if head_mattered:
                _append(reasons, category, HEAD_SIGNAL_NOTE.format(label=category.replace("_", "-")))
        elif category in hits.scores:
            value = max(value, rule_to_score(hits.scores[category], threshold))
        scores[category] = min(max(value, 0.0), 1.0)
        if category not in covered:
            _append(reasons, category, NOT_COVERED)
    notes: list[str] = []
    if window_scores is None:
        notes.append(MODEL_FAILED)
    if prepared.truncated:
        notes.append(TRUNCATED_NOTE)
    if capped_windows is not None:
        notes.append(CAPPED_NOTE.format(n=capped_windows))
    # A partial read is relevant to every category: a low score then only
    # means "nothing found in the part we read".
    for note in notes:
        for category in CATEGORIES:
            _append(reasons, category, note)
    return ScoreResult(
        scores=scores,
        reasons=reasons,
        language=prepared.language,
        language_reliable=prepared.language in reliable_languages,
        model_name=model_name,
        model_version=model_version,
        evidence=_evidence(scores, thresholds, hits, mapped, attributions),
        context_used=context_used,
    )


def rule_hits(text: str, context: list[str] | None = None) -> RuleHits:
    """Rules on the message (with match offsets), plus grooming signals from
    the conversation before it at reduced weight (rules.with_context)."""
    hits = apply_rules(text, spans=True)
    return with_context(hits, apply_rules("\n".join(context))) if context else hits


def _evidence(scores: Mapping[str, float], thresholds: Mapping[str, float], hits: RuleHits,
              mapped: MappedText | None, attributions: Mapping[str, list[Evidence]] | None
              ) -> dict[str, tuple[Evidence, ...]]:
    """Rule matches + attributions for categories at/above their threshold,
    as offsets into the original text (``mapped`` knows where each
    normalised character came from)."""
    out: dict[str, tuple[Evidence, ...]] = {}
    for category in CATEGORIES:
        if scores[category] < thresholds[category]:
            continue
        items: list[Evidence] = []
        if mapped is not None:
            for start, end, label in hits.spans.get(category, []):
                span = mapped.span(start, end)
                if span is not None:
                    items.append(Evidence(span[0], span[1], label))
        items.extend((attributions or {}).get(category, []))
        if items:
            out[category] = tuple(sorted(set(items), key=lambda e: (e.start, e.end, e.label)))
    return out
