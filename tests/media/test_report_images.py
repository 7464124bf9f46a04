"""Reporters' images go through the same path as flags' images: an anonymous report's image
attachment is hashed (PDQ + SHA-256) and matched by a worker job; a child-abuse match makes the
report an urgent safeguarding referral, restricts the attachment to the safeguarding lead (a
second confirmation, audited), preserves the evidence (a legal hold by the system, which the
retention sweep respects) and prepares the hotline record, which the lead marks as sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import workers.context
from c2c_safety.core import uploads
from c2c_safety.core.db import new_session
from c2c_safety.report import reports
from c2c_safety.retention import sweep
from models import AuditEvent, CaseFile, CaseRegime, CaseStatus, utcnow
from models.cases import LegalHold
from models.media import HotlineRecord, MediaStatus, ReportImage
from models.review import SafeguardingAction, SafeguardingReferral
from models.safeguarding_records import SafeguardingHold
from tests.conftest import csrf_token
from tests.support.media import LISTED, PLAIN, list_hash
from workers import media as media_jobs
from workers import media_reports
from workers.media_hash import hash_image

SYSTEM = "system:hash-match"


@pytest.fixture(autouse=True)
def _worker_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers.context, "_app", app)  # the jobs run in this test's app


def _report(app: Flask, images: list[bytes], category: str = "ethical") -> int:
    """An anonymous report as the public form leaves it: committed, then its files checked in the
    upload sandbox (metadata stripped) and attached."""
    files = [uploads.clean(f"photo{i}.jpg", data) for i, data in enumerate(images)]
    with app.app_context():
        s = new_session(app)
        submitted = reports.submit_report(s, reports.ReportInput(category=category, what="Look at these photos."), [])
        s.commit()
        reports.attach_reporter_files(s, submitted.case, files)
        s.commit()
        case_id = submitted.case.id
        s.close()
    return case_id


def _images(db: Session, case_id: int) -> list[ReportImage]:
    db.expire_all()
    return list(db.scalars(select(ReportImage).where(ReportImage.case_id == case_id).order_by(ReportImage.id)))


def _actors(db: Session, action: str) -> list[str]:
    return list(db.scalars(select(AuditEvent.actor_label).where(AuditEvent.action == action)))


def test_a_listed_image_in_a_report_makes_it_an_urgent_referral_held_as_evidence(
        app: Flask, db: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("safeguarding_lead")  # a lead to route the referral to
    list_hash(app, LISTED)
    case_id = _report(app, [PLAIN, LISTED])
    plain, listed = _images(db, case_id)
    assert plain.status == listed.status == MediaStatus.PENDING  # recorded in the report's transaction
    db.rollback()
    assert media_reports.hash_case_images(case_id) == 2
    plain, listed = _images(db, case_id)
    assert plain.status == listed.status == MediaStatus.STORED
    assert not plain.restricted and plain.match_list_id is None and plain.sha256 and plain.pdq
    assert listed.restricted and listed.match_reference == "hotline-42" and (listed.match_distance or 0) <= 31
    case = db.get(CaseFile, case_id)
    assert case is not None and case.regime == CaseRegime.SAFEGUARDING and case.legal_hold
    ref = db.scalar(select(SafeguardingReferral).where(SafeguardingReferral.case_id == case_id))
    assert ref is not None and "known_abuse_image" in ref.reasons and ref.assigned_to_id is not None
    hold = db.scalar(select(SafeguardingHold).where(SafeguardingHold.referral_id == ref.id))
    assert hold is not None and hold.released_at is None and hold.placed_by_id is None
    case_hold = db.scalar(select(LegalHold).where(LegalHold.case_id == case_id))
    assert case_hold is not None and case_hold.placed_by_id is None
    # The system did it, and the audit log says so under one clear name.
    assert _actors(db, "safeguarding.evidence_preserved") == [SYSTEM]
    assert _actors(db, "case.legal_hold_placed") == [SYSTEM]
    assert _actors(db, "safeguarding.referred") == [SYSTEM]
    record = db.scalar(select(HotlineRecord).where(HotlineRecord.referral_id == ref.id))
    assert record is not None and record.sent_at is None and len(record.entries) == 1
    (entry,) = record.entries
    assert entry["pdq"] == listed.pdq.hex() and entry["sha256"] == listed.sha256  # type: ignore[union-attr]
    assert entry["list_reference"] == "hotline-42" and entry["source"] == "Hotline"
    # Idempotent: running the job again changes nothing.
    db.rollback()
    assert media_reports.hash_case_images(case_id) == 0 and media_jobs.fetch_due() == 0
    assert len(list(db.scalars(select(SafeguardingHold)))) == 1


def test_the_held_report_survives_the_retention_sweep(app: Flask, db: Session) -> None:
    list_hash(app, LISTED)
    case_id = _report(app, [LISTED])
    media_reports.hash_case_images(case_id)
    long_ago = utcnow() - timedelta(days=365 * 20)
    db.execute(update(CaseFile).where(CaseFile.id == case_id).values(
        status=CaseStatus.CLOSED, closed_at=long_ago, retention_clock_from=long_ago))
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.case_id == case_id).values(
        status="closed", closed_at=long_ago))
    db.commit()
    with app.app_context():
        s = new_session(app)
        sweep.sweep(s)
        s.close()
    db.expire_all()
    case = db.get(CaseFile, case_id)
    assert case is not None and case.anonymised_at is None and case.body_sealed is not None
    assert _images(db, case_id)[0].pdq is not None


def test_a_report_about_a_child_gets_the_reason_on_its_own_referral(app: Flask, db: Session) -> None:
    list_hash(app, LISTED)
    case_id = _report(app, [LISTED], category="child_sexual")
    media_reports.hash_case_images(case_id)
    db.expire_all()
    refs = list(db.scalars(select(SafeguardingReferral).where(SafeguardingReferral.case_id == case_id)))
    assert len(refs) == 1 and refs[0].reasons == ["anonymous report about a child", "known_abuse_image"]


def test_an_unlisted_image_is_only_hashed(app: Flask, db: Session) -> None:
    list_hash(app, LISTED)
    case_id = _report(app, [PLAIN])
    media_jobs.fetch_due()  # the periodic sweep finds it too (a Redis outage loses nothing)
    (row,) = _images(db, case_id)
    assert row.status == MediaStatus.STORED and row.sha256 == hash_image(
        uploads.clean("p.jpg", PLAIN).data).sha256
    case = db.get(CaseFile, case_id)
    assert case is not None and case.regime != CaseRegime.SAFEGUARDING and not case.legal_hold


def _restricted_case(app: Flask, db: Session) -> tuple[int, int, int]:
    list_hash(app, LISTED)
    case_id = _report(app, [LISTED])
    media_reports.hash_case_images(case_id)
    (row,) = _images(db, case_id)
    att_id = row.attachment_id
    ref_id = db.scalar(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == case_id))
    assert ref_id is not None
    db.rollback()  # SQLite: an open read would block the requests' writes
    return case_id, att_id, ref_id


@pytest.mark.parametrize("role", ["case_handler", "independent_reviewer"])
def test_a_restricted_attachment_is_refused_to_everyone_but_the_lead(
        app: Flask, db: Session, client: FlaskClient, signed_in, role: str) -> None:  # type: ignore[no-untyped-def]
    case_id, att_id, _ = _restricted_case(app, db)
    signed_in(role)
    assert client.get(f"/cases/{case_id}/attachments/{att_id}").status_code in (403, 404)
    token = csrf_token(client, "/account")
    got = client.post(f"/cases/{case_id}/attachments/{att_id}/reveal",
                      data={"csrf_token": token, "confirm": "y", "reason": "I want to see it please"})
    assert got.status_code in (403, 404)


def test_the_lead_opens_it_only_after_confirming_why(app: Flask, db: Session, client: FlaskClient,
                                                      signed_in) -> None:  # type: ignore[no-untyped-def]
    signed_in("safeguarding_lead")
    case_id, att_id, ref_id = _restricted_case(app, db)
    page = client.get(f"/safeguarding/referrals/{ref_id}").get_data(as_text=True)
    assert f"/cases/{case_id}/attachments/{att_id}/reveal" in page
    assert f'href="/cases/{case_id}/attachments/{att_id}"' not in page  # no link before the reveal
    assert client.get(f"/cases/{case_id}/attachments/{att_id}").status_code == 403
    token = csrf_token(client, f"/safeguarding/referrals/{ref_id}")
    url = f"/cases/{case_id}/attachments/{att_id}/reveal"
    assert client.post(url, data={"csrf_token": token, "reason": "police asked for it"}).status_code == 302
    assert client.get(f"/cases/{case_id}/attachments/{att_id}").status_code == 403  # not confirmed: nothing
    got = client.post(url, data={"csrf_token": token, "confirm": "y", "reason": "police asked for it"})
    assert got.status_code == 302 and got.headers["Location"].endswith(f"/cases/{case_id}/attachments/{att_id}")
    download = client.get(got.headers["Location"])
    assert download.status_code == 200 and download.data[:2] == b"\xff\xd8"
    assert len(list(db.scalars(select(AuditEvent.id).where(
        AuditEvent.action == "view.attachment_restricted_revealed")))) == 1


def test_the_lead_marks_the_hotline_record_sent_and_exports_it(app: Flask, db: Session, client: FlaskClient,
                                                               signed_in) -> None:  # type: ignore[no-untyped-def]
    lead = signed_in("safeguarding_lead")
    _, _, ref_id = _restricted_case(app, db)
    page = client.get(f"/safeguarding/referrals/{ref_id}").get_data(as_text=True)
    record = db.scalar(select(HotlineRecord).where(HotlineRecord.referral_id == ref_id))
    assert record is not None
    reference, pdq, sha = record.reference, str(record.entries[0]["pdq"]), str(record.entries[0]["sha256"])
    db.rollback()
    assert reference in page and pdq in page
    csv = client.get(f"/safeguarding/referrals/{ref_id}/hotline-record.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert text.startswith("desk_reference,prepared_at_utc,image,pdq,sha256,")
    assert pdq in text and sha in text
    assert "hotline-42" in text and LISTED[:50].hex() not in text
    token = csrf_token(client, f"/safeguarding/referrals/{ref_id}")
    url = f"/safeguarding/referrals/{ref_id}/hotline-record/sent"
    bad = client.post(url, data={"csrf_token": token, "hotline-hotline": "Not a hotline", "hotline-reference": "X"})
    assert bad.status_code == 400
    assert client.post(url, data={"hotline-hotline": "Red Barnet", "hotline-reference": "RB-1"}).status_code == 400
    hotline = page.split('name="hotline-hotline"')[1].split('<option value="')[2].split('"')[0]
    ok = client.post(url, data={"csrf_token": token, "hotline-hotline": hotline, "hotline-reference": "RB-2026-77"})
    assert ok.status_code == 302
    db.expire_all()
    record = db.scalar(select(HotlineRecord).where(HotlineRecord.referral_id == ref_id))
    assert record is not None and record.sent_at is not None and record.sent_by_id == lead.id
    assert (record.hotline, record.hotline_reference) == (hotline, "RB-2026-77")
    action = db.scalar(select(SafeguardingAction).where(SafeguardingAction.referral_id == ref_id,
                                                        SafeguardingAction.kind == "hotline_report"))
    assert action is not None and action.authority == hotline
    assert _actors(db, "safeguarding.hotline_record_sent") == [lead.email]
    assert _actors(db, "safeguarding.hotline_record_exported") == [lead.email]
    db.rollback()
    again = client.post(url, data={"csrf_token": token, "hotline-hotline": hotline, "hotline-reference": "RB-3"})
    assert again.status_code == 400  # sent once


def test_other_roles_cannot_mark_or_export_the_record(app: Flask, db: Session, client: FlaskClient,
                                                      signed_in) -> None:  # type: ignore[no-untyped-def]
    _, _, ref_id = _restricted_case(app, db)
    signed_in("moderator")
    token = csrf_token(client, "/account")
    assert client.get(f"/safeguarding/referrals/{ref_id}/hotline-record.csv").status_code == 403
    assert client.post(f"/safeguarding/referrals/{ref_id}/hotline-record/sent",
                       data={"csrf_token": token, "hotline-reference": "x"}).status_code == 403
