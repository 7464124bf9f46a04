"""A database administrator without the keys cannot leave `audit verify` green (issue 20.3).

Each attack of the report is reproduced as the administrator would do it (SQL on the tables,
appends to or removal of the witness file), followed by what the desk does next on its own
(new entries, the sequencer), and then verified."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

import workers.context
from c2c_safety.audit import chain, checkpoints, sequencer
from c2c_safety.audit import log as audit
from models import AuditCheckpoint, AuditEvent, AuditLogState, Notice, utcnow


def _write(app, db, n=3, action="test.event"):
    with app.app_context():
        for i in range(n):
            audit.record(db, action, target_type="thing", target_id=i)
        db.commit()


def _sequence(app, db):
    with app.app_context():
        return sequencer.sequence_pending(db)


def _verify(app, db):
    with app.app_context():
        result = audit.verify(db)
    db.rollback()
    return result


def _texts(result):
    return " | ".join(p.text for p in result.problems)


def _witness(app):
    return app.config["C2C"].audit_witness


def _cut_to(db, size):
    """Delete every entry after `size`, rewind the state row to match and delete the
    checkpoint rows that would tell: the database is consistent with a shorter log."""
    head = db.scalar(select(AuditEvent.hash).where(AuditEvent.seq <= size, AuditEvent.hash.is_not(None))
                     .order_by(AuditEvent.seq.desc()).limit(1)) or chain.GENESIS
    db.execute(delete(AuditEvent).where(AuditEvent.seq > size))
    db.execute(update(AuditLogState).values(size=size, head=head))
    db.execute(delete(AuditCheckpoint).where(AuditCheckpoint.size > size))
    db.commit()


def test_stall_delete_pending_and_restore_is_caught(app, db):
    """Rewrite the state's head: the sequencer refuses to sign and records a signed incident
    in the witness naming the pending entries; delete the pending one you dislike; restore
    the head; the sequencer resumes. Verify names the incident and the entry that is gone."""
    _write(app, db, 4)
    _sequence(app, db)
    _write(app, db, 2)
    _write(app, db, 1, action="case.viewed")
    good_head = db.scalar(select(AuditLogState.head))
    db.execute(update(AuditLogState).values(head="f" * 64))
    db.commit()
    with app.app_context(), pytest.raises(sequencer.LogForkedError) as forked:
        sequencer.sequence_pending(db)
    assert forked.value.incident is not None
    with app.app_context(), pytest.raises(sequencer.LogForkedError) as again:
        sequencer.sequence_pending(db)  # the next pass half a second later: the same incident, once
    assert again.value.incident is None
    db.rollback()
    db.execute(delete(AuditEvent).where(AuditEvent.action == "case.viewed"))
    db.execute(update(AuditLogState).values(head=good_head))
    db.commit()
    assert _sequence(app, db).sequenced == 2
    check = _verify(app, db)
    assert not check.ok and check.incidents == 1, check
    assert "INCIDENT" in _texts(check) and "1 of those it named are gone now" in _texts(check)
    lines = [ln for ln in _witness(app).read_text().splitlines() if '"kind":"incident"' in ln]
    assert len(lines) == 1 and '"reason":"forked"' in lines[0]


def test_the_incident_survives_deleting_its_database_row(app, db):
    _write(app, db, 2)
    _sequence(app, db)
    db.execute(update(AuditLogState).values(size=1))
    db.commit()
    with app.app_context(), pytest.raises(sequencer.LogForkedError):
        sequencer.sequence_pending(db)
    db.rollback()
    db.execute(update(AuditLogState).values(size=2))
    db.execute(delete(AuditCheckpoint).where(AuditCheckpoint.kind == "incident"))
    db.commit()
    check = _verify(app, db)
    assert not check.ok and "INCIDENT" in _texts(check)


def test_the_worker_notifies_the_reviewer_and_admins_of_a_forked_log(app, db, make_user, monkeypatch):
    reviewer, admin = make_user("independent_reviewer"), make_user("admin")
    monkeypatch.setattr(workers.context, "_app", app)  # the job runs in this test's desk
    import workers.audit as job

    _write(app, db, 2)
    _sequence(app, db)
    db.execute(update(AuditLogState).values(head="e" * 64))
    db.commit()
    with pytest.raises(sequencer.LogForkedError):
        job.sequence()
    notices = db.scalars(select(Notice).where(Notice.kind == "audit_alarm")).all()
    assert {(n.user_id, n.link) for n in notices} == {(reviewer.id, "/review/audit/verify"),
                                                      (admin.id, "/admin/jobs")}


def test_the_reviewer_sees_the_incident_on_the_verify_page(app, db, client, signed_in):
    signed_in("independent_reviewer")
    _write(app, db, 2)
    _sequence(app, db)
    head = db.scalar(select(AuditLogState.head))
    db.execute(update(AuditLogState).values(head="d" * 64))
    db.commit()
    with app.app_context(), pytest.raises(sequencer.LogForkedError):
        sequencer.sequence_pending(db)
    db.rollback()
    db.execute(update(AuditLogState).values(head=head))
    db.commit()
    _sequence(app, db)
    html = client.get("/review/audit/verify").get_data(as_text=True)
    assert "BROKEN" in html and "INCIDENT" in html and "refused to sign" in html


def test_a_replayed_older_witness_line_is_caught(app, db):
    """Append the older checkpoint 4 to the witness, cut the log to 4 and delete the newer
    checkpoint rows: the witness's largest checkpoint (7) still tells, and the replayed
    line goes backwards."""
    _write(app, db, 4)
    _sequence(app, db)
    with app.app_context():
        old = sequencer.latest_signed(db)
    db.rollback()
    _write(app, db, 3)
    _sequence(app, db)
    with _witness(app).open("a") as fh:
        fh.write(old.line + "\n")
    _cut_to(db, 4)
    check = _verify(app, db)
    texts = _texts(check)
    assert not check.ok and "replayed" in texts and "witnessed checkpoint 7" in texts, check


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_witness_gone_with_every_checkpoint_row_fails_a_cut_log(app, db, how):
    _write(app, db, 5)
    _sequence(app, db)
    _write(app, db, 2)
    _sequence(app, db)
    _cut_to(db, 5)
    db.execute(delete(AuditCheckpoint))
    db.commit()
    if how == "emptied":
        _witness(app).write_text("")
    else:
        _witness(app).unlink()
    check = _verify(app, db)
    texts = _texts(check)
    assert not check.ok and "no signed checkpoint exists anywhere" in texts, check
    assert ("holds no signed checkpoint" if how == "emptied" else "is missing") in texts


def test_a_witness_line_that_does_not_verify_anywhere_is_caught(app, db):
    _write(app, db, 2)
    _sequence(app, db)
    _write(app, db, 2)
    _sequence(app, db)
    lines = _witness(app).read_text().splitlines()
    lines[0] = lines[0].replace('"size":2', '"size":3')
    _witness(app).write_text("\n".join(lines) + "\n")
    check = _verify(app, db)
    assert not check.ok and "do not verify" in _texts(check)


def _backdated(app, db, seconds):
    """An entry written `seconds` ago (by a writer whose transaction held it that long, or
    that the sequencer did not take that long): correctly keyed, only old."""
    with app.app_context():
        key = chain.audit_key()
    c = chain.Content(uid=chain.new_uid(time.time() - seconds), at=utcnow(), actor_id=None,
                      actor_label="system", action="test.old", target_type="", target_id="", case_id=None,
                      details={})
    db.execute(insert(AuditEvent).values(**c.__dict__, mac=chain.entry_mac(key, c)))
    db.commit()


def test_a_pending_entry_older_than_the_bound_is_an_alarm(app, db):
    _write(app, db, 2)
    _sequence(app, db)
    _backdated(app, db, chain.WAIT_ALARM_SECONDS + 30)
    check = _verify(app, db)
    assert not check.ok and "ALARM: 1 entries have waited" in _texts(check), check
    _write(app, db, 1)
    assert _verify(app, db).pending == 2


def test_a_batch_that_waited_too_long_is_signed_and_stays_an_alarm(app, db):
    _write(app, db, 2)
    _backdated(app, db, chain.WAIT_ALARM_SECONDS + 30)
    result = _sequence(app, db)
    assert result.checkpoint is not None and result.checkpoint.wait > chain.WAIT_ALARM_SECONDS
    check = _verify(app, db)
    assert not check.ok and "waited" in _texts(check) and "to be sequenced" in _texts(check)


def test_a_fresh_batch_is_signed_with_a_short_wait(app, db):
    _write(app, db, 3)
    result = _sequence(app, db)
    assert result.checkpoint is not None and result.checkpoint.wait < 5
    assert _verify(app, db).ok


def test_uids_carry_the_time_they_were_written():
    before = time.time()
    uid = chain.new_uid()
    assert len(uid) == 32 and before - 0.01 <= chain.uid_time(uid) <= time.time() + 0.01
    assert chain.uid_time("z" * 32) is None and chain.uid_time("ab") is None


def test_a_sequencer_that_kept_failing_past_the_bound_records_a_stall(app, db, redis_conn, monkeypatch):
    """Redis (out of the database's reach) says a pass last completed two minutes ago and
    passes kept starting since (the database made each one fail, or hung it on a lock): the
    pass that finally completes signs a "stalled" incident, though nothing pending is left
    to show for it, and verify fails."""
    import workers.audit as job

    monkeypatch.setattr(workers.context, "_app", app)
    _write(app, db, 2)
    _sequence(app, db)
    now = time.time()
    redis_conn.set(job.DONE_KEY, f"{now - chain.STALL_ALARM_SECONDS - 60:.3f}")
    redis_conn.set(job.TRYING_KEY, f"{now - 1:.3f}")
    job.sequence()
    check = _verify(app, db)
    assert not check.ok and "could not run" in _texts(check), check
    assert db.scalars(select(Notice).where(Notice.kind == "audit_alarm")).all() == []  # nobody to tell yet


def _reset(app, db):
    db.rollback()
    for model in (AuditEvent, AuditCheckpoint, AuditLogState):
        db.execute(delete(model))
    db.commit()
    _witness(app).unlink(missing_ok=True)


def _stall(app, db, change, then):
    """Change the state row, let the sequencer's next pass see it, do `then`, put it back."""
    size, head = db.execute(select(AuditLogState.size, AuditLogState.head)).one()
    db.execute(update(AuditLogState).values(**change(size, head)))
    db.commit()
    with app.app_context(), pytest.raises(sequencer.LogForkedError):
        sequencer.sequence_pending(db)
    db.rollback()
    _write(app, db, 2, action="case.viewed")  # the desk carries on while the sequencer refuses
    then()
    db.execute(update(AuditLogState).values(size=size, head=head))
    db.commit()


def _attack(app, db, name, pick):
    size = db.scalar(select(AuditLogState.size))

    def drop_pending():
        now_pending = db.scalars(select(AuditEvent.id).where(AuditEvent.seq.is_(None))
                                 .order_by(AuditEvent.id)).all()
        db.execute(delete(AuditEvent).where(AuditEvent.id == now_pending[pick % len(now_pending)]))
        db.commit()

    if name == "stall_drop_pending":
        _stall(app, db, lambda s, h: {"head": "f" * 64}, drop_pending)
    elif name == "stall_rewind_drop_pending":
        _stall(app, db, lambda s, h: {"size": s - 1}, drop_pending)
    elif name == "stall_and_restore":
        _stall(app, db, lambda s, h: {"head": "a" * 64}, lambda: None)
    elif name == "cut_end":
        _cut_to(db, max(1, size - 1 - pick % max(size - 1, 1)))
    elif name == "replay_older_line":
        first = _witness(app).read_text().splitlines()[0]
        with _witness(app).open("a") as fh:
            fh.write(first + "\n")
        _cut_to(db, checkpoints.parse(first, _pub(app)).size)
    elif name in ("empty_witness", "delete_witness"):
        # At least one entry stays: a database and witness emptied of everything look like a
        # desk that was never used (docs/audit-log.md, "Limits": keep the witness append-only).
        _cut_to(db, max(1, size - 1))
        db.execute(delete(AuditCheckpoint))
        db.commit()
        if name == "empty_witness":
            _witness(app).write_text("")
        else:
            _witness(app).unlink()
    elif name == "delete_checkpoint_rows":
        db.execute(delete(AuditCheckpoint))
        db.commit()
    elif name == "drop_middle":
        db.execute(delete(AuditEvent).where(AuditEvent.seq == 1 + pick % max(size - 1, 1)))
        db.commit()
    elif name == "swap_sequenced":
        one = 1 + pick % max(size - 1, 1)
        db.execute(update(AuditEvent).where(AuditEvent.seq == one).values(seq=-1))
        db.execute(update(AuditEvent).where(AuditEvent.seq == one + 1).values(seq=one))
        db.execute(update(AuditEvent).where(AuditEvent.seq == -1).values(seq=one + 1))
        db.commit()


def _pub(app):
    with app.app_context():
        return checkpoints.public_key()


ATTACKS = ["stall_drop_pending", "stall_rewind_drop_pending", "stall_and_restore", "cut_end", "replay_older_line",
           "empty_witness", "delete_witness", "delete_checkpoint_rows", "drop_middle", "swap_sequenced"]


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(first=st.integers(2, 5), second=st.integers(1, 4), waiting=st.integers(2, 4),
       attacks=st.lists(st.sampled_from(ATTACKS), min_size=1, max_size=3, unique=True), picks=st.integers(0, 100),
       later=st.integers(0, 3))
def test_no_attack_without_the_keys_leaves_verify_green(app, db, first, second, waiting, attacks, picks, later):
    """Any mix of different attacks (the same swap twice would undo itself), after which the
    desk carries on (new entries,
    sequencer passes that may refuse): `audit verify` is never green."""
    _reset(app, db)
    _write(app, db, first)
    _sequence(app, db)
    _write(app, db, second)
    _sequence(app, db)
    assert _verify(app, db).ok
    _write(app, db, waiting)
    for name in attacks:
        _attack(app, db, name, picks)
        _write(app, db, later)
        with app.app_context():
            try:
                sequencer.sequence_pending(db)
            except sequencer.LogForkedError:
                db.rollback()
        check = _verify(app, db)
        assert not check.ok, (attacks, check)
