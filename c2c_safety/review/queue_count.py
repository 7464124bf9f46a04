"""How many items are waiting, cheaply, at any queue size.

- Filtered views count matches up to FILTERED_CAP ("more than 500 match"): bounded work,
  shared through Redis for FILTERED_TTL seconds (except the viewer's own "mine"/"unclaimed").
- The unfiltered total is an exact count shared through Redis. Counting 600,000 waiting
  rows takes a few hundred milliseconds, so no request ever does it: a worker job
  (`workers.queue_counts.refresh`) recounts when the shared value is older than
  REFRESH_AFTER seconds, and requests read what it stored.
- With nothing stored yet (cold start, Redis flushed), a request counts up to COUNT_CAP
  itself, which is exact for small queues; above that it shows PostgreSQL's estimate from
  the queue index's statistics ("about 614,000") until the job has run.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from c2c_safety.review.queue_filters import WAITING_STATES, QueueFilters, conditions
from models import ReviewItem, User

COUNT_CAP = 10_000
FILTERED_CAP = 500
KEY = "c2c:queue:waiting-total"
LOCK = "c2c:queue:waiting-total:refreshing"
REFRESH_AFTER = 30  # seconds; the stored value lives 10 minutes so a slow worker is no gap
JOB = "workers.queue_counts.refresh"
FILTERED_KEY = "c2c:queue:filtered:"
FILTERED_TTL = 30


@dataclass(frozen=True)
class WaitingCount:
    n: int
    kind: str  # exact | at_least | estimate
    as_of: float | None = None  # unix time of an exact shared count


def capped(session: Session, conditions: Sequence[ColumnElement[bool]], cap: int) -> tuple[int, bool]:
    """Count rows matching `conditions`, stopping after cap (returns (n, more_than_cap))."""
    inner = select(ReviewItem.id).where(*conditions).limit(cap + 1).subquery()
    n = session.scalar(select(func.count()).select_from(inner)) or 0
    return min(n, cap), n > cap


def exact_total(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ReviewItem)
                          .where(ReviewItem.status.in_(WAITING_STATES))) or 0


def _estimate(session: Session) -> int | None:
    if session.get_bind().dialect.name != "postgresql":
        return None
    value = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'ix_review_items_queue'"))
    return int(value) if value is not None and value >= 0 else None


def store(cache: Redis, n: int) -> None:
    cache.set(KEY, json.dumps({"n": n, "at": time.time()}), ex=600)


def _ask_for_refresh(cache: Redis) -> None:
    from c2c_safety.core.queueing import enqueue

    # One refresh at a time across every web process.
    if cache.set(LOCK, "1", nx=True, ex=REFRESH_AFTER):
        enqueue(JOB, queue_name="low")


def total(session: Session, viewer: User, cache: Redis | None, now: datetime | None = None) -> WaitingCount:
    stored: dict[str, float] | None = None
    if cache is not None:
        try:
            raw = cache.get(KEY)
            stored = json.loads(raw) if raw else None
            if stored is None or time.time() - float(stored["at"]) > REFRESH_AFTER:
                _ask_for_refresh(cache)
        except (RedisError, OSError, ValueError, KeyError, TypeError):
            stored = None
    if stored is not None:
        return WaitingCount(int(stored["n"]), "exact", float(stored["at"]))
    n, more = capped(session, conditions(QueueFilters(), viewer, now or _now()), COUNT_CAP)
    if not more:
        if cache is not None:
            with contextlib.suppress(RedisError, OSError):
                store(cache, n)
        return WaitingCount(n, "exact", time.time())
    estimate = _estimate(session)
    if estimate is not None and estimate > n:
        return WaitingCount(estimate, "estimate")
    return WaitingCount(n, "at_least")


def filtered(cache: Redis | None, key: str, count: Callable[[], tuple[int, bool]]) -> WaitingCount:
    """A capped filtered count, shared through Redis for FILTERED_TTL seconds."""
    full = FILTERED_KEY + key
    if cache is not None:
        with contextlib.suppress(RedisError, OSError, ValueError):
            hit = cache.get(full)
            if hit:
                raw = hit.decode() if isinstance(hit, bytes) else str(hit)
                stored_n, _, stored_more = raw.partition("|")
                return WaitingCount(int(stored_n), "at_least" if stored_more == "1" else "exact")
    n, more = count()
    if cache is not None:
        with contextlib.suppress(RedisError, OSError):
            cache.set(full, f"{n}|{int(more)}", ex=FILTERED_TTL)
    return WaitingCount(n, "at_least" if more else "exact")


def _now() -> datetime:
    from models import utcnow

    return utcnow()
