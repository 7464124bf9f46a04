"""The daily job: case deadline warnings, then the retention sweep.

Scheduling: `run` is the periodic job "daily" (c2c_safety/core/periodic.py), one slot per
day starting at 02:30 UTC. Every worker's maintenance step enqueues the day's run once (a
unique job id per slot); the run claims its day in the database first, so a day never runs
twice, and a day missed while no worker ran is caught up by the next worker to start. A
fresh desk's first run waits for the next 02:30. Without workers, `flask --app app cases
daily` from cron does the same work. Both are idempotent: alerts are unique per person,
case and day, and the sweep only touches what is still due.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from redis import Redis

from c2c_safety.cases.daily import run_daily_in_session
from c2c_safety.core import periodic
from workers.context import job_session
from workers.periodic import ensure, tracked

log = logging.getLogger(__name__)


def _job() -> periodic.PeriodicJob:
    job = periodic.by_name("daily")
    assert job is not None
    return job


def next_run_after(now: datetime) -> datetime:
    job = _job()
    return periodic.slot_start(job, periodic.slot_of(job, now) + 1)


def job_id_for(when: datetime) -> str:
    job = _job()
    return periodic.job_id(job, periodic.slot_of(job, when))


def ensure_scheduled(conn: Redis, now: datetime | None = None) -> str:
    """Schedule the next daily run unless it already is (idempotent). Returns the job id."""
    when = next_run_after(now or datetime.now(UTC))
    ensure(conn, _job(), now, periodic.slot_of(_job(), when))
    return job_id_for(when)


@tracked("daily")
def run(now_iso: str | None = None) -> dict[str, int]:
    """The RQ job."""
    now = datetime.fromisoformat(now_iso) if now_iso else datetime.now(UTC)
    with job_session() as s:
        out = run_daily_in_session(s, now)
    log.info("daily jobs done: %s", out)
    return out
