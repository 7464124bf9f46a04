"""Notices that help (issues 19.7, 22.7): grouped by kind, the right target time, and gone
from the inbox's main list once the work is done — whoever did it and however."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.notifications import inbox, resolution, triggers
from c2c_safety.review import policy
from models import CaseFile, CaseStatus, Notice, User, utcnow
from models.review import (
    Appeal,
    AppealStatus,
    Decision,
    DeskSetting,
    ReferralStatus,
    SafeguardingAction,
    SafeguardingReferral,
)
from tests.conftest import login
from tests.support.cases import make_case
from tests.support.review import make_item


def _referrals(app: Flask, db: Session, n: int) -> list[int]:
    ids = []
    items = [make_item(app) for _ in range(n)]
    for item_id in items:
        ref = SafeguardingReferral(item_id=item_id, child_pseudonym=f"u-child-{item_id}", reasons=["grooming"],
                                   opened_at=utcnow())
        db.add(ref)
        db.flush()
        ids.append(ref.id)
    db.commit()
    with app.app_context():
        s = new_session(app)
        target = policy.safeguarding_target(s)
        for rid in ids:
            ref = s.get(SafeguardingReferral, rid)
            assert ref is not None
            triggers.safeguarding_referral(s, referral_id=rid, target_at=ref.opened_at + target, event="opened")
        s.commit()
        s.close()
    return ids


def _open(db: Session, user: User) -> list[Notice]:
    db.expire_all()
    out = list(db.scalars(select(Notice).where(Notice.user_id == user.id, Notice.resolved_at.is_(None))))
    db.commit()
    return out


def test_twelve_referrals_are_one_line_and_leave_it_when_taken_up_closed_or_changed_behind_our_back(
        app: Flask, client: FlaskClient, db: Session, make_user: Callable[..., User]) -> None:
    lead = make_user("safeguarding_lead")
    make_user("safeguarding_lead")
    db.add(DeskSetting(key="safeguarding_target_hours", value="6"))
    db.commit()
    ids = _referrals(app, db, 12)
    notices = _open(db, lead)
    assert len(notices) == 12 and all(n.subject_kind == "referral" for n in notices)
    # The safeguarding first-look target the lead configured, never the whistleblower clock.
    for n in notices:
        ref = db.get(SafeguardingReferral, n.subject_id)
        assert ref is not None and n.target_at == ref.opened_at + timedelta(hours=6)
    db.commit()
    login(client, lead)
    html = client.get("/notices").get_data(as_text=True)
    assert html.count("12 new urgent safeguarding referrals") == 1  # one line, expandable to the list
    assert html.count("<summary>") == 1 and html.count("/open") == 12

    # Closed through the ORM: resolved in the same transaction, nobody called us.
    ref = db.get(SafeguardingReferral, ids[0])
    assert ref is not None
    ref.status, ref.closed_at = ReferralStatus.CLOSED, utcnow()
    # Taken up: the lead recorded something.
    db.add(SafeguardingAction(referral_id=ids[1], child_pseudonym="u-child", kind="note", actor_id=lead.id,
                              at=utcnow()))
    db.commit()
    assert len(_open(db, lead)) == 10
    # Closed by a bulk UPDATE no hook sees: the inbox listing resolves it on its own.
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.id == ids[2])
               .values(status=ReferralStatus.CLOSED))
    db.commit()
    html = client.get("/notices").get_data(as_text=True)
    assert "9 new urgent safeguarding referrals" in html
    done = client.get("/notices?view=done").get_data(as_text=True)
    assert done.count("/open") == 3 and "New urgent safeguarding referral" in done
    # ...and the periodic scan resolves everyone else's the same way.
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.id == ids[3])
               .values(status=ReferralStatus.CLOSED))
    db.commit()
    with app.app_context():
        s = new_session(app)
        assert resolution.resolve_open(s) >= 2  # the other lead's 3 closed ones and this one
        s.commit()
        s.close()
    assert len(_open(db, lead)) == 8


def test_case_and_appeal_notices_resolve_when_taken_up_met_or_decided(
        app: Flask, client: FlaskClient, db: Session, make_user: Callable[..., User]) -> None:
    handler = make_user("case_handler")
    mod, decider = make_user("moderator"), make_user("moderator")
    item_id = make_item(app)
    fresh = make_case(app, db, status=CaseStatus.ACKNOWLEDGED)
    late = make_case(app, db, status=CaseStatus.RECEIVED, received_at=utcnow() - timedelta(days=8))
    decision = Decision(item_id=item_id, decided_by_id=decider.id, action="no_violation", reason_code="none",
                        policy_reason_id=None, item_version=1)
    db.add(decision)
    db.flush()
    appeal = Appeal(decision_id=decision.id, item_id=item_id, appellant="author", original_decider_id=decider.id)
    db.add(appeal)
    db.commit()
    with app.app_context():
        s = new_session(app)
        fresh_case = s.get(CaseFile, fresh)
        assert fresh_case is not None
        triggers.new_case(s, fresh_case)
        triggers.case_deadlines(s)
        triggers.appeal(s, appeal_id=appeal.id, item_id=item_id, received_at=appeal.received_at,
                        original_decider_id=decider.id)
        s.commit()
        s.close()
    assert {n.kind for n in _open(db, handler)} == {"new_case", "deadline_missed"}
    assert [n.kind for n in _open(db, mod)] == ["appeal"]
    login(client, handler)
    assert client.get(f"/cases/{fresh}").status_code == 200  # a handler read it: taken up
    assert [n.kind for n in _open(db, handler)] == ["deadline_missed"]
    case = db.get(CaseFile, late)
    assert case is not None
    case.status, case.acknowledged_at = CaseStatus.ACKNOWLEDGED, utcnow()  # the deadline met
    appeal.status = AppealStatus.UPHELD  # the appeal decided
    db.commit()
    assert _open(db, handler) == [] and _open(db, mod) == []
    with app.app_context():
        s = new_session(app)
        me = s.get(User, handler.id)
        assert me is not None and inbox.groups(s, me) == [] and len(inbox.rows(s, me, done=True)) == 2
        s.close()


def test_the_notices_target_reading_keeps_step_with_the_policy(app: Flask, db: Session) -> None:
    for value in (None, "1", "6", "48", "0", "9999", "nonsense"):
        db.execute(DeskSetting.__table__.delete())
        if value is not None:
            db.add(DeskSetting(key="safeguarding_target_hours", value=value))
        db.commit()
        assert triggers.safeguarding_target(db) == policy.safeguarding_target(db), value


def test_a_childs_report_carries_the_first_look_target(app: Flask, db: Session,
                                                       make_user: Callable[..., User]) -> None:
    lead = make_user("safeguarding_lead")
    db.add(DeskSetting(key="safeguarding_target_hours", value="4"))
    db.commit()
    cid = make_case(app, db, category="safeguarding_minor")
    with app.app_context():
        s = new_session(app)
        case = s.get(CaseFile, cid)
        assert case is not None
        triggers.new_case(s, case)
        s.commit()
        s.close()
    [n] = _open(db, lead)
    case = db.get(CaseFile, cid)
    assert case is not None and n.target_at == case.received_at + timedelta(hours=4)
