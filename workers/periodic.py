"""Runs the periodic jobs of c2c_safety/core/periodic.py: enqueue each slot once, record runs.

`ensure_all` is called by every worker's maintenance step (workers/__main__.py). For each
job whose current slot has not started yet it enqueues the job for that slot with RQ's
atomic unique enqueue (id `c2c-periodic-<name>-<slot>`), so N workers enqueue it once. Each
job function is wrapped in `tracked(name)`: given `slot=`, the wrapper claims the slot in
the database before working (core.periodic.claim_slot), records the outcome in
`periodic_runs`, and for a continuous job enqueues the next slot's run before it returns.
Called without a slot (by hand, or on demand), the function just runs and is recorded.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError

from c2c_safety.core import periodic
from c2c_safety.core.periodic import PeriodicJob
from workers.context import get_app, job_session

log = logging.getLogger(__name__)
R = TypeVar("R")


def _now() -> datetime:
    return datetime.now(UTC)


def ensure(conn: Redis, job: PeriodicJob, now: datetime | None = None, slot: int | None = None) -> bool:
    """Enqueue the run of `slot` (default: the current one) unless it already was; True if
    this call enqueued it. A slot that has not begun yet is scheduled for its start."""
    now = now or _now()
    slot = periodic.slot_of(job, now) if slot is None else slot
    every = periodic.period_seconds(job)
    start = periodic.slot_start(job, slot)
    q = Queue(job.queue, connection=conn)
    opts: dict[str, Any] = {
        "job_id": periodic.job_id(job, slot), "unique": True, "kwargs": {"slot": slot},
        # The id must outlive its slot to dedupe; a run not started within its slot is
        # dropped (the next slot has its own).
        "result_ttl": 2 * every + 60, "failure_ttl": max(2 * every, 24 * 3600), "ttl": every + 60,
    }
    try:
        if start > now + timedelta(seconds=1):
            q.enqueue_at(start, job.func, job_timeout=job.timeout_seconds, **opts)
        else:
            q.enqueue_call(job.func, timeout=job.timeout_seconds, **opts)
    except DuplicateJobError:
        return False
    return True


def _last_slots() -> dict[str, int | None] | None:
    try:
        with job_session() as s:
            return periodic.last_slots(s)
    except Exception as exc:  # no database: enqueue anyway; the run's claim still dedupes
        log.warning("could not read the periodic runs: %s", type(exc).__name__)
        return None


def ensure_all(conn: Redis, now: datetime | None = None, queues: tuple[str, ...] | None = None) -> int:
    """`ensure` every registered job (on `queues` only, if given) whose current slot has
    not started. Never raises: a maintenance step must not kill the worker."""
    now = now or _now()
    made = 0
    started = _last_slots()
    for job in periodic.PERIODIC:
        if queues is not None and job.queue not in queues:
            continue
        slot = periodic.slot_of(job, now)
        last = started.get(job.name) if started is not None else None
        if last is not None and last >= slot:
            continue  # this slot already ran (or runs): nothing to ask Redis
        if started is not None and last is None and job.first_at_next_slot:
            slot += 1
        try:
            made += ensure(conn, job, now, slot)
        except (RedisError, OSError) as exc:
            log.warning("could not enqueue periodic job %s: %s", job.name, type(exc).__name__)
    return made


def tracked(name: str) -> Callable[[Callable[..., R]], Callable[..., R | str]]:
    """Wrap a job function so that its periodic runs claim their slot and are recorded."""
    job = periodic.by_name(name)
    if job is None:
        raise ValueError(f"{name!r} is not in c2c_safety.core.periodic.PERIODIC")

    def decorate(fn: Callable[..., R]) -> Callable[..., R | str]:
        @functools.wraps(fn)
        def wrapper(*args: Any, slot: int | None = None, **kwargs: Any) -> R | str:
            if slot is not None:
                with job_session() as s:
                    claimed = periodic.claim_slot(s, job, slot, _now())
                    s.commit()
                if not claimed:
                    log.info("periodic %s: slot %s already ran", name, slot)
                    return "already ran"
                if job.continuous:
                    kwargs.setdefault("until", periodic.slot_start(job, slot + 1))
            else:
                _record_start(job)
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                _finish(job, type(exc).__name__)
                raise
            finally:
                if slot is not None and job.continuous:
                    _chain(job, slot + 1)
            _finish(job, None)
            return result

        return wrapper

    return decorate


def _record_start(job: PeriodicJob) -> None:
    try:
        with job_session() as s:
            periodic.record_start(s, job, _now())
            s.commit()
    except Exception as exc:  # bookkeeping must not stop the work
        log.warning("could not record the start of %s: %s", job.name, type(exc).__name__)


def _finish(job: PeriodicJob, error: str | None) -> None:
    try:
        with job_session() as s:
            periodic.finish(s, job, _now(), error)
            s.commit()
    except Exception as exc:  # the run's own outcome matters more than its bookkeeping
        log.warning("could not record the run of %s: %s", job.name, type(exc).__name__)


def _chain(job: PeriodicJob, slot: int) -> None:
    from c2c_safety.core.redis_conn import get_redis

    try:
        ensure(get_redis(get_app()), job, slot=slot)
    except (RedisError, OSError) as exc:  # the next maintenance step restarts the chain
        log.warning("could not chain %s: %s", job.name, type(exc).__name__)
