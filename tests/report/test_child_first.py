"""Child-first questions and answers (issue 21.3): a child's own words as categories, "is
this about you?", an optional age band; a child's receipt promises the safeguarding desk's
first look (from the configured target) with advice suited to the choice, never the
Directive's three months; the status page says when a person has read the report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from c2c_safety.core.crypto import seal_text
from c2c_safety.report import reports
from c2c_safety.review import policy
from models import CaseFile, CaseMessage
from models.cases import CHILD_CATEGORIES
from models.review import DeskSetting
from tests.support.intake import follow_up, receipt_of, submit_report


def _case(db) -> CaseFile:
    db.expire_all()
    case = db.scalars(select(CaseFile).order_by(CaseFile.id.desc())).first()
    db.close()  # columns stay loaded; the read transaction ends (SQLite would lock the app out)
    return case


def test_the_childs_words_come_first_and_every_one_is_a_safeguarding_concern(client):
    html = client.get("/report").get_data(as_text=True)
    order = [html.index(f'value="{c}"') for c in reports.CATEGORIES]
    assert order == sorted(order) and reports.CATEGORIES[:4] == reports.CHILD_FIRST
    assert html.index("Someone is being mean to me") < html.index("For adults")
    assert set(reports.CHILD_FIRST) <= CHILD_CATEGORIES
    assert "Is this about you?" in html and "How old are you?" in html


@pytest.mark.parametrize("category", ["child_mean", "child_sexual", "child_friend", "child_adult"])
def test_child_categories_go_to_the_safeguarding_lead(client, db, category):
    assert submit_report(client, {"category": category}).status_code == 200
    assert _case(db).routed_role == "safeguarding_lead"


def test_about_and_age_are_small_optional_enums_and_nonsense_is_not_said(client, db):
    submit_report(client, {"category": "child_mean", "about": "me", "age_band": "10_12"})
    case = _case(db)
    assert (case.reporter_about, case.reporter_age_band) == ("me", "10_12")
    resp = submit_report(client, {"category": "child_mean", "about": "Anna, 7B", "age_band": "11 years"})
    assert resp.status_code == 200
    case = _case(db)
    assert (case.reporter_about, case.reporter_age_band) == (None, None)


def test_a_sextortion_receipt_promises_the_target_and_gives_advice_never_three_months(app, client, db):
    with app.app_context():
        db.add(DeskSetting(key=policy.SAFEGUARDING_TARGET_HOURS, value="12"))
        db.commit()
    html = submit_report(client, {"category": "child_sexual", "about": "me", "age_band": "13_15"}).get_data(
        as_text=True)
    assert "A trained person will read this within 12 hours." in html
    for advice in ("Stop replying", "Do not pay and do not send more pictures", "Keep screenshots",
                   "Tell a grown-up you trust", "help get it taken down"):
        assert advice in html, advice
    assert "feedback by" not in html and "three months" not in html.lower()


def test_the_default_promise_is_24_hours_and_an_adults_receipt_keeps_the_directive_text(client):
    assert "within 24 hours" in submit_report(client, {"category": "child_friend"}).get_data(as_text=True)
    adult = submit_report(client, {"category": "ethical"}).get_data(as_text=True)
    assert "We will give you feedback by" in adult and "within 24 hours" not in adult


def test_the_status_page_says_when_a_person_has_read_it_and_shows_a_reply_as_one(
        app, client, db, signed_in, redis_conn):
    anon = app.test_client()
    receipt = receipt_of(submit_report(anon, {"category": "child_mean"}))
    html = follow_up(anon, receipt).get_data(as_text=True)
    assert "Not yet. A trained person will read it within 24 hours." in html
    assert "Feedback due by" not in html  # a child's status page has no Directive deadline
    case = _case(db)
    lead = signed_in("safeguarding_lead")
    # A child's report is a safeguarding referral: its case URL leads to the referral, whose
    # first opening by a lead marks it read (issue 19, one record).
    assert client.get(f"/cases/{case.id}", follow_redirects=True).status_code == 200
    assert _case(db).first_read_at is not None
    with app.app_context():
        db.add(CaseMessage(case_id=case.id, from_reporter=False, author_id=lead.id,
                           body_sealed=seal_text("We are looking at it.")))
        db.commit()
    html = follow_up(anon, receipt).get_data(as_text=True)
    assert "A person has read your report." in html and "Reply from the safety team" in html


def test_a_whistleblower_can_ask_for_a_meeting_a_child_report_cannot_carry_one(client, db):
    submit_report(client, {"category": "ethical", "meeting": "oral"})
    case = _case(db)
    assert case.meeting_request == "oral" and case.meeting_requested_at == case.received_at
    submit_report(client, {"category": "child_adult", "meeting": "meeting"})
    assert _case(db).meeting_request is None


def test_the_handler_sees_the_meeting_request_and_its_deadline(app, client, db, signed_in):
    anon = app.test_client()
    submit_report(anon, {"category": "ethical", "meeting": "meeting", "about": "someone_else"})
    case = _case(db)
    signed_in("case_handler")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    due = reports.meeting_due(case.meeting_requested_at)
    assert "Reporter asks for</dt><dd class=\"meeting-request\">a meeting" in html
    assert str(due.year) in html and "offer a time by" in html
    assert "it is about someone else" in html
