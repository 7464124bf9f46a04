"""The audit log: lock-free writes, batched sequencing, signed checkpoints in a witness, and
`audit verify` catching every way of cutting it short or rewriting it (issue 14)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, event, func, insert, select, update

from c2c_safety.audit import checkpoints, sequencer
from c2c_safety.audit import log as audit
from c2c_safety.audit import prune as audit_prune
from models import AuditCheckpoint, AuditEvent, AuditLogState

ROOT = Path(__file__).resolve().parents[2]


def _write(app, db, n=5, action="test.event"):
    with app.app_context():
        for i in range(n):
            audit.record(db, action, target_type="thing", target_id=i, details={"n": i, "pair": (i, "x")})
        db.commit()


def _sequence(app, db):
    with app.app_context():
        return sequencer.sequence_pending(db)


def _verify(app, db, kept=None):
    with app.app_context():
        result = audit.verify(db, kept=kept)
    db.rollback()
    return result


def _logged(app, db, n=5):
    _write(app, db, n)
    _sequence(app, db)


def _texts(result):
    return " | ".join(p.text for p in result.problems)


def test_record_is_one_insert_without_lock_or_read(app, db):
    statements: list[str] = []
    engine = app.extensions["c2c_engine"]

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with app.app_context():
            audit.record(db, "test.event", target_type="thing", target_id=1)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    db.commit()
    assert [s for s in statements if s != "BEGIN"] == ["INSERT"]  # SQLite: BEGIN IMMEDIATE
    row = db.scalars(select(AuditEvent)).one()
    assert row.seq is None and row.hash is None and len(row.mac) == 64 and len(row.uid) == 32


def test_sequencing_links_every_entry_and_signs_a_checkpoint(app, db):
    _write(app, db, 5)
    result = _sequence(app, db)
    assert result.sequenced == 5 and result.size == 5
    rows = db.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    state = db.get(AuditLogState, 1)
    assert (state.size, state.head) == (5, rows[-1].hash)
    with app.app_context():
        witness = app.config["C2C"].audit_witness.read_text().splitlines()
        cp = checkpoints.parse(witness[-1], checkpoints.public_key())
    assert (cp.kind, cp.size, cp.head) == ("checkpoint", 5, rows[-1].hash)
    check = _verify(app, db)
    assert check.ok and check.checked == 5 and check.pending == 0, check
    assert any("witnessed" in c for c in check.compared)


def test_pending_entries_verify_and_are_counted(app, db):
    _logged(app, db, 3)
    _write(app, db, 2)
    check = _verify(app, db)
    assert check.ok and check.checked == 3 and check.pending == 2


@pytest.mark.parametrize("cut", [1, 4, 10])
def test_truncating_the_end_is_caught(app, db, cut):
    _logged(app, db, 10)
    db.execute(delete(AuditEvent).where(AuditEvent.seq > 10 - cut))
    db.commit()
    check = _verify(app, db)
    assert not check.ok and "truncated" in _texts(check), check


def test_truncation_is_caught_even_with_the_database_made_consistent(app, db):
    """The administrator deletes the last 4 entries, rewinds the state row to match and
    deletes the newer checkpoints: only the witness still knows the log was longer."""
    _logged(app, db, 6)
    _logged(app, db, 4)
    row6 = db.scalars(select(AuditEvent).where(AuditEvent.seq == 6)).one()
    db.execute(delete(AuditEvent).where(AuditEvent.seq > 6))
    db.execute(update(AuditLogState).values(size=6, head=row6.hash))
    db.execute(delete(AuditCheckpoint).where(AuditCheckpoint.size > 6))
    db.commit()
    check = _verify(app, db)
    assert not check.ok and "witnessed checkpoint 10" in _texts(check) and "4 missing" in _texts(check)
    # …and the sequencer refuses to sign anything on top of the shortened log.
    _write(app, db, 1)
    with app.app_context(), pytest.raises(sequencer.LogForkedError):
        sequencer.sequence_pending(db)
    db.rollback()


def test_deleting_every_row_is_caught(app, db):
    _logged(app, db, 5)
    for model in (AuditEvent, AuditCheckpoint, AuditLogState):
        db.execute(delete(model))
    db.commit()
    check = _verify(app, db)
    assert not check.ok and check.checked == 0 and "truncated" in _texts(check)


def test_deleting_a_middle_row_is_caught(app, db):
    _logged(app, db, 5)
    db.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    db.commit()
    check = _verify(app, db)
    assert not check.ok and check.first_bad_seq == 4 and "missing" in check.problem


def test_an_edited_entry_is_caught(app, db):
    _logged(app, db, 5)
    db.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(details={"n": 99}))
    db.commit()
    check = _verify(app, db)
    assert not check.ok and check.first_bad_seq == 3 and "does not match its MAC" in check.problem


def test_a_reordered_pair_is_caught(app, db):
    _logged(app, db, 5)
    db.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(seq=-3))
    db.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(seq=3))
    db.execute(update(AuditEvent).where(AuditEvent.seq == -3).values(seq=4))
    db.commit()
    check = _verify(app, db)
    assert not check.ok and check.first_bad_seq == 3, check


def test_an_inserted_entry_is_caught(app, db):
    """Spliced into the middle (later entries renumbered) and appended at the end: without
    the key, neither the MAC nor the link can be right."""
    _logged(app, db, 5)
    db.execute(update(AuditEvent).where(AuditEvent.seq >= 3).values(seq=AuditEvent.seq + 100))
    db.execute(update(AuditEvent).where(AuditEvent.seq >= 103).values(seq=AuditEvent.seq - 99))
    prev = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 2))
    base = {"at": db.scalar(select(AuditEvent.at).where(AuditEvent.seq == 2)), "actor_label": "mallory",
            "action": "test.event", "target_type": "thing", "target_id": "x", "details": {}}
    db.execute(insert(AuditEvent).values(uid="f" * 32, seq=3, mac="0" * 64, prev_hash=prev, hash="1" * 64, **base))
    db.commit()
    middle = _verify(app, db)
    assert not middle.ok and middle.first_bad_seq == 3, middle
    db.execute(delete(AuditEvent).where(AuditEvent.uid == "f" * 32))
    db.execute(update(AuditEvent).where(AuditEvent.seq >= 4).values(seq=AuditEvent.seq + 100))
    db.execute(update(AuditEvent).where(AuditEvent.seq >= 104).values(seq=AuditEvent.seq - 101))
    last = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 5))
    db.execute(insert(AuditEvent).values(uid="e" * 32, seq=6, mac="0" * 64, prev_hash=last, hash="2" * 64, **base))
    db.commit()
    end = _verify(app, db)
    assert not end.ok and end.first_bad_seq == 6, end


def test_a_forged_pending_entry_is_refused_by_the_sequencer_and_reported(app, db):
    _logged(app, db, 2)
    db.execute(insert(AuditEvent).values(uid="d" * 32, at=db.scalar(select(func.max(AuditEvent.at))),
                                         actor_label="mallory", action="decision.made", target_type="x",
                                         target_id="1", details={}, mac="0" * 64))
    db.commit()
    assert not _verify(app, db).ok
    result = _sequence(app, db)
    assert result.sequenced == 0 and result.rejected == 1
    assert db.scalar(select(AuditEvent.seq).where(AuditEvent.uid == "d" * 32)) is None
    check = _verify(app, db)
    assert not check.ok and "written without the audit key" in _texts(check)


def _prune(app, db, through):
    with app.app_context():
        _n, record = audit_prune.prune_through(db, through, reason="test")
        db.commit()
        checkpoints.append_witness(checkpoints.witness_path(), record)


def test_a_pruned_prefix_still_verifies_and_later_cuts_are_caught(app, db):
    _logged(app, db, 8)
    _prune(app, db, 5)
    _sequence(app, db)  # the audit.pruned entry itself joins the log
    check = _verify(app, db)
    assert check.ok and check.starts_after == 5 and check.checked == 4, check
    db.execute(delete(AuditEvent).where(AuditEvent.seq == 6))  # one more than was pruned
    db.commit()
    check = _verify(app, db)
    assert not check.ok and "no signed prune record" in _texts(check)


def test_a_forged_prune_anchor_is_caught(app, db):
    """Rows 1-3 deleted and an anchor row added for them: it carries no valid signature."""
    _logged(app, db, 6)
    head3 = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 3))
    db.execute(delete(AuditEvent).where(AuditEvent.seq <= 3))
    body = json.dumps({"at": "2030-01-01T00:00:00+00:00", "first": 1, "head": head3, "key": "x", "kind": "pruned",
                       "log": "c2c-safety-audit", "reason": "retention", "sig": "AAAA", "size": 3, "v": 1})
    db.add(AuditCheckpoint(kind="pruned", size=3, head=head3, body=body))
    db.commit()
    check = _verify(app, db)
    assert not check.ok and "forged prune anchor" in _texts(check), check
    assert "no signed prune record covers them" in _texts(check)


def test_a_kept_checkpoint_catches_a_rewrite_the_witness_cannot(app, db):
    """The reviewer keeps checkpoint 4. Later the witness is lost and the log rewritten from
    entry 3 on: only the kept checkpoint still tells."""
    _logged(app, db, 4)
    with app.app_context():
        kept = sequencer.latest_signed(db)
        app.config["C2C"].audit_witness.unlink()
    db.rollback()
    assert kept is not None and kept.size == 4
    db.execute(delete(AuditEvent).where(AuditEvent.seq >= 3))
    db.execute(delete(AuditCheckpoint))
    db.execute(delete(AuditLogState))
    db.commit()
    check = _verify(app, db, kept=kept)
    assert not check.ok and "kept checkpoint 4" in _texts(check)


def test_witness_missing_is_reported(app, db):
    _logged(app, db, 2)
    with app.app_context():
        app.config["C2C"].audit_witness.unlink()
    check = _verify(app, db)
    assert not check.ok and "witness file" in check.problem


def test_verify_cli_with_a_kept_checkpoint(app, db, tmp_path, database_url, redis_url):
    _logged(app, db, 5)
    env = {
        "C2C_ENV": "test", "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": redis_url,
        "C2C_INSTANCE_PATH": app.config["C2C"].instance_path.as_posix(), "PATH": "/usr/bin:/bin",
    }

    def flask(*args):
        return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "audit", *args], cwd=ROOT,
                              env=env, capture_output=True, text=True, check=False)

    saved = flask("checkpoint")
    assert saved.returncode == 0, saved.stderr
    kept = tmp_path / "kept.json"
    kept.write_text(saved.stdout)
    ok = flask("verify", "--checkpoint", str(kept))
    assert ok.returncode == 0, ok.stderr
    assert "intact: 5 entries" in ok.stdout and "kept checkpoint 5" in ok.stdout
    db.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(action="test.other"))
    db.commit()
    bad = flask("verify", "--checkpoint", str(kept))
    assert bad.returncode == 1 and "BROKEN at seq 4" in bad.stderr
    forged = tmp_path / "forged.json"
    forged.write_text(saved.stdout.replace('"size":5', '"size":50'))
    refused = flask("verify", "--checkpoint", str(forged))
    assert refused.returncode == 1 and "not a checkpoint this desk signed" in refused.stderr


def test_production_requires_a_signing_key(tmp_path):
    from c2c_safety.core.config import Config, ConfigError

    env = {"C2C_ENV": "production", "C2C_SECRET_KEY": "s" * 40, "C2C_DATA_KEY": "k1:" + "A" * 44,
           "C2C_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="C2C_AUDIT_SIGNING_KEY"):
        Config.from_env(env)
    assert Config.from_env({**env, "C2C_AUDIT_SIGNING_KEY": "x"}).audit_signing_key == "x"
