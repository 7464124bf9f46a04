"""Scheduled daily jobs: case deadline warnings, then the retention sweep.

Scheduling: `ensure_scheduled` (called from every worker's maintenance step) puts one `run` job on RQ's
scheduler for the next 02:30 UTC under a job id derived from the date, so any number of
workers schedule it once. Each run schedules the next before it starts working, so a failed
day does not stop the chain. Without workers, `flask --app app cases daily` from cron does
the same work. Both are idempotent: alerts are unique per person, case and day, and the
sweep only touches what is still due.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job

from c2c_safety.cases.daily import run_daily_in_session
from workers.context import get_app, job_session

log = logging.getLogger(__name__)
RUN_AT = time(2, 30, tzinfo=UTC)
QUEUE = "low"


def next_run_after(now: datetime) -> datetime:
    candidate = datetime.combine(now.date(), RUN_AT)
    return candidate if candidate > now else candidate + timedelta(days=1)


def job_id_for(when: datetime) -> str:
    return f"c2c-daily-{when:%Y%m%d}"


def ensure_scheduled(conn: Redis, now: datetime | None = None) -> str:
    """Schedule the next daily run unless it already is (idempotent). Returns the job id."""
    when = next_run_after(now or datetime.now(UTC))
    job_id = job_id_for(when)
    try:
        Job.fetch(job_id, connection=conn)
        return job_id
    except NoSuchJobError:
        pass
    Queue(QUEUE, connection=conn).enqueue_at(
        when, "workers.daily.run", job_id=job_id, retry=Retry(max=3, interval=[300, 900, 3600]),
        result_ttl=7 * 24 * 3600, failure_ttl=30 * 24 * 3600, job_timeout=4 * 3600)
    return job_id


def ensure_daily(conn: Redis) -> None:
    """`ensure_scheduled` for the worker's maintenance step: never lets a Redis hiccup
    stop the worker (the next maintenance step tries again)."""
    try:
        ensure_scheduled(conn)
    except Exception as exc:  # a maintenance step must not kill the worker
        log.warning("could not schedule the daily run: %s", type(exc).__name__)


def run(now_iso: str | None = None) -> dict[str, int]:
    """The RQ job. Schedules tomorrow first, then works."""
    now = datetime.fromisoformat(now_iso) if now_iso else datetime.now(UTC)
    try:
        from c2c_safety.core.redis_conn import get_redis

        ensure_scheduled(get_redis(get_app()), now + timedelta(minutes=1))
    except Exception as exc:  # scheduling tomorrow must not stop today's work
        log.warning("could not schedule the next daily run: %s", type(exc).__name__)
    with job_session() as s:
        out = run_daily_in_session(s, now)
    log.info("daily jobs done: %s", out)
    return out
