"""The cover job run by a real worker process (issue 19, item 6): an overdue referral nobody
took up is escalated to its deputy, then — once the configured interval has passed — to the
CEO, each step once however many times the job runs. The clock is controlled the way the
other periodic tests do it: a short period for the job, and the referral's opening (and the
deputy step) moved into the past in the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from c2c_safety.core.db import new_session
from models import AuditEvent, Notice, PeriodicRun, utcnow
from models.review import SafeguardingReferral
from models.safeguarding_records import SafeguardingEscalation
from tests.safeguarding.test_people_and_actions import teacher_dm
from tests.support.safeguarding import referral_id
from tests.workers.test_periodic import _read, _run, _wait, worker  # noqa: F401  (worker is a fixture)


def _steps(app) -> list[str]:
    s = new_session(app)
    try:
        return list(s.scalars(select(SafeguardingEscalation.step).order_by(SafeguardingEscalation.id)))
    finally:
        s.close()


def test_the_worker_escalates_an_overdue_referral_to_the_deputy_then_the_ceo(app, db, make_user, worker):  # noqa: F811
    make_user("safeguarding_lead")
    make_user("safeguarding_lead")
    ceo = make_user("ceo")
    rid = referral_id(app, teacher_dm(app))
    db.execute(update(SafeguardingReferral).values(opened_at=utcnow() - timedelta(hours=25)))
    db.commit()
    deputy_id = db.get(SafeguardingReferral, rid).deputy_id
    db.close()
    log = worker(C2C_PERIODIC_SAFEGUARDING_COVER_SECONDS="2")
    _wait(lambda: _steps(app) == ["deputy"], 60, "the deputy step", log)
    # Several more runs change nothing until the CEO's interval (24 h) has passed...
    _wait(lambda: (_run(app, "safeguarding-cover") or PeriodicRun(runs=0)).runs >= 3, 60, "more runs", log)
    assert _steps(app) == ["deputy"]
    # ...which it now has.
    s = new_session(app)
    s.execute(update(SafeguardingEscalation).values(at=utcnow() - timedelta(hours=25)))
    s.commit()
    s.close()
    _wait(lambda: _steps(app) == ["deputy", "ceo"], 60, "the CEO step", log)
    runs = (_run(app, "safeguarding-cover") or PeriodicRun(runs=0)).runs
    _wait(lambda: (_run(app, "safeguarding-cover") or PeriodicRun(runs=0)).runs >= runs + 2, 60, "more runs", log)
    assert _steps(app) == ["deputy", "ceo"]  # once per step
    assert _read(app, select(func.count()).select_from(Notice).where(
        Notice.kind == "safeguarding_overdue", Notice.user_id == deputy_id)) == 1
    assert _read(app, select(func.count()).select_from(Notice).where(
        Notice.kind == "safeguarding_overdue", Notice.user_id == ceo.id)) == 1
    assert _read(app, select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "safeguarding.escalated_overdue")) == 2
    assert _run(app, "safeguarding-cover").last_status in ("ok", "running")
