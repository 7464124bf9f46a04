"""Every periodic job the desk relies on is started by a real worker, runs, and runs once per
slot however many workers there are (issue 16). Periods are shortened through
C2C_PERIODIC_<NAME>_SECONDS (the controllable clock); everything else is real: the worker
process and its audit companion, Redis, the database, an HTTP receiver for webhooks."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import func, select

from bench.servers import start_worker
from c2c_safety.audit import log as audit
from c2c_safety.core import periodic
from c2c_safety.core.db import new_session
from models import AuditEvent, PeriodicRun, RetentionRun
from models.review import WebhookDelivery
from tests.support.scoring import kill_group
from tests.webhooks.test_webhooks import SECRET, Receiver, _decided

ROOT = Path(__file__).resolve().parents[2]


def _env(app, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
    env.update({"C2C_ENV": "test", "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": redis_url,
                "C2C_INSTANCE_PATH": str(app.config["C2C"].instance_path), "C2C_LOG_LEVEL": "INFO",
                "PYTHONPATH": str(ROOT), **extra})
    return env


def _wait(check: Callable[[], object], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
    raise AssertionError(f"{what} did not happen within {timeout:.0f}s; worker log:\n{tail}")


def _read(app, query):
    """One read in its own short session: an open SQLite transaction (BEGIN IMMEDIATE)
    would hold the write lock the worker needs."""
    s = new_session(app)
    try:
        return s.scalar(query)
    finally:
        s.close()


def _run(app, name: str) -> PeriodicRun | None:
    s = new_session(app)
    try:
        row = s.get(PeriodicRun, name)
        if row is not None:
            s.expunge(row)
        return row
    finally:
        s.close()


@pytest.fixture
def worker(app, database_url, redis_url, tmp_path) -> Iterator[Callable[..., Path]]:
    procs = []

    def _start(count: int = 1, **extra: str) -> Path:
        log = tmp_path / "worker.log"
        env = _env(app, database_url, redis_url, **extra)
        for _ in range(count):
            procs.append(start_worker(env, "--no-preload", log_path=log))
        return log

    try:
        yield _start
    finally:
        # SIGKILL, not a warm shutdown: the audit companion's job runs for its whole 10 s
        # slot and a warm stop would wait for it; Redis and the database are wiped per test.
        for proc in procs:
            kill_group(proc)


def _ran_twice(app, name: str) -> Callable[[], bool]:
    def check() -> bool:
        row = _run(app, name)
        # The second run finished too (runs counts starts).
        return row is not None and row.runs >= 2 and row.last_status == "ok"
    return check


def test_the_registry_names_every_job_the_desk_relies_on():
    names = {j.name for j in periodic.PERIODIC}
    assert {"audit-sequencer", "scoring-reconcile", "webhooks-reconcile", "queue-counts", "daily"} <= names
    assert len(names) == len(periodic.PERIODIC)  # names are ids: unique


def test_audit_sequencer_runs_and_sequences(app, db, worker, redis_conn):
    with app.app_context():
        audit.record(db, "test.before_worker", target_id=1)
        db.commit()
    db.close()
    log = worker(C2C_PERIODIC_AUDIT_SEQUENCER_SECONDS="2")
    _wait(lambda: _read(app, select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_not(None))),
          60, "the audit entry to be sequenced", log)
    _wait(_ran_twice(app, "audit-sequencer"), 60, "two runs of the sequencer", log)
    with app.app_context():
        audit.record(db, "test.while_running", target_id=2)
        db.commit()
    db.close()
    started = time.monotonic()
    _wait(lambda: _read(app, select(AuditEvent.seq).where(AuditEvent.action == "test.while_running")),
          30, "a new entry to be sequenced", log)
    assert time.monotonic() - started < 5  # continuous: no waiting for the next maintenance step


def test_scoring_reconcile_runs(app, worker):
    log = worker(C2C_RECONCILE_INTERVAL_SECONDS="2")
    _wait(_ran_twice(app, "scoring-reconcile"), 60, "two scoring reconcile ticks", log)
    assert "workers.reconcile.tick" in log.read_text()


def test_webhook_reconcile_delivers_what_was_recorded_before_the_webhook_was_configured(
        app, db, make_user, worker):
    app.config["C2C"].webhook_url = ""  # not configured when the decision is taken
    _decision_id, delivery_id = _decided(app, make_user)
    assert _read(app, select(WebhookDelivery.status).where(WebhookDelivery.id == delivery_id)) == "not_configured"
    with Receiver([]) as r:
        log = worker(C2C_WEBHOOK_URL=r.url, C2C_WEBHOOK_SECRET=SECRET,
                     C2C_PERIODIC_WEBHOOKS_RECONCILE_SECONDS="2")
        _wait(lambda: r.received, 60, "the delivery to reach the receiver", log)
        _wait(lambda: _read(app, select(WebhookDelivery.status).where(WebhookDelivery.id == delivery_id))
              == "delivered", 30, "the delivery to be marked delivered", log)
    assert r.bad_signatures == 0 and len(r.received) == 1
    assert _run(app, "webhooks-reconcile").last_ok_at is not None


def test_a_restarted_worker_sends_what_waited_without_waiting_for_the_next_slot(app, db, make_user, worker):
    """This 5-minute slot already ran (before the webhook was configured); a worker started
    now with the webhook set still sends the waiting delivery at once."""
    app.config["C2C"].webhook_url = ""
    _decision_id, delivery_id = _decided(app, make_user)
    job = periodic.by_name("webhooks-reconcile")
    assert job is not None
    now = datetime.now(UTC)
    s = new_session(app)
    try:
        assert periodic.claim_slot(s, job, periodic.slot_of(job, now), now)
        s.commit()
    finally:
        s.close()
    with Receiver([]) as r:
        log = worker(C2C_WEBHOOK_URL=r.url, C2C_WEBHOOK_SECRET=SECRET)
        _wait(lambda: r.received, 60, "the delivery to reach the receiver", log)
    assert r.bad_signatures == 0 and len(r.received) == 1
    assert _read(app, select(WebhookDelivery.status).where(WebhookDelivery.id == delivery_id)) == "delivered"


def test_queue_counts_runs_and_shares_the_count(app, worker, redis_conn: Redis):
    log = worker(C2C_PERIODIC_QUEUE_COUNTS_SECONDS="2")
    _wait(_ran_twice(app, "queue-counts"), 60, "two queue recounts", log)
    assert redis_conn.get("c2c:queue:waiting-total") is not None


def test_daily_job_waits_for_its_first_slot_then_runs(app, worker):
    log = worker(C2C_PERIODIC_DAILY_SECONDS="3")
    _wait(_ran_twice(app, "daily"), 60, "two daily runs", log)
    assert _read(app, select(func.count()).select_from(RetentionRun).where(RetentionRun.status == "finished")) >= 2
    row = _run(app, "daily")
    assert row is not None and row.last_slot is not None
    # The first run was for the slot after the worker started, never for the one it started in.
    assert row.last_slot >= periodic.slot_of(periodic.by_name("daily"), datetime.now(UTC)) - 1


def test_two_workers_run_each_slot_once(app, db, worker):
    started = time.monotonic()
    log = worker(count=2, C2C_PERIODIC_QUEUE_COUNTS_SECONDS="2", C2C_PERIODIC_AUDIT_SEQUENCER_SECONDS="2")
    _wait(lambda: (_run(app, "queue-counts") or PeriodicRun(runs=0)).runs >= 3, 60, "three recounts", log)
    elapsed = time.monotonic() - started
    row = _run(app, "queue-counts")
    assert row is not None and row.runs <= elapsed / 2 + 1, (row.runs, elapsed)
    with app.app_context():
        assert audit.verify(db).ok  # two companions, one sequence
    db.rollback()


def test_admin_sees_when_each_job_last_ran(app, client, db, signed_in):
    from c2c_safety.core.periodic import PERIODIC, claim_slot, finish

    with app.app_context():
        job = PERIODIC[0]
        claim_slot(db, job, 1, datetime(2020, 1, 1, tzinfo=UTC))
        finish(db, job, datetime(2020, 1, 1, tzinfo=UTC))
        db.commit()
    signed_in("admin")
    html = client.get("/admin/jobs/").get_data(as_text=True)
    for j in PERIODIC:
        assert j.name in html
    assert "Overdue" in html and "2020-01-01" in html and "Has never run" in html
    assert client.get("/readyz").get_data(as_text=True).count("audit-sequencer") == 0  # nothing for anonymous


def test_jobs_status_cli_exits_1_when_something_is_overdue(app):
    out = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert out.exit_code == 1 and "never" in out.output


def test_a_slot_is_claimed_once_even_if_redis_forgot_it(app, db):
    """The database side of "exactly once": a run claims its slot before working; a second
    run of the same (or an older) slot — Redis lost the job id and it was enqueued again —
    does nothing."""
    job = periodic.by_name("queue-counts")
    now = datetime.now(UTC)
    with app.app_context():
        assert periodic.claim_slot(db, job, 100, now) is True
        assert periodic.claim_slot(db, job, 100, now) is False
        assert periodic.claim_slot(db, job, 99, now) is False
        assert periodic.claim_slot(db, job, 101, now) is True
        db.commit()
    assert db.get(PeriodicRun, "queue-counts").runs == 2


def test_status_waits_for_a_first_run_then_calls_it_late(app, db):
    from datetime import timedelta

    started = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    with app.app_context():
        periodic.claim_slot(db, periodic.by_name("audit-sequencer"), 1, started)
        periodic.finish(db, periodic.by_name("audit-sequencer"), started)
        db.commit()
        soon = {s.job.name: s.state for s in periodic.status(db, started + timedelta(seconds=30))}
        later = {s.job.name: s.state for s in periodic.status(db, started + timedelta(hours=3))}
        next_day = {s.job.name: s.state for s in periodic.status(db, started + timedelta(days=1, hours=1))}
    db.rollback()
    assert soon["queue-counts"] == "waiting" and soon["daily"] == "waiting"
    assert later["queue-counts"] == "never" and later["audit-sequencer"] == "overdue"
    assert later["daily"] == "waiting"  # its first slot is 02:30 the next day, plus a margin
    assert next_day["daily"] == "never"
