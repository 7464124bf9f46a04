"""Asking for an ingested item to be scored: one scoring job per short window, not per flag.

A scoring job drains every pending item (workers/scoring.py) and lingers
C2C_SCORING_LINGER_MS (500 ms) for arrivals after its last batch, which is longer than a
window: so an item committed during a window is either taken by that window's job when it
starts, or seen by it while it lingers. The reconciler covers the rest (a worker killed
mid-job, Redis down at the time).

Which request enqueues a window's job is settled in Redis (SET NX on the window's key, one
round trip). Each web process also remembers the last window it settled: its later flags in
that window already know the job is on its way and skip Redis altogether (issue 24: at 200
flags/s the round trip was ~10 % of a flag's CPU; now one per window per process). The
memory lives on the app object, so a new app (a test) starts with none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from redis.exceptions import RedisError

from c2c_safety.core.queueing import enqueue
from c2c_safety.core.redis_conn import EmbeddedRedisError, get_redis
from c2c_safety.scoring.pipeline import ScoringSettings

SCORE_WINDOW_MS = 250
_EXTENSION = "c2c_scoring_window"


@dataclass
class _Settled:
    """The last (window length, window) this process saw settled in Redis."""

    window: tuple[int, int] | None = None


def window_ms() -> int:
    return max(1, min(SCORE_WINDOW_MS, ScoringSettings.from_env().linger_ms // 2))


def request_scoring(item_id: int) -> None:
    """Make sure a scoring job will see this committed item (call after the commit)."""
    length = window_ms()
    window = (length, int(time.time() * 1000) // length)
    settled: _Settled = current_app.extensions.setdefault(_EXTENSION, _Settled())
    if settled.window == window:
        return  # this process already settled who enqueues this window's job
    try:
        first = bool(get_redis().set(f"c2c:scoring:window:{length}:{window[1]}", 1, nx=True, px=4 * length))
    except (RedisError, OSError, EmbeddedRedisError):
        first = True  # enqueue tells whether Redis is really down (then the reconciler scores it)
    else:
        settled.window = window
    if first:
        enqueue("workers.scoring.score_items", [item_id], queue_name="default",
                job_id=f"c2c-score-{length}-{window[1]}", unique=True)
