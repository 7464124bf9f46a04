"""Deadlines that are always current (issue 13, part 4): overdue and due-soon worked out when
a page is shown (no daily job), fresh deadlines after a reopening, case lists by urgency, a
new case assigned round robin among those who may take it, and "referred" needing its record."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import func, select

from c2c_safety.cases import alerts as case_alerts
from c2c_safety.cases import deadlines
from c2c_safety.core.calendar import add_months
from c2c_safety.core.db import new_session
from c2c_safety.report import reports
from models import AuditEvent, CaseAlert, CaseFile, CaseStatus, User, utcnow
from tests.conftest import login, post_form
from tests.support.cases import get, make_case


def test_overdue_between_two_page_loads_without_any_job(app, client, signed_in, db):
    signed_in("case_handler")
    # Acknowledgment falls due ten seconds from now: room for the first page loads on a busy machine.
    due = utcnow() + timedelta(seconds=10)
    cid = make_case(app, db, status=CaseStatus.RECEIVED,
                    received_at=due - timedelta(days=deadlines.ACK_DAYS))
    first = client.get("/cases/alerts").get_data(as_text=True)
    assert "Acknowledgment due soon" in first and "Acknowledgment overdue" not in first
    assert "1</strong> overdue" not in client.get("/cases/").get_data(as_text=True)
    time.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.5)
    second = client.get("/cases/alerts").get_data(as_text=True)
    assert "Acknowledgment overdue" in second and "row-overdue" in second
    assert "<strong>1</strong> overdue" in client.get("/cases/").get_data(as_text=True)
    assert "overdue" in client.get(f"/cases/{cid}").get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(CaseAlert)) == 0  # no job made any of that


def test_live_alerts_follow_the_recipients_of_the_daily_job(app, client, make_user, db):
    mine, other = make_user("case_handler"), make_user("case_handler")
    overdue = utcnow() - timedelta(days=10)
    assigned_other = make_case(app, db, status=CaseStatus.RECEIVED, received_at=overdue, assigned_to_id=other.id)
    unassigned = make_case(app, db, status=CaseStatus.RECEIVED, received_at=overdue)
    for_lead = make_case(app, db, category="safeguarding_minor", status=CaseStatus.RECEIVED, received_at=overdue)
    login(client, mine)
    html = client.get("/cases/alerts").get_data(as_text=True)
    refs = {get(db, CaseFile, c).reference: c for c in (assigned_other, unassigned, for_lead)}
    shown = {r for r in refs if r in html}
    assert shown == {get(db, CaseFile, unassigned).reference}
    # The same people the job would warn.
    with app.app_context():
        s = new_session(app)
        case_alerts.generate(s)
        s.commit()
        rows = s.execute(select(CaseAlert.user_id, CaseAlert.case_id)).all()
        s.close()
    assert (mine.id, unassigned) in rows and (mine.id, assigned_other) not in rows


def test_an_exclusion_hides_the_live_alert(app, client, make_user, db):
    handler = make_user("case_handler")
    colleague = make_user("case_handler")  # someone else is left to handle it
    cid = make_case(app, db, status=CaseStatus.RECEIVED, received_at=utcnow() - timedelta(days=9))
    login(client, handler)
    ref = get(db, CaseFile, cid).reference
    assert ref in client.get("/cases/alerts").get_data(as_text=True)
    with app.app_context():
        from c2c_safety.cases import access

        s = new_session(app)
        try:
            access.exclude(s, s.get(CaseFile, cid), s.get(User, handler.id), actor=s.get(User, colleague.id),
                           reason="The case concerns them.")
            s.commit()
        finally:
            s.close()
    assert ref not in client.get("/cases/alerts").get_data(as_text=True)


def test_a_reopened_case_gets_fresh_deadlines_from_the_reopening(app, client, signed_in, db):
    handler = signed_in("case_handler")
    received = utcnow() - timedelta(days=200)
    cid = make_case(app, db, status=CaseStatus.CLOSED, received_at=received, assigned_to_id=handler.id)
    first_feedback = get(db, CaseFile, cid).feedback_at
    assert "all deadlines met" in client.get(f"/cases/{cid}").get_data(as_text=True)
    resp = post_form(client, f"/cases/{cid}/reopen", {"reopen-reason": "The reporter wrote with new facts."},
                     token_from=f"/cases/{cid}")
    assert resp.status_code == 302
    case = get(db, CaseFile, cid)
    assert case.status == "investigating" and case.reopened_at is not None
    html = client.get(f"/cases/{cid}").get_data(as_text=True)
    assert "fresh deadlines from the reopening" in html and "all deadlines met" not in html
    due = add_months(case.reopened_at, 3)
    assert due.strftime("%d %b %Y") in html
    listing = client.get("/cases/").get_data(as_text=True)
    row = listing[listing.index(case.reference):]
    assert re.search(r"Feedback: (\d+ days|less than an hour) left", row[:600])
    # The daily job warns about the new deadline as it nears.
    with app.app_context():
        s = new_session(app)
        assert case_alerts.generate(s, due - timedelta(days=1)) >= 1
        s.commit()
        kinds = set(s.scalars(select(CaseAlert.kind).where(CaseAlert.case_id == cid)))
        s.close()
    assert kinds == {"feedback_due_soon"}
    # Feedback in the new cycle is recorded for it; the first cycle's date stays for the figures.
    assert post_form(client, f"/cases/{cid}/feedback", {"text": "We looked again and spoke to the school."},
                     token_from=f"/cases/{cid}").status_code == 302
    case = get(db, CaseFile, cid)
    assert case.feedback_at == first_feedback and case.reopen_feedback_at is not None
    assert "all deadlines met" in client.get(f"/cases/{cid}").get_data(as_text=True)


def test_case_lists_are_sorted_by_urgency(app, client, signed_in, db):
    signed_in("case_handler")
    now = utcnow()
    later = make_case(app, db, received_at=now - timedelta(days=1))  # feedback in ~3 months
    closed = make_case(app, db, status=CaseStatus.CLOSED, received_at=now - timedelta(days=300))
    most_overdue = make_case(app, db, status=CaseStatus.RECEIVED, received_at=now - timedelta(days=30))
    due_soon = make_case(app, db, status=CaseStatus.RECEIVED, received_at=now - timedelta(days=6))
    overdue = make_case(app, db, status=CaseStatus.RECEIVED, received_at=now - timedelta(days=9))
    feedback_soon = make_case(app, db, received_at=add_months(now, -3) + timedelta(days=2))
    refs = {c: get(db, CaseFile, c).reference for c in
            (later, closed, most_overdue, due_soon, overdue, feedback_soon)}

    def order(url: str) -> list[int]:
        html = client.get(url).get_data(as_text=True)
        found = [(html.index(r), c) for c, r in refs.items() if r in html]
        return [c for _, c in sorted(found)]

    # due_soon: acknowledgment in a day; feedback_soon: feedback in two days.
    assert order("/cases/") == [most_overdue, overdue, due_soon, feedback_soon, later]
    assert order("/cases/?show=all") == [most_overdue, overdue, due_soon, feedback_soon, later, closed]
    assert order("/cases/?show=open&deadline=overdue") == [most_overdue, overdue]
    assert order("/cases/?show=open&deadline=due_soon") == [due_soon, feedback_soon]


def test_new_cases_are_assigned_round_robin_among_those_who_may_take_them(app, make_user, db):
    a, b = make_user("case_handler"), make_user("case_handler")
    gone = make_user("case_handler")
    with app.app_context():
        s = new_session(app)
        s.get(User, gone.id).active = False
        s.commit()
        ceo = make_user("ceo")
        reviewer = make_user("independent_reviewer")
        got = []
        for category in ("ethical", "other", "ethical", "ceo"):
            sub = reports.submit_report(s, reports.ReportInput(category=category, what="Synthetic concern.",
                                                               when="", who="", contact="", language="en"), [])
            s.commit()
            got.append(sub.case.assigned_to_id)
        s.close()
    assert got == [a.id, b.id, a.id, reviewer.id]  # never the inactive one; a CEO case never to the CEO
    assert ceo.id not in got
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.assigned")).first()
    assert ev.actor_label == "routing" and ev.details["automatic"] is True


def test_nobody_eligible_leaves_the_case_unassigned(app, db):
    with app.app_context():
        s = new_session(app)
        sub = reports.submit_report(s, reports.ReportInput(category="team_member", what="Synthetic concern.",
                                                           when="", who="", contact="", language="en"), [])
        s.commit()
        assert sub.case.assigned_to_id is None
        s.close()


def test_closing_as_referred_needs_the_referral_record(app, client, signed_in, db):
    handler = signed_in("case_handler")
    cid = make_case(app, db, status=CaseStatus.FEEDBACK_GIVEN, assigned_to_id=handler.id)
    url = f"/cases/{cid}/close"
    refused = post_form(client, url, {"outcome": "referred_externally"}, token_from=f"/cases/{cid}")
    assert refused.status_code == 400 and "reference number" in refused.get_data(as_text=True)
    assert get(db, CaseFile, cid).status == "feedback_given"
    ok = post_form(client, url, {"outcome": "referred_externally", "authority": "Datatilsynet",
                                 "authority_ref": "2026-31-0001"}, token_from=f"/cases/{cid}")
    assert ok.status_code == 302
    assert get(db, CaseFile, cid).outcome == "referred_externally"


def test_an_escalated_case_is_assigned_at_once(app, client, make_user, db):
    from tests.support.review import claim, decide
    from tests.support.review import make_item as make_review_item

    handler = make_user("case_handler")
    iid = make_review_item(app, scores={"harassment": 0.9, "threat": 0.1})
    login(client, make_user("moderator"))
    claim(client, iid)
    resp = decide(client, iid, action="escalate_case", reason="violence_threats", duration="",
                  facts="A threat between two schools' groups that needs a case handler.", confirm_unrevealed="y")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    case = db.scalars(select(CaseFile).where(CaseFile.review_item_id == iid)).one()
    assert case.assigned_to_id == handler.id
