"""Queue priority, AI score bands and the safeguarding routing rules.

Priority is a stored integer (`ReviewItem.priority`, higher first) recomputed by
`triage.refresh` whenever something about the item changes. It is a sum of explained parts:

  severity      3 × weight of the most severe category in play (flag reasons, and AI
                categories at band medium or high): grooming 100, self_harm 95, sexual 90,
                threat 85, hate 70, harassment 60, other 30, profanity 20      → 0..300
  AI band       of the AI's top category: high +120, medium +60, low 0. Unscored, pending or
                failed items get +120: an item is never ranked below a scored one just
                because it lacks a score                                         → 0..120
  minor         author or audience under 16                                   → +150
  flaggers      25 × log2(1 + independent flaggers), at most 100               → 25..100
  reliability   flaggers with ≥ 3 decided past flags: (mean upheld share − 0.5) × 120,
                share smoothed as (upheld + 1) / (decided + 2)                 → −60..+60

Order (the queue's sort key, `queue_rank`): SEVERITY FIRST. Each item has a severity level
from the most severe category in play and whether a minor is involved:

  level 5  high severity (grooming, self-harm, sexual, threat), a minor involved
  level 4  high severity
  level 3  medium severity (hate, harassment), a minor involved
  level 2  medium severity
  level 1  low severity (profanity, anything else), a minor involved
  level 0  low severity

Waiting more than PROMOTE_AFTER (24 h, the moderators' target) lifts an item ONE level,
never more. Within a level, the points above decide, plus 1 point per 6 minutes waited
(so among equals the older goes first and nothing starves inside its level). Hence a
high-severity item about a minor (level 5) is never below a low-severity item (level ≤ 1,
lifted to at most 2), however long the latter waited (tests/review/test_ordering_property.py).

Waiting time is not written into `priority` (it changes every second and would bump the
item's version, invalidating open decide forms). The within-level part is folded into the
key instead: ordering by priority + waited / 6 min equals, for every item at once, ordering
by `priority × AGING_SECONDS_PER_POINT − epoch(waiting since)`, which is static. The level
sits above it: `queue_rank = effective level × LEVEL_SPAN + that`. The one-level lift is the
only change over time: `promote_at` marks when it is due and the aging job
(review/aging.py, every minute) adds LEVEL_SPAN to the rank of items whose time has come;
triage.refresh places an item already past it directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from c2c_safety.core.locale import N_
from classifiers import CATEGORIES, REVIEW_THRESHOLDS
from models import ReviewItem, ScoreStatus
from models.review import FlaggerStats

SEVERITY: dict[str, int] = {
    "grooming": 100, "self_harm": 95, "sexual": 90, "threat": 85, "hate": 70,
    "harassment": 60, "other": 30, "profanity": 20,
}
BAND_POINTS = {"high": 120, "medium": 60, "low": 0}
UNSCORED_BAND_POINTS = BAND_POINTS["high"]
MINOR_POINTS = 150
# Waiting time: +1 priority point per 6 minutes waited (+240 a day), within the item's level.
AGING_SECONDS_PER_POINT = 360
QUEUE_TARGET = timedelta(hours=24)  # moderators' target time; overdue items are highlighted
PROMOTE_AFTER = QUEUE_TARGET  # waiting longer lifts an item one severity level, never more
# Far above any within-level value (|priority × 360 − epoch seconds| < 2^33 until 2200).
LEVEL_SPAN = 2**36
SEVERITY_CLASS: dict[str, int] = {
    "grooming": 2, "self_harm": 2, "sexual": 2, "threat": 2, "hate": 1, "harassment": 1,
    "other": 0, "profanity": 0,
}
TOP_LEVEL = 5
LEVEL_LABELS = {
    5: N_("high severity, a minor involved"), 4: N_("high severity"), 3: N_("medium severity, a minor involved"),
    2: N_("medium severity"), 1: N_("low severity, a minor involved"), 0: N_("low severity"),
}
MIN_HISTORY = 3
# workers/image_model.py THRESHOLD (the web process never imports the workers' model code).
IMAGE_THRESHOLD = 0.5

MINOR_BANDS = frozenset({"under13", "13to15"})
SENSITIVE_CATEGORIES = frozenset({"sexual", "self_harm", "grooming"})
SAFEGUARDING_SCORE_CATEGORIES = ("grooming", "self_harm")

# Platform flag reasons (and our policy codes) → classifier category. Unknown → "other".
REASON_CATEGORY: dict[str, str] = {
    "bullying": "harassment", "harassment": "harassment", "bullying_harassment": "harassment",
    "hate": "hate", "discrimination": "hate",
    "threat": "threat", "threats": "threat", "violence": "threat", "violence_threats": "threat",
    "sexual": "sexual", "sexual_content": "sexual", "nudity": "sexual",
    "grooming": "grooming", "child_safety": "grooming", "grooming_child_safety": "grooming",
    "safeguarding": "grooming",
    "self_harm": "self_harm", "suicide": "self_harm",
    "profanity": "profanity", "swearing": "profanity", "inappropriate_for_age": "profanity",
}
# Flag reasons that route to the safeguarding lead by themselves.
SAFEGUARDING_REASONS = frozenset({
    "safeguarding", "grooming", "child_safety", "grooming_child_safety", "self_harm", "suicide",
    "sexual", "sexual_content",
})


@dataclass(frozen=True)
class Priority:
    score: int
    components: list[tuple[str, int]] = field(default_factory=list)
    level: int = 0  # severity level before any lift for waiting (see the module docstring)

    @property
    def reasons(self) -> list[str]:
        return [label for label, _ in self.components]


def band(category: str, score: float) -> str:
    """high ≥ the category's review threshold; medium ≥ half of it; low below."""
    threshold = REVIEW_THRESHOLDS.get(category, 0.5)
    if score >= threshold:
        return "high"
    if score >= threshold / 2:
        return "medium"
    return "low"


def bands(scores: Mapping[str, float] | None) -> dict[str, str]:
    if not scores:
        return {}
    return {c: band(c, float(scores[c])) for c in CATEGORIES if c in scores}


def reason_category(reason: str) -> str:
    return REASON_CATEGORY.get(reason.strip().lower(), "other")


def is_scored(item: ReviewItem) -> bool:
    return item.score_status == ScoreStatus.SCORED and item.top_score is not None


def image_in_play(item: ReviewItem) -> bool:
    """An image sent to or by a child that the local image model scored high for nudity
    (workers/image_model.py): it puts the sexual category in play. Assistive like any score."""
    return bool(item.minor_involved and item.image_score is not None and item.image_score >= IMAGE_THRESHOLD)


def categories_in_play(item: ReviewItem, scores: Mapping[str, float] | None) -> set[str]:
    cats = {reason_category(f.reason_category) for f in item.flags}
    if is_scored(item):
        cats |= {c for c, b in bands(scores).items() if b != "low"}
    if image_in_play(item):
        cats.add("sexual")
    return cats


# Built once (an expanding IN): building it per call cost more than running it (issue 24).
_FLAGGER_HISTORY = select(FlaggerStats.pseudonym, FlaggerStats.upheld, FlaggerStats.decided).where(
    FlaggerStats.pseudonym.in_(bindparam("names", expanding=True)), FlaggerStats.decided >= MIN_HISTORY)

# Flaggers' histories: pseudonym → (upheld, decided), only flaggers with enough decided flags
# to count. Read for one item at ingest, or ahead for a whole batch (the scoring worker).
History = Mapping[str, tuple[int, int]]


def flagger_histories(session: Session, pseudonyms: Iterable[str]) -> dict[str, tuple[int, int]]:
    """One read for the flaggers of one item or of a whole batch of items."""
    names = sorted(set(pseudonyms))
    if not names:
        return {}
    # Columns, not entities, on the session's connection (no ORM execution layer, no
    # autoflush: FlaggerStats is only ever written by Core upserts, sent at once): this runs
    # on every ingest, and the ORM path cost more CPU than the query (issues 14, 24).
    rows = session.connection().execute(_FLAGGER_HISTORY, {"names": names}).all()
    return {name: (upheld, decided) for name, upheld, decided in rows}


def flagger_reliability(session: Session, pseudonyms: Iterable[str],
                        history: History | None = None) -> float | None:
    """Mean smoothed share of upheld past flags of these flaggers (None: no history).
    With `history` (read ahead by flagger_histories) it reads nothing."""
    names = sorted(set(pseudonyms))
    if history is None:
        history = flagger_histories(session, names)
    rows = [history[n] for n in names if n in history]
    if not rows:
        return None
    return float(sum((upheld + 1) / (decided + 2) for upheld, decided in rows) / len(rows))


def compute(session: Session, item: ReviewItem, scores: Mapping[str, float] | None = None,
            history: History | None = None) -> Priority:
    parts: list[tuple[str, int]] = []
    cats = categories_in_play(item, scores)
    lvl = 0
    if cats:
        worst = max(cats, key=lambda c: SEVERITY.get(c, SEVERITY["other"]))
        parts.append((f"severity: {worst.replace('_', ' ')}", 3 * SEVERITY.get(worst, 30)))
        lvl = 2 * max(SEVERITY_CLASS.get(c, 0) for c in cats)
    lvl += 1 if item.minor_involved else 0
    if is_scored(item) and item.top_category:
        b = band(item.top_category, item.top_score or 0.0)
        parts.append((f"AI band {b} for {item.top_category.replace('_', ' ')}", BAND_POINTS[b]))
    else:
        state = "scoring failed" if item.score_status == ScoreStatus.FAILED else "not scored yet"
        parts.append((f"{state}: ranked as if the AI band were high", UNSCORED_BAND_POINTS))
    if image_in_play(item):
        parts.append((f"an image scored {item.image_score:.2f} for nudity by the local image model", 0))
    if item.minor_involved:
        parts.append(("a minor is involved (author or audience under 16)", MINOR_POINTS))
    n = max(item.flag_count, len({f.flagger_pseudonym for f in item.flags}), 1)
    parts.append((f"{n} independent flagger{'s' if n != 1 else ''}",
                  min(100, round(25 * math.log2(1 + n)))))
    rel = flagger_reliability(session, (f.flagger_pseudonym for f in item.flags), history)
    if rel is not None:
        parts.append((f"flaggers' past flags upheld {rel:.0%}", round((rel - 0.5) * 120)))
    return Priority(sum(p for _, p in parts), parts, lvl)


def waiting_since(item: ReviewItem, appeal_received_at: datetime | None = None) -> datetime:
    """When the current wait began: the appeal, the first flag after a decision, or the first flag."""
    if appeal_received_at is not None:
        return appeal_received_at
    if item.decided_at is not None:
        later = [f.flagged_at for f in item.flags if f.flagged_at > item.decided_at]
        if later:
            return min(later)
    return item.first_flagged_at


@dataclass(frozen=True)
class Placement:
    """Where an item sits: its base level, whether waiting has lifted it, its sort key, and
    when the lift is due (None: lifted already)."""

    level: int
    promoted: bool
    rank: int
    promote_at: datetime | None


def rank(priority_score: int, since: datetime, level: int = 0, promoted: bool = False) -> int:
    within = priority_score * AGING_SECONDS_PER_POINT - int(since.timestamp())
    return (level + (1 if promoted else 0)) * LEVEL_SPAN + within


def place(priority_score: int, level: int, since: datetime, now: datetime) -> Placement:
    due = since + PROMOTE_AFTER
    promoted = now >= due
    return Placement(level, promoted, rank(priority_score, since, level, promoted), None if promoted else due)


def effective_level(queue_rank: int) -> int:
    """The level an item is ranked at now (its base level, plus one once lifted)."""
    return round(queue_rank / LEVEL_SPAN)


def aging_points(waited: timedelta) -> int:
    return int(waited.total_seconds() // AGING_SECONDS_PER_POINT)


def safeguarding_reasons(item: ReviewItem, scores: Mapping[str, float] | None) -> list[str]:
    """Why a minor may be at risk; any reason sends the item to the safeguarding lead too."""
    out: list[str] = []
    if scores:
        for c in SAFEGUARDING_SCORE_CATEGORIES:
            if c in scores and float(scores[c]) >= REVIEW_THRESHOLDS.get(c, 0.5):
                out.append(f"AI score for {c.replace('_', ' ')} above its review threshold")
    if item.chat_kind == "one_to_one" and item.minor_involved:
        out.append("flag in a one-to-one chat involving an under-16")
    if any(f.reason_category.strip().lower() in SAFEGUARDING_REASONS for f in item.flags):
        out.append("flagged for a safeguarding reason")
    return out


def needs_safeguarding(session: Session, item: ReviewItem,
                       scores: Mapping[str, float] | None = None) -> bool:
    return bool(safeguarding_reasons(item, scores))
