"""The sequencer against real concurrency: writers in several processes committing out of id
order, two sequencers at once, and a sequencer killed in the middle of a batch."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from c2c_safety.audit import log as audit
from c2c_safety.audit import sequencer
from models import AuditEvent, AuditLogState

ROOT = Path(__file__).resolve().parents[2]


def _env(app, database_url, redis_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
    env.update({"C2C_ENV": "test", "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": redis_url,
                "C2C_INSTANCE_PATH": str(app.config["C2C"].instance_path), "PYTHONPATH": str(ROOT),
                "C2C_LOG_LEVEL": "WARNING"})
    return env


def _spawn(env, *args):
    return subprocess.Popen([sys.executable, "-m", "tests.audit.procs", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _seqs(db):
    return db.scalars(select(AuditEvent.seq).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)).all()


def test_concurrent_writers_and_two_sequencers_make_one_gapless_sequence(app, db, database_url, redis_url):
    env = _env(app, database_url, redis_url)
    writers = [_spawn(env, "writer", "120", str(seed)) for seed in range(4)]
    sequencers = [_spawn(env, "sequencer", "8") for _ in range(2)]
    errors = []
    for proc in writers + sequencers:
        _out, err = proc.communicate(timeout=180)
        if proc.returncode != 0:
            errors.append(err[-3000:])
    assert not errors, errors[0]
    with app.app_context():
        sequencer.sequence_pending(db)  # whatever the loops left for the last moment
        check = audit.verify(db)
    db.rollback()
    assert check.ok, check
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == 480
    assert _seqs(db) == list(range(1, 481))  # one sequence: no gap, no duplicate, nothing skipped
    state = db.get(AuditLogState, 1)
    assert state is not None and state.size == 480
    if db.get_bind().dialect.name == "postgresql":
        # The case that breaks an id watermark happened: an entry with a lower id was
        # sequenced after one with a higher id, and still got its place.
        pairs = db.execute(select(AuditEvent.id, AuditEvent.seq).order_by(AuditEvent.id)).all()
        assert any(b.seq < a.seq for a, b in itertools.pairwise(pairs))


def test_a_sequencer_killed_mid_batch_loses_nothing_and_sequences_nothing_twice(app, db, database_url,
                                                                                 redis_url):
    with app.app_context():
        for i in range(3):
            audit.record(db, "test.before", target_id=i)
        db.commit()
        sequencer.sequence_pending(db)
        for i in range(200):
            audit.record(db, "test.pending", target_id=i)
        db.commit()
    proc = _spawn(_env(app, database_url, redis_url), "pause-before-commit")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read() if proc.stderr else ""
        # The batch has numbered, linked and signed 200 entries and moved the state row; kill it now.
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)  # closes the pipes
    db.rollback()
    assert _seqs(db) == [1, 2, 3]
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))) == 200
    assert db.get(AuditLogState, 1).size == 3
    with app.app_context():
        result = sequencer.sequence_pending(db)
        check = audit.verify(db)
    db.rollback()
    assert result.sequenced == 200 and check.ok, check
    assert _seqs(db) == list(range(1, 204))
