"""Every handover of a referral or a case notifies its new holder (issue 19.6): reassignment,
recusal, the exclusion fallback to the independent reviewer, and a referral's new lead —
in-app and through the e-mail outbox, audited, with no content."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.safeguarding import referrals as sg_referrals
from models import AuditEvent, CaseFile, Notice, NoticeEmail, User, utcnow
from models.review import SafeguardingReferral
from tests.conftest import login, post_form
from tests.support.cases import SECRET_BODY, make_case
from tests.support.review import make_item


def _handovers(db: Session, *, case_id: int | None = None) -> list[Notice]:
    db.expire_all()
    stmt = select(Notice).where(Notice.kind == "handover")
    if case_id is not None:
        stmt = stmt.where(Notice.case_id == case_id)
    out = list(db.scalars(stmt.order_by(Notice.id)))
    db.commit()
    return out


def _audited(db: Session, case_id: int) -> list[dict[str, object]]:
    rows = [e.details for e in db.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.action == "notifications.handover"))]
    db.commit()
    return rows


def test_reassigning_a_case_tells_the_new_assignee(app: Flask, client: FlaskClient, db: Session,
                                                   make_user: Callable[..., User]) -> None:
    one, two = make_user("case_handler"), make_user("case_handler")
    cid = make_case(app, db, assigned_to_id=one.id)
    login(client, one)
    resp = post_form(client, f"/cases/{cid}/assign", {"assignee": str(two.id)}, token_from=f"/cases/{cid}")
    assert resp.status_code == 302
    [n] = _handovers(db, case_id=cid)
    assert n.user_id == two.id and n.link == f"/cases/{cid}" and n.subject_kind == "case"
    assert SECRET_BODY not in n.dedupe_key
    assert db.scalar(select(NoticeEmail.id).where(NoticeEmail.notice_id == n.id)) is not None  # e-mailed
    db.commit()
    assert _audited(db, cid) == [{"how": "reassigned", "to": [two.id], "from": one.id}]
    # The new holder acting on it resolves the notice.
    login(client, two)
    assert post_form(client, f"/cases/{cid}/note", {"note-text": "Called the school."},
                     token_from=f"/cases/{cid}").status_code == 302
    [n] = _handovers(db, case_id=cid)
    assert n.resolved_at is not None


def test_a_recusal_returns_the_case_to_everyone_eligible(app: Flask, client: FlaskClient, db: Session,
                                                         make_user: Callable[..., User]) -> None:
    one, two, three = make_user("case_handler"), make_user("case_handler"), make_user("case_handler")
    cid = make_case(app, db, assigned_to_id=one.id)
    login(client, one)
    resp = post_form(client, f"/cases/{cid}/recuse", {"recuse-reason": "I know the family."},
                     token_from=f"/cases/{cid}")
    assert resp.status_code == 302
    assert {n.user_id for n in _handovers(db, case_id=cid)} == {two.id, three.id}
    assert _audited(db, cid)[0]["how"] == "returned"


def test_the_exclusion_fallback_tells_the_reviewer(app: Flask, client: FlaskClient, db: Session,
                                                   make_user: Callable[..., User]) -> None:
    only = make_user("case_handler")
    reviewer = make_user("independent_reviewer", totp=True)
    cid = make_case(app, db, assigned_to_id=only.id)
    login(client, only)
    assert post_form(client, f"/cases/{cid}/recuse", {"recuse-reason": "My own class is involved."},
                     token_from=f"/cases/{cid}").status_code == 302
    case = db.get(CaseFile, cid)
    assert case is not None and case.routed_role == "independent_reviewer"
    db.commit()
    assert [n.user_id for n in _handovers(db, case_id=cid)] == [reviewer.id]
    assert _audited(db, cid)[0]["how"] == "rerouted"


def test_a_new_case_is_not_a_handover(app: Flask, db: Session, make_user: Callable[..., User]) -> None:
    make_user("case_handler")
    from c2c_safety.cases import assignment

    cid = make_case(app, db)
    with app.app_context():
        s = new_session(app)
        case = s.get(CaseFile, cid)
        assert case is not None
        assignment.assign_new_case(s, case)  # round robin on a case from an earlier transaction: a handover
        s.commit()
        s.close()
    assert len(_handovers(db)) == 1
    fresh = CaseFile(reference="T-NEWONE", category="ethical", routed_role="case_handler", received_at=utcnow())
    with app.app_context():
        s = new_session(app)
        s.add(fresh)
        s.flush()
        fresh_case = s.get(CaseFile, fresh.id)
        assert fresh_case is not None
        assignment.assign_new_case(s, fresh_case)  # born in this transaction: "new case" covers it
        s.commit()
        s.close()
    assert len(_handovers(db)) == 1


def test_a_referral_with_a_new_lead_tells_them(app: Flask, db: Session, make_user: Callable[..., User]) -> None:
    lead1, lead2, lead3 = (make_user("safeguarding_lead") for _ in range(3))
    item_id = make_item(app)
    ref = SafeguardingReferral(item_id=item_id, child_pseudonym="u-child", reasons=["grooming"],
                               assigned_to_id=lead1.id, deputy_id=lead2.id)
    db.add(ref)
    db.commit()
    with app.app_context():
        s = new_session(app)
        r, actor = s.get(SafeguardingReferral, ref.id), s.get(User, lead1.id)
        assert r is not None and actor is not None
        sg_referrals.assign(s, r, actor=actor, lead_id=lead3.id, deputy_id=lead1.id)
        s.commit()
        s.close()
    notes = _handovers(db)
    assert [(n.user_id, n.subject_kind, n.subject_id) for n in notes] == [(lead3.id, "referral", ref.id)]
    assert notes[0].link == f"/safeguarding/referrals/{ref.id}" and notes[0].target_at is not None
