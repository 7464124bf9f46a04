"""The queue side of scoring: enqueueing by dotted path (never importing torch), the
reconciler, and rescore requests. Used by the CLI and by the worker's periodic tick.

Jobs enqueued from here carry deterministic ids, so the reconciler running every minute
(or an operator running it by hand, or several workers) cannot flood the queue: a job id
that is still queued/scheduled/running is left alone; a finished or failed one is replaced.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.redis_conn import EmbeddedRedisError, get_redis
from c2c_safety.scoring.pipeline import (
    KINDS,
    RescoreSelection,
    ScoringSettings,
    fail_exhausted,
    mark_for_rescore,
    select_for_rescore,
    stale_pending,
)

log = logging.getLogger(__name__)

JOB_FUNCS = {"item": "workers.scoring.score_items", "case": "workers.scoring.score_cases"}
IN_FLIGHT = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
RETRY_INTERVALS = [5, 30, 120]
# Rescue jobs enqueued per subject kind per reconcile run; each job drains more than its
# own ids (see workers/scoring.py), so a few jobs clear a large backlog.
MAX_RESCUE_JOBS = 200


def enqueue_unique(conn: Redis, func_path: str, args: tuple[object, ...], job_id: str, *,
                   queue_name: str = "default", retry: Retry | None = None,
                   result_ttl: int = 600) -> bool:
    """Enqueue unless a job with this id is still on its way; True if enqueued."""
    queue = Queue(queue_name, connection=conn)
    for _ in range(2):
        try:
            queue.enqueue_call(func_path, args=args, job_id=job_id, unique=True, retry=retry,
                               result_ttl=result_ttl, failure_ttl=24 * 3600)
            return True
        except DuplicateJobError:
            try:
                old = Job.fetch(job_id, connection=conn)
            except NoSuchJobError:
                continue  # expired between the two calls: try again
            if old.get_status(refresh=True) in IN_FLIGHT:
                return False
            old.delete()  # finished/failed/stopped: its id is free for a new run
    return False


@dataclass
class ReconcileReport:
    enqueued_jobs: dict[str, int] = field(default_factory=dict)
    stale: dict[str, int] = field(default_factory=dict)
    failed_exhausted: dict[str, int] = field(default_factory=dict)
    redis_down: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"enqueued_jobs": self.enqueued_jobs, "stale": self.stale,
                "failed_exhausted": self.failed_exhausted, "redis_down": self.redis_down}


def reconcile(session: Session, app: Flask, settings: ScoringSettings,
              older_than_seconds: int | None = None, *, dry_run: bool = False) -> ReconcileReport:
    """Find subjects committed but never scored and enqueue them again. Commits its own
    status changes (subjects out of attempts → failed) before touching Redis."""
    after = settings.reconcile_after_seconds if older_than_seconds is None else older_than_seconds
    report = ReconcileReport()
    stale: dict[str, list[int]] = {}
    for kind in KINDS:
        if not dry_run:
            report.failed_exhausted[kind] = len(fail_exhausted(session, kind, settings))
        stale[kind] = stale_pending(session, kind, after, settings,
                                    limit=MAX_RESCUE_JOBS * settings.batch_size)
        report.stale[kind] = len(stale[kind])
    session.commit()
    if dry_run or not any(stale.values()):
        return report
    try:
        conn = get_redis(app)
        for kind, ids in stale.items():
            report.enqueued_jobs[kind] = 0
            for start in range(0, len(ids), settings.batch_size):
                chunk = ids[start:start + settings.batch_size]
                # Keyed by the chunk's first id: re-running soon after finds it in flight.
                if enqueue_unique(conn, JOB_FUNCS[kind], (chunk,), f"c2c-rescue-{kind}-{chunk[0]}",
                                  retry=Retry(max=3, interval=RETRY_INTERVALS)):
                    report.enqueued_jobs[kind] += 1
    except (RedisError, OSError, EmbeddedRedisError) as exc:
        log.warning("reconcile: Redis unavailable (%s); will try again next run", type(exc).__name__)
        report.redis_down = True
    log.info("reconcile: stale=%s enqueued=%s failed_exhausted=%s", report.stale,
             report.enqueued_jobs, report.failed_exhausted)
    return report


@dataclass(frozen=True)
class RescoreReport:
    selected: int
    enqueued_jobs: int
    redis_down: bool
    item_ids: tuple[int, ...] = ()


def still_pending(session: Session, item_ids: tuple[int, ...]) -> int:
    """How many of these items still wait for a score (`flask rescore --wait` polls this)."""
    from sqlalchemy import func, select

    from models import ReviewItem

    pending = 0
    for start in range(0, len(item_ids), 500):   # bounded IN lists on every backend
        chunk = item_ids[start:start + 500]
        pending += session.scalar(select(func.count()).select_from(ReviewItem).where(
            ReviewItem.id.in_(chunk), ReviewItem.score_status == "pending")) or 0
    session.rollback()   # a fresh snapshot on the next poll
    return pending


def rescore(session: Session, app: Flask, sel: RescoreSelection, settings: ScoringSettings,
            *, actor_label: str = "cli", dry_run: bool = False) -> RescoreReport:
    """Put the selected items back to pending, audit the request, commit, then enqueue.

    Jobs go to the "low" queue: a fresh flag's own job (default queue) still comes first,
    and each job claims its own ids before anything else.
    """
    ids = select_for_rescore(session, sel)
    if dry_run or not ids:
        return RescoreReport(len(ids), 0, False)
    mark_for_rescore(session, ids)
    # One entry per request, not per item: an operator's bulk action, not a decision.
    audit.record(session, "scoring.rescore_requested", actor_label=actor_label,
                 target_type="review_items", details={**sel.describe(), "selected": len(ids)})
    session.commit()
    enqueued = 0
    try:
        conn = get_redis(app)
        queue = Queue("low", connection=conn)
        for start in range(0, len(ids), settings.batch_size):
            queue.enqueue_call(JOB_FUNCS["item"], args=(ids[start:start + settings.batch_size],),
                               retry=Retry(max=3, interval=RETRY_INTERVALS),
                               result_ttl=600, failure_ttl=24 * 3600)
            enqueued += 1
    except (RedisError, OSError, EmbeddedRedisError) as exc:
        # Committed as pending: the reconciler enqueues whatever did not make it.
        log.warning("rescore: Redis unavailable (%s); left for the reconciler", type(exc).__name__)
        return RescoreReport(len(ids), enqueued, True, tuple(ids))
    log.info("rescore: %d items pending again, %d jobs enqueued", len(ids), enqueued)
    return RescoreReport(len(ids), enqueued, False, tuple(ids))
