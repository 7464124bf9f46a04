"""Cases close with findings and a second person's approval (issue 22.8); escalations from the
queue run on an internal service level, not the Whistleblower Act's clocks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from c2c_safety.cases import alerts as case_alerts
from c2c_safety.core.crypto import open_text
from models import AuditEvent, CaseFile, CaseStatus, utcnow
from tests.conftest import login, post_form
from tests.support.cases import get, make_case, scalars

FINDINGS = "Two pupils confirmed the messages; the school log matches the dates."


def _post(client, case_id: int, action: str, data: dict | None = None):
    return post_form(client, f"/cases/{case_id}/{action}", data or {}, token_from=f"/cases/{case_id}")


def test_substantiated_needs_findings_and_a_second_person(app, client, db, make_user):
    one, two = make_user("case_handler"), make_user("case_handler")
    cid = make_case(app, db, status=CaseStatus.FEEDBACK_GIVEN, assigned_to_id=one.id)
    login(client, one)
    refused = _post(client, cid, "close", {"outcome": "substantiated", "findings": "yes"})
    assert refused.status_code == 400 and "Write the findings" in refused.get_data(as_text=True)
    assert _post(client, cid, "close", {"outcome": "substantiated", "findings": FINDINGS}).status_code == 302
    case = get(db, CaseFile, cid)
    assert case.status == CaseStatus.FEEDBACK_GIVEN and case.close_proposed_by_id == one.id
    assert FINDINGS.encode() not in case.findings_sealed  # sealed at rest
    # The proposer cannot approve their own closure.
    assert _post(client, cid, "close/approve").status_code == 400
    assert get(db, CaseFile, cid).status == CaseStatus.FEEDBACK_GIVEN
    login(client, two)
    page = client.get(f"/cases/{cid}").get_data(as_text=True)
    assert FINDINGS in page and "Approve and close" in page
    assert _post(client, cid, "close/approve").status_code == 302
    case = get(db, CaseFile, cid)
    assert case.status == CaseStatus.CLOSED and case.outcome == "substantiated"
    assert case.closed_approved_by_id == two.id and not case.closed_alone
    with app.app_context():
        assert open_text(case.findings_sealed) == FINDINGS
    actions = [e.action for e in scalars(db, select(AuditEvent).where(AuditEvent.case_id == cid))]
    assert "case.close_proposed" in actions and "case.close_approved" in actions
    for ev in scalars(db, select(AuditEvent).where(AuditEvent.case_id == cid)):
        assert FINDINGS not in str(ev.details)


def test_a_second_person_can_send_a_closure_back(app, client, db, make_user):
    one, two = make_user("case_handler"), make_user("case_handler")
    cid = make_case(app, db, status=CaseStatus.FEEDBACK_GIVEN, assigned_to_id=one.id)
    login(client, one)
    assert _post(client, cid, "close", {"outcome": "no_further_action"}).status_code == 302  # no findings needed
    login(client, two)
    assert _post(client, cid, "close/decline").status_code == 302
    case = get(db, CaseFile, cid)
    assert case.status == CaseStatus.FEEDBACK_GIVEN and case.close_proposed_by_id is None


def test_acting_on_an_unassigned_case_takes_it(app, client, db, make_user):
    one = make_user("case_handler")
    make_user("case_handler")
    cid = make_case(app, db)
    login(client, one)
    assert _post(client, cid, "note", {"note-text": "Starting on this one."}).status_code == 302
    assert get(db, CaseFile, cid).assigned_to_id == one.id
    by_acting = [e.details for e in scalars(db, select(AuditEvent).where(
        AuditEvent.case_id == cid, AuditEvent.action == "case.assigned"))]
    assert by_acting == [{"assignee_id": one.id, "by_acting": True}]


def test_an_escalation_has_an_internal_service_level_and_no_directive_alerts(app, client, db, make_user):
    handler = make_user("case_handler")
    cid = make_case(app, db, status=CaseStatus.RECEIVED, reporter=False, received_at=utcnow() - timedelta(days=9))
    login(client, handler)
    page = client.get(f"/cases/{cid}").get_data(as_text=True)
    assert "Internal service level" in page and "Acknowledge by" not in page
    with app.app_context():
        assert case_alerts.generate(db) == 0
        assert case_alerts.live_for_user(db, handler) == []
        db.commit()


def test_message_templates_fill_the_box_and_send_nothing(app, client, db, make_user):
    handler = make_user("case_handler")
    cid = make_case(app, db, assigned_to_id=handler.id)
    login(client, handler)
    page = client.get(f"/cases/{cid}?template=information").get_data(as_text=True)
    assert "could you tell us a little more?" in page and "Request for information" in page
    assert client.get(f"/cases/{cid}?template=nonsense").status_code == 200
    from models import CaseMessage

    sent = scalars(db, select(CaseMessage).where(CaseMessage.case_id == cid, CaseMessage.from_reporter.is_(False)))
    assert sent == []
