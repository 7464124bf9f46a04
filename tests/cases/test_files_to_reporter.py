"""Issue 22.8: files to the reporter. A handler (or the safeguarding lead on a report's
referral) attaches a file to a message; it is cleaned like the reporter's uploads, sealed,
removed with the case, and the reporter downloads it only with their receipt code."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from c2c_safety.retention import anonymise
from models import Attachment, AuditEvent, CaseFile, CaseMessage, utcnow
from tests.conftest import login
from tests.support.intake import follow_up, form_token, post_multipart, receipt_of, submit_report
from tests.support.media import picture
from tests.support.safeguarding import open_referral, token

FILE_RE = re.compile(r'name="file" value="(\d+)"')


def _report(app, category: str = "ethical") -> tuple[int, str]:
    resp = submit_report(app.test_client(), {"category": category, "what": "The trip money went missing."})
    assert resp.status_code == 200
    receipt = receipt_of(resp)
    from c2c_safety.core.db import new_session
    with app.app_context():
        s = new_session(app)
        cid = s.scalars(select(CaseFile.id).order_by(CaseFile.id.desc())).first()
        s.close()
    assert cid is not None
    return cid, receipt


def _send(client, cid: int, text: str, name: str, data: bytes):
    csrf = token(client.get(f"/cases/{cid}").get_data(as_text=True))
    return post_multipart(client, f"/cases/{cid}/message", {
        "csrf_token": csrf, "msg-text": text, "msg-file": (io.BytesIO(data), name)})


def _download(public, receipt: str, file_id: int | str, **headers: str):
    tok = form_token(public, "/report/follow-up?lang=en")
    return post_multipart(public, "/report/follow-up/file?lang=en",
                          {"form_token": tok, "receipt": receipt, "file": str(file_id)}, headers=headers or None)


def test_a_handler_sends_a_cleaned_picture_and_the_reporter_downloads_it_with_the_code(app, client, db, make_user):
    handler = make_user("case_handler")
    cid, receipt = _report(app)
    login(client, handler)
    photo = picture(3, exif=True)
    assert b"PhoneMaker" in photo
    resp = _send(client, cid, "Here is the form we mentioned.", "../../etc/Form photo.jpg", photo)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    att = db.scalars(select(Attachment).where(Attachment.from_reporter.is_(False))).one()
    msg = db.scalars(select(CaseMessage).where(CaseMessage.from_reporter.is_(False))).one()
    assert att.case_id == cid and att.message_id == msg.id and att.media_type == "image/jpeg"
    assert b"PhoneMaker" not in (att.data_sealed or b"")  # sealed at rest
    sent = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.message_sent")).one()
    assert sent.details == {"attachment_ids": [att.id]}
    att_id, msg_id = att.id, msg.id
    db.rollback()
    assert f"sent to the reporter with message #{msg_id}" in client.get(f"/cases/{cid}").get_data(as_text=True)

    public = app.test_client()
    status = follow_up(public, receipt).get_data(as_text=True)
    assert "Here is the form we mentioned." in status and "Download Form photo.jpg" in status
    assert FILE_RE.search(status).group(1) == str(att_id)  # type: ignore[union-attr]
    got = _download(public, receipt, att_id)
    assert got.status_code == 200
    assert got.headers["Content-Disposition"].startswith('attachment; filename="Form photo.jpg"')
    assert got.headers["Cache-Control"] == "no-store" and got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.mimetype == "image/jpeg" and "Set-Cookie" not in got.headers
    body = got.get_data()
    assert b"PhoneMaker" not in body and not Image.open(io.BytesIO(body)).getexif()  # metadata gone
    dl = db.scalars(select(AuditEvent).where(AuditEvent.action == "case.reporter_downloaded_file")).one()
    assert dl.actor_id is None and dl.actor_label == "anonymous reporter" and dl.target_id == str(att_id)
    assert dl.case_id == cid and not dl.details  # nothing about the reporter
    assert receipt.replace("-", "") not in str(dl.details) + dl.actor_label
    db.rollback()


def test_the_reporter_needs_the_right_code_and_gets_only_files_the_desk_sent(app, client, db, make_user):
    handler = make_user("case_handler")
    cid, receipt = _report(app)
    other_cid, other_receipt = _report(app)
    login(client, handler)
    assert _send(client, cid, "A file for you.", "note.txt", b"Plain words for the reporter.\n").status_code == 302
    ours = db.scalars(select(Attachment.id).where(Attachment.from_reporter.is_(False))).one()
    db.rollback()
    public = app.test_client()
    # The reporter's own upload is not downloadable from the status page.
    follow_up(public, receipt, action="reply", message="", attachments=(io.BytesIO(b"my own words\n"), "mine.txt"))
    theirs = db.scalars(select(Attachment.id).where(Attachment.from_reporter.is_(True))).one()
    db.rollback()
    assert _download(public, receipt, ours).get_data() == b"Plain words for the reporter.\n"
    assert _download(public, other_receipt, ours).status_code == 404  # another case's code
    assert _download(public, receipt, theirs).status_code == 404
    for hostile in ("abc", "٣", "99999999999999999999", "-1", "1\x00"):
        assert _download(public, receipt, hostile).status_code == 404, hostile
    assert _download(public, "0000-0000-0000-0000", ours).status_code in (400, 401)
    assert _download(public, receipt, ours, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    # Without the signed form token: refused.
    resp = post_multipart(public, "/report/follow-up/file", {"receipt": receipt, "file": str(ours)})
    assert resp.status_code == 400
    assert other_cid != cid


def test_other_types_are_refused_with_a_form_error_and_nothing_is_sent(app, client, db, make_user):
    handler = make_user("case_handler")
    cid, _receipt = _report(app)
    login(client, handler)
    for name, data, words in (
            ("page.html", b"<html><script>alert(1)</script></html>", "This kind of file cannot be sent"),
            ("archive.zip", b"PK\x03\x04" + b"\0" * 40, "This kind of file cannot be sent"),
            ("empty.pdf", b"", "The file is empty"),
            ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "damaged")):
        resp = _send(client, cid, "Please see the file.", name, data)
        assert resp.status_code == 400, name
        assert words in resp.get_data(as_text=True), name
    assert not db.scalars(select(CaseMessage).where(CaseMessage.from_reporter.is_(False))).all()
    assert not db.scalars(select(Attachment)).all()
    db.rollback()


def test_a_file_for_the_reporter_goes_with_the_case_when_it_is_anonymised(app, client, db, make_user):
    handler = make_user("case_handler")
    cid, receipt = _report(app)
    login(client, handler)
    assert _send(client, cid, "A file for you.", "note.txt", b"Plain words.\n").status_code == 302
    att_id = db.scalars(select(Attachment.id)).one()
    with app.app_context():
        anonymise.case_files(db, [cid], utcnow() + timedelta(days=1), policy={})
        db.commit()
    assert db.get(Attachment, att_id) is None
    db.rollback()
    assert _download(app.test_client(), receipt, att_id).status_code in (401, 404)


def test_the_safeguarding_lead_sends_a_file_on_a_reports_referral(app, client, db, make_user):
    from models.review import SafeguardingReferral

    lead = make_user("safeguarding_lead")
    cid, receipt = _report(app, category="safeguarding_minor")
    rid = db.scalars(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == cid)).one()
    db.rollback()
    login(client, lead)
    url = f"/safeguarding/referrals/{rid}"
    page = open_referral(client, rid)
    assert 'enctype="multipart/form-data"' in page
    refused = post_multipart(client, f"{url}/reply", {"csrf_token": token(page), "reply-text": "See this.",
                                                      "reply-file": (io.BytesIO(b"<svg onload=x>"), "x.svg")})
    assert refused.status_code == 400 and "This kind of file cannot be sent" in refused.get_data(as_text=True)
    ok = post_multipart(client, f"{url}/reply", {
        "csrf_token": token(open_referral(client, rid)), "reply-text": "Here is a leaflet about staying safe.",
        "reply-file": (io.BytesIO(picture(5, fmt="PNG")), "leaflet.png")})
    assert ok.status_code == 302
    att_id = db.scalars(select(Attachment.id).where(Attachment.from_reporter.is_(False))).one()
    db.rollback()
    public = app.test_client()
    assert "Download leaflet.png" in follow_up(public, receipt).get_data(as_text=True)
    got = _download(public, receipt, att_id)
    assert got.status_code == 200 and got.mimetype == "image/png"
