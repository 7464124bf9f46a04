"""`python -m workers`: an RQ worker with the heavy modules loaded before it forks.

The parent process creates the app and loads the classifier once; each job runs in a
forked work horse that shares those pages copy-on-write, so the model is loaded exactly
once per worker process, never per job.

The parent's RQ maintenance step (start-up, then every C2C_RECONCILE_INTERVAL_SECONDS)
also refreshes the classifier status for /readyz (retrying a failed load) and enqueues this
slot's run of every periodic job (c2c_safety/core/periodic.py, workers/periodic.py).
`with_scheduler` stays on: RQ's retry backoff (`Retry(interval=...)`) needs the scheduler
to move retried jobs back onto their queue.

Unless `--no-audit`, it also starts a companion process, `python -m workers --audit`: a
small RQ worker (no model) that serves only the `audit` queue, where the audit sequencer
runs back to back (workers/audit.py), so sequencing never waits behind scoring. The
companion dies with its parent (PR_SET_PDEATHSIG) and checks the periodic jobs every 5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.job import Job
from rq.worker import WorkerStatus

from c2c_safety.core.queueing import QUEUES
from c2c_safety.core.redis_conn import get_redis
from c2c_safety.scoring.pipeline import ScoringSettings
from workers.context import get_app
from workers.periodic import ensure_all
from workers.preload import preload, publish_status, retry_failed_preload

log = logging.getLogger("workers")


SCORING_JOBS = {"workers.scoring.score_items": "item", "workers.scoring.score_cases": "case"}


class DeskWorker(Worker):
    """RQ's forking worker plus the desk's periodic duties, run in the parent between jobs."""

    preloaded = False

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Ingest enqueues one job per item, and the first job's batches take the items of
        the jobs queued behind it. Forking a horse only to find that out cost ~0.1-0.3 s per
        job here, more than scoring the item; so a scoring job whose own ids are all taken
        already runs in this process (no fork): it re-checks its own ids, finds nothing, and
        finishes through RQ's normal bookkeeping (SimpleWorker's path)."""
        kind = SCORING_JOBS.get(job.func_name or "")
        if kind and self.preloaded and _redundant(kind, job):
            execution = self.prepare_execution(job)
            self.perform_job(job, queue, execution)
            self.set_state(WorkerStatus.IDLE)
            return
        super().execute_job(job, queue)  # type: ignore[no-untyped-call]

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        conn: Redis = self.connection
        if self.preloaded:
            retry_failed_preload(get_app(), conn)
        else:
            publish_status(conn)
        ensure_all(conn)  # every periodic job's run for this slot (c2c_safety/core/periodic.py)


AUDIT_QUEUE = "audit"
AUDIT_MAINTENANCE_SECONDS = 5


class AuditWorker(Worker):
    """The companion: serves the `audit` queue only and keeps the periodic jobs enqueued."""

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]
        ensure_all(self.connection)


def _die_with_parent() -> None:
    """In the companion, before exec: get SIGTERM when the parent dies, even by SIGKILL."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_companion() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "workers", "--audit"],
                            preexec_fn=_die_with_parent)


# The sequencer is background work with a lag budget (p95 < 2 s), not a request path: on a
# box it shares with gunicorn it yields the CPU to requests first, so its batches and its
# work horse's fork every 10 s do not show up as ingest tail latency (issue 24). Niceness 5
# still leaves it about a quarter of a busy core, several times what it needs at the
# desk's sustained rate (bench: "sequencer CPU per entry"). 0 keeps the parent's priority.
AUDIT_NICE_DEFAULT = 5


def audit_niceness() -> int:
    try:
        return max(0, min(19, int(os.environ.get("C2C_AUDIT_NICE", "") or AUDIT_NICE_DEFAULT)))
    except ValueError:
        return AUDIT_NICE_DEFAULT


def _run_audit_worker(conn: Redis, burst: bool) -> int:
    niceness = audit_niceness()
    if niceness:
        with contextlib.suppress(OSError):
            os.nice(niceness)  # inherited by every work horse RQ forks
    worker = AuditWorker([Queue(AUDIT_QUEUE, connection=conn)], connection=conn,
                         worker_ttl=AUDIT_MAINTENANCE_SECONDS + 15,
                         maintenance_interval=AUDIT_MAINTENANCE_SECONDS)
    # The sequencer is one job every 10 s, around the clock: RQ's six INFO lines per job
    # would bury every other log line, so the companion's own RQ logging starts at WARNING
    # (C2C_AUDIT_LOG_LEVEL=INFO to watch it); batches that sequenced something still log.
    worker.work(burst=burst, with_scheduler=False,
                logging_level=os.environ.get("C2C_AUDIT_LOG_LEVEL", "WARNING"))
    return 0


def _redundant(kind: str, job: Job) -> bool:
    from workers.scoring import has_claimable

    try:
        ids = [int(i) for i in job.args[0]] if job.args else []
    except (TypeError, ValueError, IndexError):
        return False
    if not ids:
        return False  # a drain-only job (continuation): its work is "whatever is pending"
    try:
        return not has_claimable(get_app(), kind, ids)
    except Exception:
        log.warning("redundancy check failed; running the job in a horse", exc_info=True)
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--no-preload", action="store_true", help="skip loading the classifier")
    parser.add_argument("--with-scheduler", action="store_true", default=True)
    parser.add_argument("--audit", action="store_true",
                        help="be the audit-queue companion only (the sequencer; no model)")
    parser.add_argument("--no-audit", action="store_true",
                        help="do not start the audit companion (another worker runs one)")
    args = parser.parse_args(argv)
    # Before torch loads: OpenMP threads that spin while waiting for work made MiniLM ~5x
    # slower on this shared 2-core box (measured 6/s spinning vs 28-41/s passive).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    logging.basicConfig(level=os.environ.get("C2C_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = get_app()
    conn = get_redis(app)
    if args.audit:
        return _run_audit_worker(conn, args.burst)
    # Before the model loads: the companion is a fresh interpreter, not a copy of this one.
    companion = None if args.burst or args.no_audit else start_companion()
    try:
        return _run_desk_worker(app, conn, args)
    finally:
        if companion is not None:
            companion.terminate()
            try:
                companion.wait(timeout=15)
            except subprocess.TimeoutExpired:
                companion.kill()


def _reconcile_webhooks_now(conn: Redis) -> None:
    """Once at start-up, besides the 5-minute slots: a desk restarted with a webhook newly
    configured sends what waited for it now, not at the next slot. One job however many
    workers start together (RQ's unique id); running it twice would only re-queue deliveries
    whose own lease and status already keep them from being sent twice."""
    from rq.exceptions import DuplicateJobError

    try:
        Queue("high", connection=conn).enqueue_call(
            "workers.webhooks.reconcile", job_id="c2c-webhooks-reconcile-startup", unique=True,
            result_ttl=60, failure_ttl=24 * 3600, ttl=300)
    except DuplicateJobError:
        pass
    except RedisError as exc:  # the periodic slot will do it
        log.warning("could not queue the start-up webhook reconcile: %s", type(exc).__name__)


def _run_desk_worker(app: Flask, conn: Redis, args: argparse.Namespace) -> int:
    if not args.no_preload:
        preload(app, conn)
    interval = ScoringSettings.from_env().reconcile_interval_seconds
    queues = [Queue(name, connection=conn) for name in QUEUES]
    # An idle worker blocks in BLPOP for worker_ttl - 15 s; keeping that at the reconcile
    # interval makes the maintenance step (and so the tick) run on time when idle too.
    worker = DeskWorker(queues, connection=conn, worker_ttl=interval + 15,
                        maintenance_interval=interval)
    worker.preloaded = not args.no_preload
    if not args.burst:
        _reconcile_webhooks_now(conn)
    worker.work(burst=args.burst, with_scheduler=args.with_scheduler,
                logging_level=os.environ.get("C2C_LOG_LEVEL", "INFO"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
