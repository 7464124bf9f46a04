"""Rule engine: transparent regex signals layered on top of any model.

Rules exist because three categories (threat, sexual, grooming) have no
public training data; they also add a floor for unambiguous phrases in the
data-trained categories and a little non-English coverage. Patterns live in
rule_patterns.py so reviewers can read them without reading code.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..types import CATEGORIES
from .patterns import RULES
from .patterns_languages import RULES_LANGUAGES

# Rule scale: a rule score >= RULE_HIGH means "high priority on its own".
RULE_HIGH = 0.5
# Grooming gets this extra family weight when sexual terms co-occur with any
# grooming signal (sexual talk + "add me on snap" is far worse than either).
SEXUAL_IN_GROOMING_WEIGHT = 0.5

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
# Leetspeak folding only *between letters* so "I'm 12" or "you!" are untouched.
_LEET = re.compile(r"(?<=[a-z])[013457@$!]+(?=[a-z])|\b[@$5](?=[a-z])")
_LEET_MAP = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
             "@": "a", "$": "s", "!": "i"}


@dataclass(frozen=True)
class _Rule:
    category: str
    family: str
    weight: float
    reason: str
    regex: re.Pattern[str]


def _compile() -> list[_Rule]:
    compiled: list[_Rule] = []
    for category, family, weight, reason, patterns in [*RULES, *RULES_LANGUAGES]:
        if category not in CATEGORIES:
            raise ValueError(f"rule for unknown category {category!r}")
        regex = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        compiled.append(_Rule(category, family, weight, reason, regex))
    return compiled


_RULES = _compile()


def _rules_version() -> str:
    # Hash the rule sources so model_version changes whenever a rule does.
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in ("engine.py", "patterns.py", "patterns_languages.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:8]


RULES_VERSION = _rules_version()


# Matches reported per rule as evidence (offsets, never text).
MAX_SPANS_PER_RULE = 5


@dataclass(frozen=True)
class RuleHits:
    scores: dict[str, float]          # rule scale, only categories that fired
    reasons: dict[str, str]
    # category -> [(start, end, "rule:<family>")] in the analysed text's indices
    spans: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    families: dict[str, dict[str, tuple[float, str]]] = field(default_factory=dict)


def _lower_with_index(text: str) -> tuple[str, list[int]]:
    """Lower-cased text plus, per character, its index in ``text`` (lower()
    can lengthen a few characters, e.g. "İ")."""
    lowered = text.translate(_APOSTROPHES).lower()
    if len(lowered) == len(text):
        return lowered, list(range(len(text)))
    parts: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text.translate(_APOSTROPHES)):
        low = ch.lower()
        parts.append(low)
        index.extend([i] * len(low))
    return "".join(parts), index


def _views(text: str) -> tuple[list[str], list[int]]:
    # Leet folding maps one character to one, so both views share one index.
    lowered, index = _lower_with_index(text)
    folded = _LEET.sub(lambda m: "".join(_LEET_MAP.get(c, c) for c in m.group(0)), lowered)
    return ([lowered] if folded == lowered else [lowered, folded]), index


def apply_rules(text: str, *, spans: bool = False) -> RuleHits:
    """Evaluate every rule on ``text`` (already normalised); with ``spans``,
    also where each fired rule matched (indices into ``text``)."""
    views, index = _views(text)
    families: dict[str, dict[str, tuple[float, str]]] = {}
    found: dict[str, list[tuple[int, int, str]]] = {}
    for rule in _RULES:
        if any(rule.regex.search(view) for view in views):
            fams = families.setdefault(rule.category, {})
            prev = fams.get(rule.family)
            if prev is None or prev[0] < rule.weight:
                fams[rule.family] = (rule.weight, rule.reason)
            if spans:
                seen = found.setdefault(rule.category, [])
                for view in views:
                    for m in list(rule.regex.finditer(view))[:MAX_SPANS_PER_RULE]:
                        if m.end() > m.start():
                            item = (index[m.start()], index[m.end() - 1] + 1, f"rule:{rule.family}")
                            if item not in seen:
                                seen.append(item)
    scores, reasons = _summarise(families)
    return RuleHits(scores=scores, reasons=reasons, spans=found, families=families)


def _summarise(families: dict[str, dict[str, tuple[float, str]]]) -> tuple[dict[str, float], dict[str, str]]:
    if "grooming" in families and "sexual" in families:
        families["grooming"].setdefault(
            "sexual_talk", (SEXUAL_IN_GROOMING_WEIGHT, "sexual talk alongside contact attempts")
        )
    scores: dict[str, float] = {}
    reasons: dict[str, str] = {}
    for category, fams in families.items():
        remaining = 1.0
        for weight, _ in fams.values():
            remaining *= 1.0 - weight
        scores[category] = 1.0 - remaining
        ordered = sorted(fams.values(), key=lambda item: -item[0])
        label = category.replace("_", "-")
        reasons[category] = f"{label} signal: " + "; ".join(r for _, r in ordered)
    return scores, reasons


# Grooming builds over a conversation: a signal in an earlier message counts,
# at this fraction of its weight (the flagged message's own signals count in
# full), so secrecy three messages ago + a photo request now crosses "high",
# while one ordinary pen-pal question in the context does not.
CONTEXT_WEIGHT = 0.6
CONTEXT_NOTE = " (earlier in the conversation)"


def with_context(message: RuleHits, context: RuleHits, categories: tuple[str, ...] = ("grooming",)) -> RuleHits:
    """The message's hits plus context-only families of ``categories``."""
    families = {c: dict(f) for c, f in message.families.items()}
    for category in categories:
        for family, (weight, reason) in context.families.get(category, {}).items():
            if family == "sexual_talk":
                continue
            mine = families.setdefault(category, {})
            if family not in mine:
                mine[family] = (weight * CONTEXT_WEIGHT, reason + CONTEXT_NOTE)
    scores, reasons = _summarise(families)
    return RuleHits(scores=scores, reasons=reasons, spans=message.spans, families=families)


def rule_to_score(rule_score: float, threshold: float) -> float:
    """Map the fixed rule scale onto a category's review-threshold scale.

    Piecewise linear and monotone: rule 0 -> 0, rule RULE_HIGH -> exactly the
    category threshold, rule 1 -> 1. So "high on its own" rules always reach
    high priority whatever threshold training picked, and weak rules stay
    below it.
    """
    rule_score = min(max(rule_score, 0.0), 1.0)
    threshold = min(max(threshold, 1e-3), 1.0 - 1e-3)
    if rule_score >= RULE_HIGH:
        return threshold + (1.0 - threshold) * (rule_score - RULE_HIGH) / (1.0 - RULE_HIGH)
    return threshold * rule_score / RULE_HIGH
