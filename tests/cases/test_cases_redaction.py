"""Redaction of irrelevant personal data (Directive Art. 17), and attachment downloads."""

from __future__ import annotations

from sqlalchemy import select

from c2c_safety.core.crypto import open_text
from models import Attachment, AuditEvent, CaseFile, CaseMessage, CaseRedaction
from tests.conftest import post_form
from tests.support.cases import get, make_case, scalars


def _redact(client, cid, **data):
    payload = {f"redact-{k}": v for k, v in data.items()}
    return post_form(client, f"/cases/{cid}/redact", payload, token_from=f"/cases/{cid}")


def test_redact_a_span_in_the_report(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db, body="Kim and her neighbour Jonas Jensen (not involved) were there.")
    resp = _redact(client, cid, target="body", span="Jonas Jensen", reason="third_party")
    assert resp.status_code == 302
    with app.app_context():
        body = open_text(get(db, CaseFile, cid).body_sealed)
    assert body == "Kim and her neighbour [redacted] (not involved) were there."
    (row,) = scalars(db, select(CaseRedaction))
    assert row.target == "body" and not row.whole and row.reason_code == "third_party"
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.action == "case.redacted"))
    assert ev.case_id == cid and ev.details["reason"] == "third_party" and "Jonas" not in str(ev.details)


def test_redact_a_whole_field_message_and_attachment(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db, with_attachment=True)
    msg_id = scalars(db, select(CaseMessage.id).where(CaseMessage.case_id == cid))[0]
    att_id = scalars(db, select(Attachment.id).where(Attachment.case_id == cid))[0]
    assert _redact(client, cid, target="contact", reason="not_relevant").status_code == 302
    assert _redact(client, cid, target="message", target_id=msg_id, reason="not_relevant").status_code == 302
    assert _redact(client, cid, target="attachment", target_id=att_id, reason="special_category").status_code == 302
    with app.app_context():
        assert open_text(get(db, CaseFile, cid).contact_sealed) == "[redacted]"
        assert open_text(get(db, CaseMessage, msg_id).body_sealed) == "[redacted]"
        att = get(db, Attachment, att_id)
        assert att.data_sealed is None and open_text(att.filename_sealed) == "[redacted]"
    assert client.get(f"/cases/{cid}/attachments/{att_id}").status_code == 410
    assert len(scalars(db, select(CaseRedaction))) == 3


def test_redaction_needs_text_that_exists_and_a_reason(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db)
    assert _redact(client, cid, target="body", span="not in there", reason="third_party").status_code == 400
    assert _redact(client, cid, target="body", reason="bogus").status_code == 400
    assert scalars(db, select(CaseRedaction)) == []


def test_attachment_download_is_safe_and_audited(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db, with_attachment=True)
    att_id = scalars(db, select(Attachment.id).where(Attachment.case_id == cid))[0]
    resp = client.get(f"/cases/{cid}/attachments/{att_id}")
    assert resp.status_code == 200 and resp.data == b"hello"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="evidence.txt"'
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.action == "case.attachment_downloaded"))
    assert ev.case_id == cid
    other = make_case(app, db)
    assert client.get(f"/cases/{other}/attachments/{att_id}").status_code == 404  # wrong case


def test_reader_cannot_redact(app, client, db, signed_in):
    signed_in("independent_reviewer")
    cid = make_case(app, db)
    assert _redact(client, cid, target="body", reason="not_relevant").status_code == 403
