from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select, update

from c2c_safety.audit import log as audit
from models import AuditEvent


def _write_events(app, db, n: int = 5) -> None:
    with app.app_context():
        for i in range(n):
            audit.record(db, "test.event", target_type="thing", target_id=i, details={"n": i})
        db.commit()


def _verify(app, db) -> audit.VerifyResult:
    with app.app_context():
        return audit.verify(db)


def test_chain_verifies(app, db):
    _write_events(app, db)
    result = _verify(app, db)
    assert result.ok and result.checked == 5


def test_each_row_links_to_the_previous_hash(app, db):
    _write_events(app, db, 3)
    rows = list(db.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert rows[0].prev_hash == audit.GENESIS
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash


def test_altered_row_is_caught(app, db):
    _write_events(app, db)
    db.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(details={"n": 99}))
    db.commit()
    result = _verify(app, db)
    assert not result.ok and result.first_bad_seq == 3
    assert "altered" in result.problem


def test_deleted_row_is_caught(app, db):
    _write_events(app, db)
    db.delete(db.scalars(select(AuditEvent).where(AuditEvent.seq == 2)).one())
    db.commit()
    result = _verify(app, db)
    assert not result.ok and result.first_bad_seq == 3


def test_inserted_row_is_caught(app, db):
    """A forged row spliced into the middle: without the key its hash cannot be right, and
    even with a recomputed plain hash the next row no longer chains to it."""
    _write_events(app, db)
    rows = list(db.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    for ev in reversed(rows[2:]):  # make room after seq 2
        ev.seq += 100
    db.flush()
    for ev in rows[2:]:
        ev.seq -= 99
    db.flush()
    forged = AuditEvent(seq=3, at=rows[1].at, actor_label="mallory", action="test.event",
                        target_type="thing", target_id="x", details={}, prev_hash=rows[1].hash,
                        hash="0" * 64)
    db.add(forged)
    db.commit()
    result = _verify(app, db)
    assert not result.ok and result.first_bad_seq == 3


def test_verify_cli_reports_tampering(app, db, tmp_path, database_url, redis_url):
    _write_events(app, db)
    env = {
        "C2C_ENV": "test", "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": redis_url,
        "C2C_INSTANCE_PATH": app.config["C2C"].instance_path.as_posix(), "PATH": "/usr/bin:/bin",
    }
    ok = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "audit", "verify"],
                        env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "intact: 5 entries" in ok.stdout
    db.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(action="test.other"))
    db.commit()
    bad = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "audit", "verify"],
                         env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert "BROKEN at seq 4" in bad.stderr
