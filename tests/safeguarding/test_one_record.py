"""Issue 19, items 1-3: a report about a child is a safeguarding referral from the start, with
one clock; the lead sets the risk with a reason (history); convert and link keep the
reporter's receipt and messages; the child comes from the people; the chronology follows
the people and exports as a real PDF, audited."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pikepdf
from sqlalchemy import select, update

from c2c_safety.cases import alerts as case_alerts
from c2c_safety.core.db import new_session
from c2c_safety.notifications import triggers
from c2c_safety.safeguarding import risk
from models import AuditEvent, CaseAlert, CaseFile, CaseMessage, utcnow
from models.notifications import Notice
from models.review import RiskAssessment, SafeguardingReferral
from tests.safeguarding.test_people_and_actions import teacher_dm
from tests.support.intake import follow_up, receipt_of, submit_report
from tests.support.review import make_item
from tests.support.safeguarding import QUIET, open_referral, people, post, record, referral_id

WORDS = "He said he would share my <b>photos</b> unless I sent more."


def report_child(app, what: str = WORDS, category: str = "safeguarding_minor") -> tuple[int, int, str]:
    """(case id, referral id, receipt) of a real anonymous report through the public form."""
    resp = submit_report(app.test_client(), {"category": category, "what": what})
    assert resp.status_code == 200
    receipt = receipt_of(resp)
    with app.app_context():
        s = new_session(app)
        case = s.scalars(select(CaseFile).order_by(CaseFile.id.desc())).first()
        assert case is not None
        rid = s.scalar(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == case.id))
        cid = case.id
        s.close()
    return cid, rid or 0, receipt


def desk_rows(html: str) -> list[str]:
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return re.findall(r'href="(/safeguarding/referrals/\d+|/cases/\d+)"', body)


def test_a_child_report_is_a_referral_with_one_clock(app, client, signed_in, db):
    lead = signed_in("safeguarding_lead")
    cid, rid, receipt = report_child(app)
    # The child is promised no Whistleblower Act date, on the receipt page or after.
    status = follow_up(app.test_client(), receipt).get_data(as_text=True)
    assert "Feedback due by" not in status and "feedback" not in status.lower()
    ref = db.get(SafeguardingReferral, rid)
    case = db.get(CaseFile, cid)
    assert ref is not None and ref.item_id is None and ref.case_id == cid
    assert case.regime == "safeguarding" and ref.assigned_to_id == lead.id and case.first_read_at is None
    due = ref.opened_at + timedelta(hours=24)
    db.rollback()
    # The case URL leads to the referral; the page opens with the concern, escaped.
    resp = client.get(f"/cases/{cid}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/safeguarding/referrals/{rid}")
    html = open_referral(client, rid)
    assert html.index("The concern") < html.index("People in this referral")
    assert "&lt;b&gt;photos&lt;/b&gt;" in html and "<b>photos</b>" not in html
    assert f"Due by {due.strftime('%Y-%m-%d %H:%M')} UTC" in html
    assert "Child not yet identified" in html
    for directive in ("Feedback by", "feedback by", "Acknowledge by", "3 months", "days left"):
        assert directive not in html, directive
    assert db.get(CaseFile, cid).first_read_at is not None
    db.rollback()
    # The desk: the same clock, a neutral summary (not the words).
    desk = client.get("/safeguarding").get_data(as_text=True)
    assert f"By {due.strftime('%Y-%m-%d %H:%M')} UTC" in desk and "Anonymous report: safeguarding minor" in desk
    assert "photos" not in desk
    # No whistleblower clock anywhere: no deadline alerts, not on the case list.
    with app.app_context():
        s = new_session(app)
        case_alerts.generate(s, now=utcnow() + timedelta(days=100))
        s.commit()
        assert s.scalar(select(CaseAlert.id).where(CaseAlert.case_id == cid)) is None
        assert case_alerts.live_for_user(s, s.get(type(lead), lead.id), now=utcnow() + timedelta(days=100)) == []
        triggers.case_deadlines(s, now=utcnow() + timedelta(days=100))
        s.commit()
        links = set(s.scalars(select(Notice.link)))
        assert f"/cases/{cid}" not in links and f"/safeguarding/referrals/{rid}" in links  # the referral's notice
        s.close()
    assert f"/cases/{cid}\"" not in client.get("/cases/?show=all").get_data(as_text=True)


def test_overdue_or_unassigned_reports_rank_above_automatic_urgent_and_the_lead_sets_risk(
        app, client, make_user, db):
    urgent = [referral_id(app, teacher_dm(app)) for _ in range(3)]  # automatic "Urgent", assigned to nobody
    _cid, rid, _ = report_child(app)  # no lead yet: unassigned
    lead = make_user("safeguarding_lead")
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.id.in_(urgent))
               .values(assigned_to_id=lead.id))
    db.commit()
    from tests.conftest import login

    login(client, lead)
    rows = desk_rows(client.get("/safeguarding").get_data(as_text=True))
    assert rows[0] == f"/safeguarding/referrals/{rid}"  # unassigned first, though only "High"
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.id == rid)
               .values(assigned_to_id=lead.id, opened_at=utcnow() - timedelta(hours=30)))
    db.commit()
    rows = desk_rows(client.get("/safeguarding").get_data(as_text=True))
    assert rows[0] == f"/safeguarding/referrals/{rid}"  # overdue first
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.id == rid)
               .values(opened_at=utcnow()))
    db.commit()
    rows = desk_rows(client.get("/safeguarding").get_data(as_text=True))
    assert rows[-1] == f"/safeguarding/referrals/{rid}"  # on time and assigned: below the urgent ones
    url = f"/safeguarding/referrals/{rid}"
    # The lead sets it to urgent, with a reason; an empty reason is refused.
    assert post(client, f"{url}/risk", {"risk-level": "3", "risk-reason": ""}, url).status_code == 400
    assert post(client, f"{url}/risk", {"risk-level": "3", "risk-reason": "Sextortion: images threatened."},
                url).status_code == 302
    assert post(client, f"{url}/risk", {"risk-level": "2", "risk-reason": "Police have the images now."},
                url).status_code == 302
    assert post(client, f"{url}/risk", {"risk-level": "3", "risk-reason": "He wrote again."}, url).status_code == 302
    hist = db.scalars(select(RiskAssessment).where(RiskAssessment.referral_id == rid)
                      .order_by(RiskAssessment.id)).all()
    assert [(h.level, h.proposed_level, h.set_by_id) for h in hist] == [(3, 2, lead.id), (2, 2, lead.id),
                                                                       (3, 2, lead.id)]
    assert b"Sextortion" not in hist[0].reason_sealed  # sealed at rest
    evs = db.scalars(select(AuditEvent).where(AuditEvent.action == "safeguarding.risk_set")).all()
    assert [e.details["level"] for e in evs] == ["Urgent", "High", "Urgent"]
    assert all("reason" not in e.details for e in evs)
    db.rollback()
    page = open_referral(client, rid)
    assert "Risk history" in page and page.index("He wrote again.") < page.index("Police have the images now.")
    desk = client.get("/safeguarding").get_data(as_text=True)
    row = next(r for r in desk.split("<tr")[1:] if f"/safeguarding/referrals/{rid}\"" in r)
    assert "Urgent" in row and "set by the lead" in row and "(proposed)" not in row


def test_a_sextortion_category_or_the_classifier_proposes_urgent():
    sext = CaseFile(category="sextortion")
    plain = CaseFile(category="safeguarding_minor")
    assert risk.of_case_report(sext).level == risk.URGENT
    assert risk.of_case_report(plain).level == risk.HIGH
    scored = risk.of_case_report(plain, {**QUIET, "sexual": 0.99})
    assert scored.level == risk.URGENT and any("AI score for sexual" in r for r in scored.reasons)


def test_convert_and_link_round_trip_keep_the_receipt_and_messages(app, client, make_user, db):
    from tests.conftest import login

    lead = make_user("safeguarding_lead", "case_handler")  # the case was mis-filed to the case handlers
    resp = submit_report(app.test_client(), {"category": "ethical", "what": "A teacher keeps a pupil after class."})
    receipt = receipt_of(resp)
    public = app.test_client()
    assert follow_up(public, receipt, action="reply", message="It happened again today.").status_code in (200, 302)
    case = db.scalars(select(CaseFile)).one()
    cid, reference = case.id, case.reference
    db.rollback()
    login(client, lead)
    assert post(client, f"/safeguarding/cases/{cid}/convert", {}, "/safeguarding").status_code == 302
    ref = db.scalars(select(SafeguardingReferral).where(SafeguardingReferral.case_id == cid)).one()
    rid = ref.id
    assert db.get(CaseFile, cid).regime == "safeguarding"
    db.rollback()
    html = open_referral(client, rid)
    assert "A teacher keeps a pupil after class." in html and "It happened again today." in html
    url = f"/safeguarding/referrals/{rid}"
    assert post(client, f"{url}/reply", {"reply-text": "Thank you. Which class is it?"}, url).status_code == 302
    # The reporter comes back with the same receipt, reads the answer and writes again.
    status = follow_up(public, receipt).get_data(as_text=True)
    assert "Thank you. Which class is it?" in status
    assert follow_up(public, receipt, action="reply", message="Class 6B.").status_code in (200, 302)
    assert "Class 6B." in open_referral(client, rid)
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "safeguarding.case_converted")) is not None
    db.rollback()
    # Back: refused once something is recorded (the reply counts), so convert a fresh one.
    assert post(client, f"{url}/revert", {}, url).status_code == 302
    assert db.get(CaseFile, cid).regime == "safeguarding"
    db.rollback()
    # Link a referral from a flag to a second case, and unlink.
    resp2 = submit_report(app.test_client(), {"category": "other", "what": "Same matter, told by a parent."})
    receipt2 = receipt_of(resp2)
    case2 = db.scalars(select(CaseFile).where(CaseFile.id != cid)).one()
    c2, ref2 = case2.id, case2.reference
    db.rollback()
    frid = referral_id(app, teacher_dm(app))
    furl = f"/safeguarding/referrals/{frid}"
    assert post(client, f"{furl}/link", {"link-reference": "AR-NOPE-NOPE"}, furl).status_code == 400
    assert post(client, f"{furl}/link", {"link-reference": ref2}, furl).status_code == 302
    page = open_referral(client, frid)
    assert "Linked to whistleblower case" in page and ref2 in page
    assert db.get(CaseFile, c2).regime == "whistleblowing"
    db.rollback()
    assert f'href="/safeguarding/referrals/{frid}"' in client.get(f"/cases/{c2}").get_data(as_text=True)  # both ways
    assert post(client, f"{furl}/unlink", {}, furl).status_code == 302
    assert db.get(SafeguardingReferral, frid).case_id is None
    db.rollback()
    assert ref2 in follow_up(public, receipt2).get_data(as_text=True)  # the receipt still works
    # Convert then revert while nothing is recorded: a whistleblower case again, receipt intact.
    assert post(client, f"/safeguarding/cases/{c2}/convert", {}, "/safeguarding").status_code == 302
    rid2 = db.scalar(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == c2))
    db.rollback()
    assert post(client, f"/safeguarding/referrals/{rid2}/revert", {}, f"/safeguarding/referrals/{rid2}"
                ).status_code == 302
    assert db.get(CaseFile, c2).regime == "whistleblowing"
    assert db.scalar(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == c2)) is None
    db.rollback()
    assert ref2 in follow_up(public, receipt2).get_data(as_text=True)  # the receipt still works
    assert db.scalar(select(CaseMessage.id).where(CaseMessage.case_id == cid, CaseMessage.from_reporter.is_(False)))
    del reference


def test_adult_author_names_the_real_child_and_the_chronologies_follow(app, client, signed_in, db):
    # An adult's post in a group, flagged by a parent: the parent is not "the child".
    iid = make_item(app, author="u-coach-1", age_band="adult", author_role="teacher", chat_kind="group",
                    audience="13to15", flags=[("u-parent-1", "parent", "sexual")], scores=QUIET)
    rid = referral_id(app, iid)
    assert db.get(SafeguardingReferral, rid).child_pseudonym != "u-parent-1"
    db.rollback()
    signed_in("safeguarding_lead")
    url = f"/safeguarding/referrals/{rid}"
    html = open_referral(client, rid)
    assert "Child not yet identified" in client.get("/safeguarding").get_data(as_text=True)
    assert post(client, f"{url}/people", {"add-pseudonym": "u-real-child", "add-part": "child_at_risk",
                                          "add-platform_role": "student", "add-age_band": "13to15"},
                url).status_code == 302
    assert db.get(SafeguardingReferral, rid).child_pseudonym == "u-real-child"
    db.rollback()
    desk = client.get("/safeguarding").get_data(as_text=True)
    assert "Child: <a" in desk and "u-real-child" in desk
    chron = client.get("/safeguarding/child/u-real-child").get_data(as_text=True)
    assert f"/safeguarding/referrals/{rid}" in chron and "as child at risk" in chron
    parent = client.get("/safeguarding/child/u-parent-1").get_data(as_text=True)
    assert "as also involved" in parent and "as child at risk" not in parent
    # The lead corrects the people: the chronology follows (it reads the people, not a column).
    child = people(app, rid)["u-real-child"]
    assert post(client, f"{url}/people/{child.id}", {f"c{child.id}-part": "involved",
                                                     f"c{child.id}-platform_role": "student",
                                                     f"c{child.id}-age_band": "13to15"}, url).status_code == 302
    assert db.get(SafeguardingReferral, rid).child_pseudonym == ""
    db.rollback()
    assert "as also involved" in client.get("/safeguarding/child/u-real-child").get_data(as_text=True)
    del html


def test_chronology_pdf_is_a_real_pdf_and_every_export_is_audited(app, client, signed_in, db, make_user):
    rid = referral_id(app, teacher_dm(app))
    lead = signed_in("safeguarding_lead")
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    note = "Mødte skolen i Århus; мама Олена дзвонила 😀 — ok"
    assert record(client, rid, child.id, "contact_school", detail=note).status_code == 302
    resp = client.get("/safeguarding/chronology.pdf?child=u-child-1")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "no-store"
    pdf = pikepdf.open(io.BytesIO(resp.data))
    assert len(pdf.pages) >= 1
    text = b"".join(pikepdf.unparse_content_stream(pikepdf.parse_content_stream(p)) for p in pdf.pages)
    assert b"Chronology of u-child-1" in text and b"M\xf8dte skolen i \xc5rhus" in text and b"mama Olena" in text
    for who in ("u-child-1", "u-child-1"):
        assert client.get(f"/safeguarding/chronology.pdf?child={who}").status_code == 200
    evs = db.scalars(select(AuditEvent).where(AuditEvent.action == "safeguarding.chronology_exported")).all()
    assert len(evs) == 3 and all(e.actor_id == lead.id and e.target_id == "u-child-1" for e in evs)
    assert all(set(e.details) == {"entries", "bytes", "format"} for e in evs)
    db.rollback()
    assert client.get("/safeguarding/chronology.pdf").status_code == 400
    from tests.conftest import login

    login(client, make_user("moderator"))
    assert client.get("/safeguarding/chronology.pdf?child=u-child-1").status_code == 403
