"""The periodic reconciler: re-enqueue what was committed but never scored.

Scheduling: every worker's parent, in its RQ maintenance step (at start-up, then every
`reconcile_interval_seconds`; see workers/__main__.py), enqueues `tick` under the id
`c2c-reconcile-<time slot>` with `unique=True`. However many workers run, each slot gets
one tick; no separate scheduler process or self-rescheduling chain has to stay alive, and
a Redis that lost its data gets a new tick within one interval. The same logic runs by
hand as `flask --app app reconcile`.
"""

from __future__ import annotations

import logging
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError

from c2c_safety.scoring.pipeline import ScoringSettings
from workers.context import get_app, job_session

log = logging.getLogger(__name__)

TICK_FUNC = "workers.reconcile.tick"
TICK_QUEUE = "high"  # cheap (a few queries); must not wait behind a scoring backlog


def tick() -> dict[str, object]:
    from c2c_safety.scoring.jobs import reconcile

    with job_session() as s:
        return reconcile(s, get_app(), ScoringSettings.from_env()).as_dict()


def ensure_tick(conn: Redis, settings: ScoringSettings | None = None, now: float | None = None) -> bool:
    """Enqueue this time slot's tick unless some worker already did; True if we did."""
    settings = settings or ScoringSettings.from_env()
    interval = settings.reconcile_interval_seconds
    slot = int((now if now is not None else time.time()) // interval)
    try:
        Queue(TICK_QUEUE, connection=conn).enqueue_call(
            TICK_FUNC, job_id=f"c2c-reconcile-{slot}", unique=True,
            # Kept a little beyond the slot so the id still dedupes; then it expires.
            result_ttl=2 * interval, failure_ttl=24 * 3600, ttl=2 * interval)
    except DuplicateJobError:
        return False
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue the reconcile tick: %s", type(exc).__name__)
        return False
    return True
