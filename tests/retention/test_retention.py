"""Retention: the five-year clock, holds, reopening, anonymisation, idempotent and resumable
sweeps, audit pruning with an anchor. The clock is passed in (`now`), never patched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from c2c_safety.audit import log as audit
from c2c_safety.audit import sequencer
from c2c_safety.cases import closing
from c2c_safety.cases import lifecycle as cases
from c2c_safety.cases.deadlines import add_months
from c2c_safety.retention import sweep as retention
from models import (
    Attachment,
    AuditCheckpoint,
    AuditEvent,
    CaseFile,
    CaseMessage,
    CaseNote,
    CaseStatus,
    RetentionPolicy,
    RetentionRun,
    User,
    utcnow,
)
from tests.support.cases import SECRET_BODY, get, make_case, scalars

NOW = utcnow().replace(microsecond=0)
FIVE_YEARS_AGO = add_months(NOW, -60)


def _sweep(app, db, now=NOW, **kw):
    with app.app_context():
        return retention.sweep(db, now, **kw)


def _closed(app, db, closed_at, **kw):
    return make_case(app, db, status=CaseStatus.CLOSED, received_at=closed_at - timedelta(days=60),
                     closed_at=closed_at, with_attachment=True, **kw)


def test_five_years_minus_a_day_is_kept_plus_a_day_is_anonymised(app, db):
    young = _closed(app, db, FIVE_YEARS_AGO + timedelta(days=1))
    old = _closed(app, db, FIVE_YEARS_AGO - timedelta(days=1))
    result = _sweep(app, db)
    assert result.counts["cases_anonymised"] == 1
    assert get(db, CaseFile, young).anonymised_at is None
    stub = get(db, CaseFile, old)
    assert stub.anonymised_at == NOW
    # Personal data gone…
    assert stub.body_sealed is None and stub.contact_sealed is None
    assert stub.receipt_lookup is None and stub.receipt_hash is None
    assert stub.closed_approved_by_id is None and stub.assigned_to_id is None
    for model in (CaseMessage, Attachment, CaseNote):
        assert scalars(db, select(model).where(model.case_id == old)) == []
    # …statistics kept.
    assert stub.category == "ethical" and stub.outcome == "substantiated" and stub.status == "closed"
    assert stub.received_at and stub.acknowledged_at and stub.feedback_at and stub.closed_at
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.action == "retention.case_anonymised"))
    assert ev.case_id == old and SECRET_BODY not in str(ev.details) and ev.details["policy"] == "case_files"


def test_exact_boundary_is_due(app, db):
    cid = _closed(app, db, FIVE_YEARS_AGO)
    _sweep(app, db)
    assert get(db, CaseFile, cid).anonymised_at is not None


def test_reopened_and_held_cases_are_skipped(app, db, make_user):
    handler = make_user("case_handler")
    reopened = _closed(app, db, FIVE_YEARS_AGO - timedelta(days=30))
    held = _closed(app, db, FIVE_YEARS_AGO - timedelta(days=30))
    with app.app_context():
        actor = db.get(User, handler.id)
        cases.reopen(db, db.get(CaseFile, reopened), actor=actor, reason="New facts came to light.", now=NOW)
        cases.place_hold(db, db.get(CaseFile, held), actor=actor, reason="Litigation is pending.", now=NOW)
        db.commit()
    result = _sweep(app, db)
    assert result.counts["cases_anonymised"] == 0 and result.counts["held_skipped"] == 1
    assert get(db, CaseFile, reopened).anonymised_at is None
    assert get(db, CaseFile, held).anonymised_at is None


def test_a_new_closure_restarts_the_clock(app, db, make_user):
    handler = make_user("case_handler")
    cid = _closed(app, db, FIVE_YEARS_AGO - timedelta(days=30))
    with app.app_context():
        actor = db.get(User, handler.id)
        case = db.get(CaseFile, cid)
        cases.reopen(db, case, actor=actor, reason="New facts came to light.", now=NOW - timedelta(days=10))
        case.status = CaseStatus.FEEDBACK_GIVEN  # (skip the middle steps)
        closing.propose(db, case, actor=actor, outcome="not_substantiated", now=NOW - timedelta(days=5),
                        findings="Nothing in the records supports the report.")  # a lone handler: closes
        db.commit()
    _sweep(app, db)
    case = get(db, CaseFile, cid)
    assert case.anonymised_at is None and case.retention_clock_from == NOW - timedelta(days=5)
    later = add_months(NOW - timedelta(days=5), 60) + timedelta(days=1)
    _sweep(app, db, now=later)
    assert get(db, CaseFile, cid).anonymised_at is not None


def test_time_under_legal_hold_does_not_count(app, db, make_user):
    handler = make_user("case_handler")
    closed = NOW - timedelta(days=1000)
    cid = _closed(app, db, closed)
    with app.app_context():
        actor = db.get(User, handler.id)
        case = db.get(CaseFile, cid)
        cases.place_hold(db, case, actor=actor, reason="Litigation is pending.", now=closed + timedelta(days=100))
        cases.lift_hold(db, case, actor=actor, now=closed + timedelta(days=400))
        db.commit()
    case = get(db, CaseFile, cid)
    assert case.retention_clock_from == closed + timedelta(days=300) and not case.legal_hold
    actions = set(scalars(db, select(AuditEvent.action).where(AuditEvent.case_id == cid)))
    assert {"case.legal_hold_placed", "case.legal_hold_lifted"} <= actions
    # Due 5 years after closure plus the 300 held days, not before.
    due = add_months(closed + timedelta(days=300), 60)
    _sweep(app, db, now=due - timedelta(days=1))
    assert get(db, CaseFile, cid).anonymised_at is None
    _sweep(app, db, now=due + timedelta(days=1))
    assert get(db, CaseFile, cid).anonymised_at is not None


def test_sweep_is_idempotent(app, db):
    for _ in range(3):
        _closed(app, db, FIVE_YEARS_AGO - timedelta(days=3))
    first = _sweep(app, db)
    second = _sweep(app, db)
    assert first.counts["cases_anonymised"] == 3 and second.counts["cases_anonymised"] == 0
    assert len(scalars(db, select(AuditEvent).where(AuditEvent.action == "retention.case_anonymised"))) == 3


class KilledError(Exception):
    pass


def test_sweep_killed_halfway_is_finished_by_the_next_run(app, db):
    ids = [_closed(app, db, FIVE_YEARS_AGO - timedelta(days=i + 1)) for i in range(5)]

    def kill(batch: int) -> None:
        if batch == 1:
            raise KilledError

    with pytest.raises(KilledError):
        _sweep(app, db, batch_size=2, after_batch=kill)
    db.rollback()
    done = [c for c in ids if get(db, CaseFile, c).anonymised_at is not None]
    assert len(done) == 2  # the first batch committed, nothing else
    runs = scalars(db, select(RetentionRun))
    assert runs[0].status == "running"
    result = _sweep(app, db, batch_size=2)
    assert result.counts["cases_anonymised"] == 3
    assert all(get(db, CaseFile, c).anonymised_at is not None for c in ids)
    assert scalars(db, select(RetentionRun.status).order_by(RetentionRun.id)) == ["interrupted", "finished"]
    with app.app_context():
        assert audit.verify(db).ok


def test_dry_run_lists_what_and_why_and_changes_nothing(app, db):
    cid = _closed(app, db, FIVE_YEARS_AGO - timedelta(days=1))
    held = _closed(app, db, FIVE_YEARS_AGO - timedelta(days=1), legal_hold=True)
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    db.commit()
    with app.app_context():
        planned = retention.plan(db, NOW)
        db.rollback()
    refs = {p.record: p for p in planned}
    assert refs[get(db, CaseFile, cid).reference].action == "anonymise"
    assert "60 months elapsed" in refs[get(db, CaseFile, cid).reference].why
    assert refs[get(db, CaseFile, held).reference].action == "skip"
    assert get(db, CaseFile, cid).anonymised_at is None
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before
    db.commit()


def test_cli_dry_run_and_run(app, db):
    _closed(app, db, FIVE_YEARS_AGO - timedelta(days=1))
    runner = app.test_cli_runner()
    out = runner.invoke(args=["retention", "run", "--dry-run", "--now", NOW.isoformat()])
    assert out.exit_code == 0 and "anonymise" in out.output and "nothing written" in out.output
    out = runner.invoke(args=["retention", "run", "--now", NOW.isoformat()])
    assert out.exit_code == 0 and "cases_anonymised=1" in out.output


def _old_audit_rows(app, db, n, start, case_id=None):
    with app.app_context():
        for i in range(n):
            audit.record(db, "test.old", target_type="thing", target_id=i, case_id=case_id,
                         at=start + timedelta(minutes=i))
        db.commit()
        sequencer.sequence_pending(db)  # what the workers' sequencer does within seconds


def test_audit_pruning_keeps_the_chain_verifiable(app, db):
    old = NOW - timedelta(days=200)
    _old_audit_rows(app, db, 30, old)
    _old_audit_rows(app, db, 5, NOW - timedelta(days=10))
    result = _sweep(app, db, batch_size=1)  # 10 rows per prune batch: several anchors
    assert result.counts["audit_pruned"] == 30
    # Each prune leaves a signed record (the anchor later entries chain from), in the witness too.
    assert db.scalar(select(func.count()).select_from(AuditCheckpoint).where(AuditCheckpoint.kind == "pruned")) == 3
    with app.app_context():
        witness = app.config["C2C"].audit_witness.read_text()
    assert witness.count('"kind":"pruned"') == 3
    with app.app_context():
        check = audit.verify(db)
    db.commit()
    assert check.ok, check
    pruned = scalars(db, select(AuditEvent).where(AuditEvent.action == "audit.pruned"))
    assert [p.details["through_seq"] for p in pruned] == [10, 20, 30]
    # Tampering with what is left is still caught.
    first_kept = scalars(db, select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq).limit(1))[0]
    db.execute(AuditEvent.__table__.delete().where(AuditEvent.seq == first_kept.seq))
    db.commit()
    with app.app_context():
        assert not audit.verify(db).ok
    db.commit()


def test_audit_rows_of_a_live_case_stop_the_prefix(app, db):
    old = NOW - timedelta(days=200)
    _old_audit_rows(app, db, 3, old - timedelta(days=5))
    live = make_case(app, db)
    _old_audit_rows(app, db, 2, old, case_id=live)
    _old_audit_rows(app, db, 3, old + timedelta(days=1))
    result = _sweep(app, db)
    assert result.counts["audit_pruned"] == 3
    kept = scalars(db, select(AuditEvent).where(AuditEvent.case_id == live))
    assert len(kept) == 2
    with app.app_context():
        assert audit.verify(db).ok
    db.commit()


def test_audit_rows_of_an_anonymised_case_are_pruned_after_it(app, db):
    cid = _closed(app, db, FIVE_YEARS_AGO - timedelta(days=2))
    _old_audit_rows(app, db, 2, NOW - timedelta(days=400), case_id=cid)
    result = _sweep(app, db, now=NOW)
    # the case's old rows go once the case is a stub; the anonymisation entry is recent and stays
    assert result.counts["cases_anonymised"] == 1 and result.counts["audit_pruned"] == 2


def test_admin_changes_periods_within_the_legal_floor(app, client, db, signed_in):
    from tests.conftest import post_form

    admin = signed_in("admin")
    assert client.get("/admin/retention/").status_code == 200
    too_short = post_form(client, "/admin/retention/case_files", {"period": "59"}, token_from="/admin/retention/")
    assert too_short.status_code == 400 and "legal minimum" in too_short.get_data(as_text=True)
    ok = post_form(client, "/admin/retention/moderation", {"period": "36"}, token_from="/admin/retention/")
    assert ok.status_code == 302
    pol = scalars(db, select(RetentionPolicy).where(RetentionPolicy.category == "moderation"))[0]
    assert pol.period == 36 and pol.updated_by_id == admin.id
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.action == "retention.policy_changed"))
    assert ev.details == {"category": "moderation", "from": 24, "to": 36, "unit": "months"}
    rows = {p.category for p in scalars(db, select(RetentionPolicy))}
    assert rows == {"case_files", "moderation", "audit_log", "parental_consent", "safeguarding_referrals"}


def test_longer_case_period_postpones_anonymisation(app, db, make_user):
    admin = make_user("admin")
    cid = _closed(app, db, FIVE_YEARS_AGO - timedelta(days=10))
    with app.app_context():
        retention.set_period(db, "case_files", 72, actor=db.get(User, admin.id))
        db.commit()
    _sweep(app, db)
    assert get(db, CaseFile, cid).anonymised_at is None


def test_progress_total_matches_the_batches_a_sweep_takes(app, db):
    for _ in range(3):
        _closed(app, db, FIVE_YEARS_AGO - timedelta(days=1))
    db.commit()
    with app.app_context():
        expected = retention.batches_due(db, NOW, batch_size=2)
        seen: list[int] = []
        retention.sweep(db, NOW, batch_size=2, after_batch=seen.append)
        db.commit()
    assert expected == 2   # 3 cases due, batches of 2 (the bar's total, read-only)
    assert len(seen) >= expected   # audit pruning may add batches the estimate leaves out
    assert retention.batches_due(db, NOW, batch_size=2) == 0
