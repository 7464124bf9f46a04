"""The case life cycle through the real pages: every step audited, reopening needs a reason."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from c2c_safety.cases import lifecycle as cases
from c2c_safety.core.crypto import open_text
from models import AuditEvent, CaseFile, CaseMessage, CaseStatus, CaseTransition, User, utcnow
from tests.conftest import post_form
from tests.support.cases import SECRET_BODY, get, make_case, scalars


def _post(client, case_id: int, action: str, data: dict | None = None):
    return post_form(client, f"/cases/{case_id}/{action}", data or {}, token_from=f"/cases/{case_id}")


def test_escalation_walks_the_whole_life_cycle(app, client, db, signed_in):
    handler = signed_in("case_handler")
    cid = make_case(app, db, status=CaseStatus.RECEIVED, reporter=False)
    page = client.get(f"/cases/{cid}")
    assert page.status_code == 200 and "Acknowledge receipt" in page.get_data(as_text=True)
    assert _post(client, cid, "acknowledge").status_code == 302
    assert _post(client, cid, "investigate").status_code == 302
    assert _post(client, cid, "feedback").status_code == 302  # escalation: no reporter to write to
    assert _post(client, cid, "close", {"outcome": "not_substantiated"}).status_code == 400  # no findings
    assert _post(client, cid, "close", {"outcome": "not_substantiated",
                                        "findings": "The logs show no contact between them."}).status_code == 302
    case = get(db, CaseFile, cid)
    assert case.status == CaseStatus.CLOSED and case.outcome == "not_substantiated"
    # The only handler: closed alone, recorded as such; acting on it made it theirs.
    assert case.closed_approved_by_id == handler.id and case.closed_at is not None and case.closed_alone
    assert case.assigned_to_id == handler.id
    assert case.retention_clock_from == case.closed_at
    steps = [(t.from_status, t.to_status) for t in scalars(db, select(CaseTransition).order_by(CaseTransition.id))]
    assert steps == [("received", "acknowledged"), ("acknowledged", "investigating"),
                     ("investigating", "feedback_given"), ("feedback_given", "closed")]
    trail = scalars(db, select(AuditEvent).where(AuditEvent.case_id == cid, AuditEvent.action == "case.transition"))
    assert len(trail) == 4
    for ev in scalars(db, select(AuditEvent).where(AuditEvent.case_id == cid)):
        assert SECRET_BODY not in str(ev.details)


def test_reopen_requires_a_written_reason_and_stops_the_clock(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db, status=CaseStatus.CLOSED)
    bad = _post(client, cid, "reopen", {"reopen-reason": "short"})
    assert bad.status_code == 400
    assert get(db, CaseFile, cid).status == CaseStatus.CLOSED
    ok = _post(client, cid, "reopen", {"reopen-reason": "New evidence arrived from the school."})
    assert ok.status_code == 302
    case = get(db, CaseFile, cid)
    assert case.status == CaseStatus.INVESTIGATING and case.closed_at is None
    assert case.retention_clock_from is None and case.outcome is None
    (step,) = scalars(db, select(CaseTransition).where(CaseTransition.case_id == cid))
    with app.app_context():
        assert open_text(step.reason_sealed) == "New evidence arrived from the school."
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.case_id == cid, AuditEvent.action == "case.transition"))
    assert "New evidence" not in str(ev.details) and ev.details["reason_given"] is True


def test_steps_out_of_order_are_refused(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db, status=CaseStatus.ACKNOWLEDGED)
    resp = _post(client, cid, "close", {"outcome": "substantiated"})
    assert resp.status_code == 400
    assert get(db, CaseFile, cid).status == CaseStatus.ACKNOWLEDGED


def test_feedback_on_an_anonymous_report_is_a_message_to_the_reporter(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db, status=CaseStatus.INVESTIGATING)
    assert _post(client, cid, "feedback", {"text": ""}).status_code == 400
    assert _post(client, cid, "feedback", {"text": "We spoke to the school; measures are in place."}).status_code == 302
    case = get(db, CaseFile, cid)
    assert case.status == CaseStatus.FEEDBACK_GIVEN and case.feedback_at is not None
    msgs = scalars(db, select(CaseMessage).where(CaseMessage.case_id == cid, CaseMessage.from_reporter.is_(False)))
    assert len(msgs) == 1
    with app.app_context():
        assert open_text(msgs[0].body_sealed) == "We spoke to the school; measures are in place."
    assert b"We spoke" not in msgs[0].body_sealed  # sealed at rest


def test_handler_messages_and_notes_are_sealed_and_audited(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db)
    assert _post(client, cid, "message", {"msg-text": "Could you tell us which day?"}).status_code == 302
    assert _post(client, cid, "note", {"note-text": "Internal: check the school's log."}).status_code == 302
    page = client.get(f"/cases/{cid}").get_data(as_text=True)
    assert "Could you tell us which day?" in page and "Internal: check the school" in page
    actions = set(scalars(db, select(AuditEvent.action).where(AuditEvent.case_id == cid)))
    assert {"case.message_sent", "case.note_added", "case.viewed"} <= actions


def test_escalations_have_no_reporter_channel(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db, reporter=False)
    assert _post(client, cid, "message", {"msg-text": "hello"}).status_code == 400


def test_reporter_text_is_escaped_inside_user_text(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db, body='<script>alert("x")</script><img src=x onerror=alert(1)>')
    html = client.get(f"/cases/{cid}").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert '<div class="user-text">&lt;script&gt;' in html


def test_assignment_only_to_eligible_handlers(app, client, db, signed_in, make_user):
    signed_in("case_handler")
    colleague = make_user("case_handler")
    moderator = make_user("moderator")
    cid = make_case(app, db)
    assert _post(client, cid, "assign", {"assignee": moderator.id}).status_code == 400
    assert _post(client, cid, "assign", {"assignee": colleague.id}).status_code == 302
    assert get(db, CaseFile, cid).assigned_to_id == colleague.id
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.action == "case.assigned"))
    assert ev.case_id == cid


def test_staff_views_are_audited(app, client, db, signed_in):
    user = signed_in("case_handler")
    cid = make_case(app, db)
    client.get(f"/cases/{cid}")
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.action == "case.viewed"))
    assert ev.case_id == cid and ev.actor_id == user.id


def test_deadline_view_shows_time_left(app, db):
    now = utcnow()
    view = cases.deadline_view_of("received", now - timedelta(days=5), None, None, now)
    assert view.next_label == "acknowledge" and view.summary == "2 days left" and view.urgent
    view = cases.deadline_view_of("received", now - timedelta(days=9), None, None, now)
    assert view.ack_state == "overdue" and view.summary == "2 days overdue"
    view = cases.deadline_view_of("acknowledged", now - timedelta(days=1), now - timedelta(days=1), None, now)
    assert view.next_label == "feedback" and not view.urgent


def test_case_list_shows_counts_and_filters(app, client, db, signed_in):
    signed_in("case_handler")
    make_case(app, db, status=CaseStatus.RECEIVED, received_at=utcnow() - timedelta(days=10))
    make_case(app, db, status=CaseStatus.RECEIVED, received_at=utcnow() - timedelta(days=5))
    make_case(app, db, status=CaseStatus.CLOSED)
    html = client.get("/cases/").get_data(as_text=True)
    assert "<strong>2</strong> open" in html and "<strong>1</strong> overdue" in html
    assert "<strong>1</strong> due within 3 days" in html and "<strong>1</strong> closed" in html
    overdue = client.get("/cases/?deadline=overdue").get_data(as_text=True)
    assert overdue.count("/cases/") >= 1 and "1 case<" in overdue


def test_search_finds_report_text(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db, body="The projector in room 12 was used to show offensive slides.")
    make_case(app, db, body="Something else entirely.")
    html = client.get("/cases/?q=projector").get_data(as_text=True)
    assert f"/cases/{cid}" in html and "1 case<" in html
    ev = scalars(db, select(AuditEvent).where(AuditEvent.action == "view.case_list"))[-1]
    assert "projector" not in str(ev.details)


def test_users_only_exist_for_typing(app, db):
    assert scalars(db, select(User).limit(1)) == []
