"""Removing queued scoring jobs that a batch has made pointless.

Ingest enqueues one `score_items([id])` per committed item, and a draining horse claims
those items as "other pending items" long before their own jobs reach the front of the
queue. Left there, each of those jobs still costs the worker RQ's bookkeeping (~10-45 ms
measured on this shared box), and at 20 items/s that tail of no-op jobs sat in front of the
next real item and doubled its latency. So after each batch the horse looks at the head of
the scoring queues and removes jobs whose every id it has just scored itself.

Only ids this horse scored count (no guessing from the database), and a job is deleted only
if LREM actually took it off the queue, so a job another worker popped meanwhile is never
touched. A job that escapes the sweep still finishes quickly (DeskWorker's no-fork path).
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job

log = logging.getLogger(__name__)

SWEPT_QUEUES = ("default", "low")
WINDOW = 200  # queue entries fetched per round trip
MAX_SCAN = 2000  # entries looked at per sweep at most: bounded work


def _job_ids(job: Job) -> list[int] | None:
    try:
        return [int(i) for i in job.args[0]] if job.args else None
    except (TypeError, ValueError, IndexError):
        return None


def sweep(conn: Redis, func_name: str, done: Collection[int], current_job_id: str | None = None) -> int:
    """Delete queued `func_name` jobs whose ids are all in `done`; return how many."""
    if not done:
        return 0
    removed = 0
    try:
        for name in SWEPT_QUEUES:
            queue = Queue(name, connection=conn)
            offset = looked = 0
            while looked < MAX_SCAN:
                found, scanned = _sweep_window(conn, queue, func_name, done, current_job_id, offset)
                removed += found
                looked += scanned
                offset += scanned - found  # removed entries no longer shift the next window
                if scanned < WINDOW:
                    break
    except RedisError as exc:  # an optimisation only: the jobs would finish on their own
        log.warning("sweep of superseded scoring jobs skipped: %s", type(exc).__name__)
    return removed


def _sweep_window(conn: Redis, queue: Queue, func_name: str, done: Collection[int],
                  current_job_id: str | None, offset: int) -> tuple[int, int]:
    """(jobs removed, queue entries looked at) for one window of the queue."""
    ids = queue.get_job_ids(offset, WINDOW)
    if not ids:
        return 0, 0
    stale: list[Job] = []
    for job in Job.fetch_many(ids, connection=conn):
        if job is None or job.id == current_job_id or job.func_name != func_name:
            continue
        own = _job_ids(job)
        if own and all(i in done for i in own):
            stale.append(job)
    if not stale:
        return 0, len(ids)
    with conn.pipeline(transaction=False) as pipe:
        for job in stale:
            queue.remove(job.id, pipeline=pipe)
        taken = pipe.execute()
    gone = [job for job, n in zip(stale, taken, strict=True) if n]
    if gone:
        with conn.pipeline(transaction=False) as pipe:
            for job in gone:
                job.delete(pipeline=pipe, remove_from_queue=False)
            pipe.execute()
    return len(gone), len(ids)
