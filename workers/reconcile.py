"""The periodic reconciler: re-enqueue what was committed but never scored.

Scheduling: `tick` is the periodic job "scoring-reconcile" (c2c_safety/core/periodic.py):
every worker's maintenance step enqueues it once per `reconcile_interval_seconds` slot with
a unique id, so however many workers run, each slot gets one tick; no separate scheduler
process or self-rescheduling chain has to stay alive, and a Redis that lost its data gets a
new tick within one interval. The same logic runs by hand as `flask --app app reconcile`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from redis import Redis
from redis.exceptions import RedisError

from c2c_safety.core import periodic
from c2c_safety.scoring.pipeline import ScoringSettings
from workers.context import get_app, job_session
from workers.periodic import ensure, tracked

log = logging.getLogger(__name__)


@tracked("scoring-reconcile")
def tick() -> dict[str, object]:
    from c2c_safety.scoring.jobs import reconcile

    with job_session() as s:
        return reconcile(s, get_app(), ScoringSettings.from_env()).as_dict()


def ensure_tick(conn: Redis, settings: ScoringSettings | None = None, now: float | None = None) -> bool:
    """Enqueue this time slot's tick unless some worker already did; True if we did.
    (The maintenance step does this for every periodic job: workers.periodic.ensure_all.)"""
    job = periodic.by_name("scoring-reconcile")
    assert job is not None
    when = datetime.fromtimestamp(now, UTC) if now is not None else None
    try:
        return ensure(conn, job, when)
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue the reconcile tick: %s", type(exc).__name__)
        return False
