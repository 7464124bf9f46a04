"""THE list of periodic jobs the desk relies on, and when each one is due.

Adding a periodic job is adding one `PeriodicJob` to PERIODIC (append; keep the name
stable: it is the job's id in Redis and its row in `periodic_runs`). Nothing else has to
change: every worker's maintenance step (workers/periodic.py) enqueues each job once per
time slot, the job records its runs, and the admin's job page (/admin/jobs) and
`flask jobs status` show when each last ran and whether it is overdue.

Time is cut into slots of `every` seconds (daily jobs: days starting at `offset` past
midnight UTC). A slot's run is enqueued under the id `c2c-periodic-<name>-<slot>` with RQ's
atomic unique enqueue, so any number of workers enqueue it once; and the run claims its slot
in the database before working, so even a Redis that lost its data (and so forgot the id)
cannot make a slot run twice. A slot nobody ran (no worker was up) is caught up by the first
maintenance step after it: the current slot runs then.

Periods can be shortened per job with C2C_PERIODIC_<NAME>_SECONDS (tests, demos).
This module holds only data and arithmetic: `c2c_safety` never imports `workers`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import PeriodicRun


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func: str  # dotted path of the job (in workers/), called with no arguments
    every_seconds: int
    queue: str
    description: str
    offset_seconds: int = 0  # where a slot starts within its period (daily: 02:30 = 9000)
    timeout_seconds: int = 600
    env: str = ""  # an older variable that also sets the period (kept working)
    # Runs for its whole slot and enqueues the next slot's run as it ends, so there is no
    # gap between slots (the audit sequencer); maintenance steps only restart a broken chain.
    continuous: bool = False
    # A job that has never run starts at its next slot instead of at once (the daily job:
    # a fresh desk does not sweep retention the moment its first worker starts). After
    # that, a slot missed while no worker ran is caught up by the next maintenance step.
    first_at_next_slot: bool = False

    @property
    def every(self) -> timedelta:
        return timedelta(seconds=period_seconds(self))

    @property
    def grace(self) -> timedelta:
        """How late a run may be before the job counts as overdue."""
        return timedelta(seconds=min(max(period_seconds(self), 60), 2 * 3600))


PERIODIC: list[PeriodicJob] = [
    PeriodicJob("audit-sequencer", "workers.audit.sequence", 10, "audit",
                "Sequences new audit entries and signs a checkpoint (runs for its whole slot, "
                "one batch every half second)", timeout_seconds=120, continuous=True),
    PeriodicJob("scoring-reconcile", "workers.reconcile.tick", 60, "high",
                "Re-enqueues items and case files committed but never scored",
                env="C2C_RECONCILE_INTERVAL_SECONDS"),
    PeriodicJob("webhooks-reconcile", "workers.webhooks.reconcile", 300, "high",
                "Queues every webhook delivery that is due (lost jobs, Redis restarts, "
                "deliveries recorded before the webhook was configured)"),
    PeriodicJob("queue-counts", "workers.queue_counts.refresh", 60, "high",
                "Recounts the moderators' waiting queue"),
    PeriodicJob("daily", "workers.daily.run", 24 * 3600, "low",
                "Case deadline warnings, then the retention sweep (02:30 UTC)",
                offset_seconds=2 * 3600 + 30 * 60, timeout_seconds=4 * 3600, first_at_next_slot=True),
    # The moderator's loop (issue 12): review/aging.py, c2c_safety/notifications/.
    PeriodicJob("queue-aging", "workers.review_aging.run", 60, "high",
                "Lifts waiting items one severity level once they have waited over 24 hours"),
    PeriodicJob("notices-send", "workers.notifications.send_due", 60, "high",
                "Sends notice e-mails that are due: retries after an SMTP outage, and any whose "
                "job never reached Redis"),
    PeriodicJob("notices-scan", "workers.notifications.scan", 600, "low",
                "Notices for deadlines due within 24 hours or missed, and for failing webhooks"),
    PeriodicJob("media-fetch", "workers.media.fetch_due", 15, "default",
                "Fetches flagged images from the platform's media host, checks, hashes and matches them "
                "against the hash lists; retries failed fetches with backoff"),
    # Cover (issue 19, item 6): safeguarding/escalation.py.
    PeriodicJob("safeguarding-cover", "workers.safeguarding.escalate", 300, "high",
                "Escalates overdue safeguarding referrals nobody has taken up: to the deputy, then "
                "to the CEO"),
]


def by_name(name: str) -> PeriodicJob | None:
    return next((j for j in PERIODIC if j.name == name), None)


def period_seconds(job: PeriodicJob) -> int:
    for var in (f"C2C_PERIODIC_{job.name.upper().replace('-', '_')}_SECONDS", job.env):
        raw = os.environ.get(var, "") if var else ""
        if raw.strip():
            try:
                return max(1, int(raw))
            except ValueError:
                continue
    return job.every_seconds


def slot_of(job: PeriodicJob, now: datetime) -> int:
    every = period_seconds(job)
    offset = job.offset_seconds if every == job.every_seconds else 0
    return int((now.timestamp() - offset) // every)


def slot_start(job: PeriodicJob, slot: int) -> datetime:
    every = period_seconds(job)
    offset = job.offset_seconds if every == job.every_seconds else 0
    return datetime.fromtimestamp(slot * every + offset, tz=UTC)


def job_id(job: PeriodicJob, slot: int) -> str:
    return f"c2c-periodic-{job.name}-{slot}"


# --- runs, as recorded by the job wrapper (workers/periodic.py) ---------------------------------

def last_slots(session: Session) -> dict[str, int | None]:
    """Each job's latest started slot (absent: never ran)."""
    return dict(session.execute(select(PeriodicRun.name, PeriodicRun.last_slot)).tuples().all())


def _row(session: Session, name: str) -> PeriodicRun:
    row = session.get(PeriodicRun, name, populate_existing=True)
    if row is None:
        row = PeriodicRun(name=name)
        session.add(row)
        session.flush()
    return row


def claim_slot(session: Session, job: PeriodicJob, slot: int, now: datetime) -> bool:
    """Mark `slot` as started unless a run of it (or of a later slot) already started.
    The conditional UPDATE is the database-side "exactly once"."""
    _row(session, job.name)
    done = session.execute(
        update(PeriodicRun)
        .where(PeriodicRun.name == job.name, or_(PeriodicRun.last_slot.is_(None), PeriodicRun.last_slot < slot))
        .values(last_slot=slot, last_started_at=now, last_status="running", runs=PeriodicRun.runs + 1)
        .execution_options(synchronize_session=False)
    )
    return getattr(done, "rowcount", 0) == 1


def record_start(session: Session, job: PeriodicJob, now: datetime) -> None:
    """A run outside the slots (by hand, or on demand): recorded, claims nothing."""
    _row(session, job.name)
    session.execute(update(PeriodicRun).where(PeriodicRun.name == job.name)
                    .values(last_started_at=now, last_status="running", runs=PeriodicRun.runs + 1)
                    .execution_options(synchronize_session=False))


def finish(session: Session, job: PeriodicJob, now: datetime, error: str | None = None) -> None:
    values: dict[str, object] = {"last_finished_at": now, "last_status": "failed" if error else "ok",
                                 "last_error": error}
    if error:
        values["failures"] = PeriodicRun.failures + 1
    else:
        values["last_ok_at"] = now
    session.execute(update(PeriodicRun).where(PeriodicRun.name == job.name).values(**values)
                    .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class JobStatus:
    job: PeriodicJob
    run: PeriodicRun | None
    state: str  # ok | running | waiting (for its first run) | overdue | failing | never
    due_by: datetime | None  # the latest a next successful run should have happened

    @property
    def needs_attention(self) -> bool:
        return self.state in ("overdue", "failing", "never")


def status(session: Session, now: datetime) -> list[JobStatus]:
    rows = {r.name: r for r in session.scalars(select(PeriodicRun))}
    # Workers have run since (about) the first start of any job: a job that has never run is
    # only late once its first run was due after that.
    first_seen = min((r.last_started_at for r in rows.values() if r.last_started_at), default=None)
    out: list[JobStatus] = []
    for job in PERIODIC:
        run = rows.get(job.name)
        last_ok = run.last_ok_at if run is not None else None
        due_by = last_ok + job.every + job.grace if last_ok else None
        if run is None or run.last_started_at is None:
            if first_seen is not None:
                due_by = (slot_start(job, slot_of(job, first_seen) + 1) if job.first_at_next_slot
                          else first_seen + job.every) + job.grace
            state = "waiting" if due_by is not None and now <= due_by else "never"
        elif run.last_status == "running" and now - run.last_started_at <= timedelta(
                seconds=job.timeout_seconds):
            state = "running" if due_by is None or now <= due_by else "overdue"
        elif due_by is None or now > due_by:
            state = "overdue" if run.last_status != "failed" else "failing"
        elif run.last_status == "failed":
            state = "failing"
        else:
            state = "ok"
        out.append(JobStatus(job, run, state, due_by))
    return out
