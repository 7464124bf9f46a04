"""Cover for overdue referrals (issue 19, item 6: the schedule). The rule alone, then the
service on a real database with a controlled clock: the deputy first, the CEO after the
configured interval, once per step and per opening, with notices, records and audit rows.
(The real worker running it is tests/workers/test_safeguarding_cover.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from c2c_safety.core.db import new_session
from c2c_safety.safeguarding import escalation
from c2c_safety.safeguarding.escalation import CEO, DEPUTY, next_step
from models import AuditEvent, Notice, User
from models.review import SafeguardingReferral
from models.safeguarding_records import SafeguardingEscalation
from tests.safeguarding.test_people_and_actions import teacher_dm
from tests.support.safeguarding import open_referral, people, record, referral_id

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_the_rule():
    kw = {"opened_at": T0, "target": DAY, "ceo_after": timedelta(hours=12)}
    assert next_step(**kw, now=T0 + DAY - timedelta(seconds=1), taken_up=False, deputy_at=None, ceo_done=False) is None
    assert next_step(**kw, now=T0 + DAY, taken_up=False, deputy_at=None, ceo_done=False) == DEPUTY
    assert next_step(**kw, now=T0 + 3 * DAY, taken_up=True, deputy_at=None, ceo_done=False) is None
    deputy_at = T0 + DAY + timedelta(minutes=5)
    assert next_step(**kw, now=deputy_at + timedelta(hours=11), taken_up=False, deputy_at=deputy_at,
                     ceo_done=False) is None
    assert next_step(**kw, now=deputy_at + timedelta(hours=12), taken_up=False, deputy_at=deputy_at,
                     ceo_done=False) == CEO
    assert next_step(**kw, now=deputy_at + 9 * DAY, taken_up=False, deputy_at=deputy_at, ceo_done=True) is None


@given(target_h=st.integers(1, 200), ceo_h=st.integers(1, 336), later=st.integers(0, 2000), taken=st.booleans())
def test_never_the_ceo_before_the_deputy_nor_anything_once_taken_up(target_h, ceo_h, later, taken):
    now = T0 + timedelta(hours=later)
    step = next_step(opened_at=T0, target=timedelta(hours=target_h), ceo_after=timedelta(hours=ceo_h), now=now,
                     taken_up=taken, deputy_at=None, ceo_done=False)
    assert step in (None, DEPUTY)
    assert (step == DEPUTY) == (not taken and later >= target_h)


def _users(app, make_user):
    lead = make_user("safeguarding_lead", email="a-lead@test.c2c")
    deputy = make_user("safeguarding_lead", email="b-deputy@test.c2c")
    ceo = make_user("ceo")
    return lead, deputy, ceo


def _run(app, now):
    with app.app_context():
        s = new_session(app)
        try:
            steps = escalation.run(s, now)
            s.commit()
            return [(x.referral_id, x.step) for x in steps]
        finally:
            s.close()


def _opened(app, rid) -> datetime:
    with app.app_context():
        s = new_session(app)
        try:
            return s.get(SafeguardingReferral, rid).opened_at
        finally:
            s.close()


def test_deputy_then_ceo_once_each_with_notices_records_and_audit(app, db, make_user):
    _users(app, make_user)
    rid = referral_id(app, teacher_dm(app))
    ref = db.get(SafeguardingReferral, rid)
    lead_id, deputy_id, opened = ref.assigned_to_id, ref.deputy_id, ref.opened_at
    db.rollback()
    assert lead_id and deputy_id and lead_id != deputy_id
    assert _run(app, opened + DAY - timedelta(minutes=1)) == []
    assert _run(app, opened + DAY + timedelta(minutes=1)) == [(rid, DEPUTY)]
    for _ in range(3):  # however often the job runs
        assert _run(app, opened + DAY + timedelta(minutes=2)) == []
    assert _run(app, opened + DAY + timedelta(hours=23)) == []  # the CEO waits the configured 24 h
    assert _run(app, opened + 2 * DAY + timedelta(minutes=2)) == [(rid, CEO)]
    assert _run(app, opened + 5 * DAY) == []
    rows = {e.step: e for e in db.scalars(select(SafeguardingEscalation))}
    assert set(rows) == {DEPUTY, CEO} and rows[DEPUTY].recipient_ids == [deputy_id]
    ceo_ids = [u.id for u in db.scalars(select(User)) if u.has_role("ceo")]
    assert rows[CEO].recipient_ids == ceo_ids
    notices = db.scalars(select(Notice).where(Notice.kind == "safeguarding_overdue")).all()
    assert sorted(n.user_id for n in notices) == sorted([deputy_id, *ceo_ids])
    assert all(n.link == f"/safeguarding/referrals/{rid}" for n in notices)
    audits = db.scalars(select(AuditEvent).where(AuditEvent.action == "safeguarding.escalated_overdue")).all()
    assert [a.details["step"] for a in audits] == [DEPUTY, CEO]
    db.rollback()


def test_without_a_deputy_the_other_leads_are_told(app, db, make_user):
    lead, deputy, _ceo = _users(app, make_user)
    rid = referral_id(app, teacher_dm(app))
    db.get(SafeguardingReferral, rid).deputy_id = None
    db.commit()
    ref = db.get(SafeguardingReferral, rid)
    owner, opened = ref.assigned_to_id, ref.opened_at
    db.rollback()
    assert _run(app, opened + DAY + timedelta(minutes=1)) == [(rid, DEPUTY)]
    row = db.scalars(select(SafeguardingEscalation)).one()
    assert owner not in row.recipient_ids and row.recipient_ids == [u for u in (lead.id, deputy.id) if u != owner]
    db.rollback()


def test_a_referral_taken_up_is_not_escalated_and_a_reopened_one_is_covered_afresh(app, client, signed_in, db,
                                                                                   make_user):
    _users(app, make_user)
    rid = referral_id(app, teacher_dm(app))
    opened = _opened(app, rid)
    assert _run(app, opened + DAY + timedelta(minutes=1)) == [(rid, DEPUTY)]
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    assert record(client, rid, child.id, "contact_school", detail="Phoned the school.").status_code == 302
    assert _run(app, opened + 3 * DAY) == []  # taken up: no CEO step
    html = open_referral(client, rid)
    assert "Escalated to the deputy" in html and "Escalated to the CEO" not in html
    # A new opening (the referral was closed and reopened): the schedule starts again.
    later = opened + 10 * DAY
    db.execute(SafeguardingReferral.__table__.update().values(opened_at=later))
    db.commit()
    assert _run(app, later + DAY + timedelta(minutes=1)) == [(rid, DEPUTY)]
    assert len(db.scalars(select(SafeguardingEscalation)).all()) == 2
    db.rollback()
