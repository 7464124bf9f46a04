"""The anonymous report form end to end: submit, receipt, follow-up, reply, attachments."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import select

from c2c_safety.cases.deadlines import add_months
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.report import reports
from c2c_safety.report.views import tokens
from models import Attachment, AuditEvent, CaseFile, CaseMessage, CaseStatus
from models.media import ReportImage
from tests.report.test_attachments import jpeg_with_gps
from tests.report.test_pdf_active_content import plain_pdf
from tests.support.intake import follow_up, form_token, receipt_of, submit_report


@pytest.fixture(autouse=True)
def _fast(app, redis_conn):
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def _case(db) -> CaseFile:
    db.expire_all()
    case = db.scalars(select(CaseFile)).one()
    db.commit()  # end the read: SQLite's BEGIN IMMEDIATE would otherwise block the app's requests
    return case


def test_report_with_attachments_end_to_end(app, client, db, redis_conn):
    resp = submit_report(client, {
        "category": "safeguarding_minor",
        "what": "An adult keeps messaging a 12-year-old privately.\r\nSecond line.",
        "when": "Last Tuesday", "who": "user 'coolteacher' in project Ocean", "contact": "",
        "attachments": [(io.BytesIO(jpeg_with_gps()), "chat.jpg"), (io.BytesIO(plain_pdf()), "log.pdf"),
                        (io.BytesIO(b"hej\n"), "notes.txt")],
    })
    assert resp.status_code == 200, resp.get_data(as_text=True)[:1000]
    receipt = receipt_of(resp)
    assert re.fullmatch(r"[a-z]+( [a-z]+){6}", receipt)  # seven words (report/codes.py)
    html = resp.get_data(as_text=True)
    assert "Write these words down" in html and "screenshot" in html

    case = _case(db)
    assert case.category == "safeguarding_minor" and case.routed_role == "safeguarding_lead"
    assert case.source == "anonymous_report" and case.language == "en"
    assert case.status == CaseStatus.ACKNOWLEDGED and case.acknowledged_at == case.received_at
    with app.app_context():
        assert open_text(case.body_sealed) == "An adult keeps messaging a 12-year-old privately.\nSecond line."
        assert open_text(case.occurred_sealed) == "Last Tuesday"
        assert open_text(case.involved_sealed) == "user 'coolteacher' in project Ocean"
    assert case.contact_sealed is None  # left empty: nothing stored
    digits = receipt
    assert case.receipt_hash.startswith("scrypt$") and digits not in case.receipt_hash
    assert case.receipt_lookup == reports_lookup(app, digits) and digits not in case.receipt_lookup
    atts = db.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)).all()
    assert [a.media_type for a in atts] == ["image/jpeg", "application/pdf", "text/plain"]

    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.received")).one()
    assert ev.case_id == case.id and ev.details == {"category": "safeguarding_minor"}
    jobs = Queue("default", connection=redis_conn).jobs
    # Scoring, then (after the files were committed) hashing and matching the reporter's image.
    assert [(j.func_name, j.args) for j in jobs] == [("workers.scoring.score_cases", ([case.id],)),
                                                     ("workers.media_reports.hash_case_images", (case.id,))]
    pending = db.scalars(select(ReportImage).where(ReportImage.case_id == case.id)).all()
    assert [(r.attachment_id, r.status) for r in pending] == [(atts[0].id, "pending")]  # the JPEG only


def reports_lookup(app, digits):
    with app.app_context():
        return reports.receipt_lookup(digits)


@pytest.mark.parametrize(("category", "role"), [
    ("safeguarding_minor", "safeguarding_lead"), ("ethical", "case_handler"), ("team_member", "ceo"),
    ("ceo", "independent_reviewer"), ("other", "case_handler"),
])
def test_categories_follow_the_contact_table(client, db, category, role):
    assert submit_report(client, {"category": category}).status_code == 200
    assert _case(db).routed_role == role


def test_follow_up_shows_status_deadlines_and_handler_messages(client, db, app):
    receipt = receipt_of(submit_report(client))
    case = _case(db)
    with app.app_context():
        db.add(CaseMessage(case_id=case.id, from_reporter=False,
                           body_sealed=seal_text("Thank you. Can you tell us which project?")))
        db.commit()
    resp = follow_up(client, receipt)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert case.reference in html and "Received and acknowledged" in html
    feedback_by = add_months(case.received_at, 3)
    assert f"{feedback_by.day} " in html and str(feedback_by.year) in html
    assert "Feedback due by" in html and "Thank you. Can you tell us which project?" in html
    assert "Reply from the safety team" in html
    # The receipt is carried for the reply form in a POST field, never in a URL.
    assert f'name="receipt" value="{receipt}"' in html
    for url in re.findall(r'(?:action|href)="([^"]*)"', html):
        assert receipt.split()[0] not in url and receipt.replace(" ", "+") not in url


def test_reporter_replies_with_an_attachment(app, client, db):
    receipt = receipt_of(submit_report(client))
    resp = follow_up(client, receipt, action="reply", message="It was in the 'Ocean' project.",
                     attachments=[(io.BytesIO(jpeg_with_gps()), "more.jpg")])
    assert resp.status_code == 200, resp.get_data(as_text=True)[:1000]
    assert "Your message has been sent." in resp.get_data(as_text=True)
    assert "It was in the &#39;Ocean&#39; project." in resp.get_data(as_text=True)
    msg = db.scalars(select(CaseMessage)).one()
    with app.app_context():
        assert msg.from_reporter and open_text(msg.body_sealed) == "It was in the 'Ocean' project."
    att = db.scalars(select(Attachment)).one()
    assert att.message_id == msg.id and att.media_type == "image/jpeg"
    # The words are committed first, then the checked files (each step audited).
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.reporter_message")).one()
    assert ev.details == {"message_id": msg.id, "attachments": 0}
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.reporter_files")).one()
    assert ev.details == {"message_id": msg.id, "attachments": 1}


def test_reply_needs_text_or_a_file_and_a_bad_file_is_explained(client, db):
    receipt = receipt_of(submit_report(client))
    resp = follow_up(client, receipt, action="reply", message="  ")
    assert resp.status_code == 400 and "Write a message or attach a file." in resp.get_data(as_text=True)
    # Only a refused file and no words: nothing to save, the reporter is told why.
    resp = follow_up(client, receipt, action="reply", message="",
                     attachments=[(io.BytesIO(b"MZ\x90\x00" * 50), "photo.jpg")])
    assert resp.status_code == 400
    assert "photo.jpg: we cannot take this kind of file" in resp.get_data(as_text=True)
    assert db.scalars(select(CaseMessage)).first() is None
    db.commit()
    # Words and a refused file: the words are saved, the refusal is shown.
    resp = follow_up(client, receipt, action="reply", message="see file",
                     attachments=[(io.BytesIO(b"MZ\x90\x00" * 50), "photo.jpg")])
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Your message has been sent." in html
    assert "These files were not attached" in html and "photo.jpg: we cannot take this kind of file" in html
    assert db.scalars(select(CaseMessage)).one() is not None
    assert db.scalars(select(Attachment)).first() is None


def test_closed_case_takes_no_replies(client, db):
    receipt = receipt_of(submit_report(client))
    case = _case(db)
    case.status = CaseStatus.CLOSED
    db.commit()
    html = follow_up(client, receipt).get_data(as_text=True)
    assert "This case is closed" in html and 'value="reply"' not in html
    assert follow_up(client, receipt, action="reply", message="hello?").status_code == 400
    assert db.scalars(select(CaseMessage)).first() is None


def test_missing_fields_keep_what_was_written(client, db):
    resp = submit_report(client, {"category": "", "what": "", "who": "<b>Someone</b>"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Choose what your concern is about." in html and "Tell us what happened." in html
    assert "&lt;b&gt;Someone&lt;/b&gt;" in html and "<b>Someone</b>" not in html
    assert db.scalars(select(CaseFile)).first() is None


def test_too_long_text_is_refused_but_kept_in_the_form(client, db):
    resp = submit_report(client, {"what": "x" * 20_001})
    assert resp.status_code == 400 and "under 20,000 characters" in resp.get_data(as_text=True)
    assert db.scalars(select(CaseFile)).first() is None


def test_bad_attachment_never_costs_the_report(client, db):
    # Issue 10, item 8: the report is saved and the receipt shown; the page names the file
    # that was not taken and why, and the good file is attached.
    resp = submit_report(client, {"attachments": [(io.BytesIO(b"x" * (5 * 1024 * 1024 + 1)), "video.txt"),
                                                  (io.BytesIO(b"chat log\n"), "chat.txt")]})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    receipt_of(resp)
    assert "These files were not attached" in html and "video.txt: the file is larger than 5 MB." in html
    case = _case(db)
    assert [a.media_type for a in db.scalars(select(Attachment).where(Attachment.case_id == case.id))] == [
        "text/plain"]


def test_invalid_form_asks_to_choose_files_again(client, db):
    resp = submit_report(client, {"what": "", "attachments": [(io.BytesIO(b"chat log\n"), "chat.txt")]})
    assert resp.status_code == 400
    assert "choose them again" in resp.get_data(as_text=True)
    assert db.scalars(select(CaseFile)).first() is None


def test_request_over_the_total_limit_gets_a_friendly_413(client, db):
    token = form_token(client, "/report?lang=da")
    # A browser announces the size first: six 5 MB files are refused before anything is read.
    resp = client.post("/report?lang=da", data={"form_token": token, "category": "other", "what": "x"},
                       content_type="multipart/form-data",
                       environ_overrides={"CONTENT_LENGTH": str(31 * 1024 * 1024)})
    assert resp.status_code == 413
    assert "Det var for stort" in resp.get_data(as_text=True)
    assert db.scalars(select(CaseFile)).first() is None


def test_expired_form_keeps_the_text(client, db, monkeypatch):
    token = form_token(client, "/report")
    monkeypatch.setattr(tokens, "TOKEN_MAX_AGE", -1)
    resp = client.post("/report", data={"form_token": token, "category": "ethical", "what": "my long story"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "open for a long time" in html and "my long story" in html
    assert db.scalars(select(CaseFile)).first() is None


@pytest.mark.parametrize("token", ["", "forged", None])
def test_missing_or_forged_token_is_refused(client, db, token):
    data = {"category": "ethical", "what": "spam spam"}
    if token is not None:
        data["form_token"] = token
    assert client.post("/report", data=data).status_code == 400
    assert db.scalars(select(CaseFile)).first() is None


def test_follow_up_token_does_not_work_on_the_report_form(client, db):
    token = form_token(client, "/report/follow-up")
    assert client.post("/report", data={"form_token": token, "category": "ethical", "what": "x"}).status_code == 400


def test_sending_the_same_form_twice_makes_one_case(client, db):
    token = form_token(client, "/report")
    data = {"form_token": token, "category": "ethical", "what": "only once please"}
    first = client.post("/report", data=data)
    assert first.status_code == 200
    again = client.post("/report", data=data)  # a reload: the same code again, no second report
    assert again.status_code == 200 and "You already sent this report" in again.get_data(as_text=True)
    assert receipt_of(again) == receipt_of(first)
    assert len(db.scalars(select(CaseFile)).all()) == 1


def test_cross_site_post_is_refused(client, db):
    token = form_token(client, "/report")
    resp = client.post("/report", data={"form_token": token, "category": "ethical", "what": "x"},
                       headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status_code == 403 and db.scalars(select(CaseFile)).first() is None


def test_danish_by_query_string_and_by_browser(client, db):
    html = client.get("/report?lang=da").get_data(as_text=True)
    assert '<html lang="da">' in html and "Fortæl os, hvad der er sket" in html
    assert 'action="/report?lang=da"' in html and 'href="/report?lang=en"' in html
    by_browser = client.get("/report", headers={"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
    assert "Fortæl os, hvad der er sket" in by_browser.get_data(as_text=True)
    english = client.get("/report", headers={"Accept-Language": "ja, en;q=0.1"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Tell us about a concern" in english
    assert "Tell us about a concern" in client.get("/report?lang=xx").get_data(as_text=True)

    resp = submit_report(client, {"what": "Noget skete"}, lang="da")
    assert "Tak. Vi har fået det, du skrev." in resp.get_data(as_text=True)
    assert _case(db).language == "da"
    status = follow_up(client, receipt_of(resp), lang="da").get_data(as_text=True)
    assert "Modtaget og bekræftet" in status and "Besked senest" in status


def test_pages_work_without_javascript_and_have_labels(client):
    for url in ("/report", "/report/follow-up", "/report?lang=da"):
        html = client.get(url).get_data(as_text=True)
        # No inline script or style; the one script is the quick exit's progressive
        # enhancement, served by the app (the pages work the same without it).
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts == ['<script src="/static/js/quick-exit.js" defer>'] and " style=" not in html
        for control in re.findall(r'<(?:input|textarea)[^>]*id="([^"]+)"', html):
            assert f'for="{control}"' in html, (url, control)


def test_deadline_dates_on_the_receipt(client, db):
    resp = submit_report(client)
    case = _case(db)
    html = resp.get_data(as_text=True)
    local = (case.received_at + timedelta(hours=2)).strftime("%B")  # month name in words
    assert local in html or case.received_at.strftime("%B") in html
