"""The lead's daily records (issue 19, item 9): contact with parents or carers, support given,
a report to a hotline for sexual images of a child (the hotline from a configurable list,
its reference sealed, never the image), and evidence preserved under a legal hold. Each is
audited and shows in the referral and in the child's chronology."""

from __future__ import annotations

from sqlalchemy import func, select

from c2c_safety.core.crypto import open_text
from models import AuditEvent
from models.review import SafeguardingAction
from models.safeguarding_records import SafeguardingHold
from tests.safeguarding.test_people_and_actions import teacher_dm
from tests.support.safeguarding import open_referral, people, post, record, referral_id


def _audits(db, action: str) -> list[AuditEvent]:
    rows = list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))
    db.expunge_all()  # keep what was read; end the read so the next request can write (SQLite)
    db.rollback()
    return rows


def test_parents_contact_and_support_are_recorded_audited_and_in_the_chronology(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    assert record(client, rid, child.id, "contact_parents").status_code == 400  # say what was done
    assert record(client, rid, child.id, "contact_parents", detail="Phoned the mother; she will talk to the child.") \
        .status_code == 302
    assert record(client, rid, child.id, "support_given", detail="School counsellor session booked.") \
        .status_code == 302
    html = open_referral(client, rid)
    assert "Contacted the child&#39;s parents or carers" in html and "Support given to the child" in html
    chron = client.get("/safeguarding/child/u-child-1").get_data(as_text=True)
    assert "parents or carers" in chron and "Support given to the child" in chron
    assert len(_audits(db, "safeguarding.contact_parents")) == 1
    assert len(_audits(db, "safeguarding.support_given")) == 1


def test_a_hotline_report_names_a_configured_hotline_and_seals_its_reference(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app, reason="sexual"))
    signed_in("safeguarding_lead")
    html = open_referral(client, rid)
    assert "Red Barnet" in html and "Never attach, paste or forward the image" in html
    child = people(app, rid)["u-child-1"]
    # No hotline, an unknown hotline, no reference: refused.
    assert record(client, rid, child.id, "hotline_report", authority_ref="RB-1").status_code == 400
    assert record(client, rid, child.id, "hotline_report", hotline="Some website",
                  authority_ref="RB-1").status_code == 400
    assert record(client, rid, child.id, "hotline_report", hotline="Red Barnet – Sletdet (Denmark)").status_code == 400
    assert record(client, rid, child.id, "hotline_report", hotline="Red Barnet – Sletdet (Denmark)",
                  authority_ref="SD-2026-0042").status_code == 302
    row = db.scalars(select(SafeguardingAction).where(SafeguardingAction.kind == "hotline_report")).one()
    assert row.authority == "Red Barnet – Sletdet (Denmark)"
    assert b"SD-2026-0042" not in (row.authority_ref_sealed or b"")
    with app.app_context():
        assert open_text(row.authority_ref_sealed) == "SD-2026-0042"
    db.rollback()
    page = open_referral(client, rid)
    assert "Hotline: Red Barnet – Sletdet (Denmark); reference SD-2026-0042" in page
    assert "Reported sexual images of the child to a hotline" in client.get(
        "/safeguarding/child/u-child-1").get_data(as_text=True)
    [ev] = _audits(db, "safeguarding.hotline_report")
    assert "SD-2026" not in str(ev.details)


def test_the_hotline_list_is_configurable_and_audited(app, client, signed_in, db):
    signed_in("safeguarding_lead")
    assert client.get("/safeguarding/settings").status_code == 200
    bad = post(client, "/safeguarding/settings", {"ceo_after_hours": "0", "hotlines": "X"}, "/safeguarding/settings")
    assert bad.status_code == 400
    ok = post(client, "/safeguarding/settings", {"ceo_after_hours": "12", "hotlines": "Hotline A\nHotline B"},
              "/safeguarding/settings")
    assert ok.status_code == 302
    rid = referral_id(app, teacher_dm(app))
    html = open_referral(client, rid)
    assert "Hotline A" in html and "Red Barnet" not in html
    child = people(app, rid)["u-child-1"]
    assert record(client, rid, child.id, "hotline_report", hotline="Red Barnet – Sletdet (Denmark)",
                  authority_ref="X1").status_code == 400
    assert record(client, rid, child.id, "hotline_report", hotline="Hotline B", authority_ref="X1").status_code == 302
    assert {e.target_id for e in _audits(db, "settings.changed")} >= {"safeguarding_hotlines",
                                                                       "safeguarding_ceo_after_hours"}


def test_evidence_preserved_places_and_releases_a_legal_hold(app, client, signed_in, make_user, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    url = f"/safeguarding/referrals/{rid}"
    assert post(client, url + "/hold", {"hold-detail": "police"}, url).status_code == 400  # a reason, please
    assert post(client, url + "/hold/release", {"hold-detail": "Nothing to release here at all."}, url) \
        .status_code == 400
    assert post(client, url + "/hold", {"hold-detail": "The police asked us to keep everything."}, url) \
        .status_code == 302
    assert post(client, url + "/hold", {"hold-detail": "The police asked us to keep everything."}, url) \
        .status_code == 400  # one hold at a time
    html = open_referral(client, rid)
    assert "Legal hold" in html and "Release the legal hold" in html
    assert "Evidence preserved (legal hold placed)" in client.get("/safeguarding/child/u-child-1").get_data(
        as_text=True)
    assert post(client, url + "/hold/release", {"hold-detail": "The police closed their investigation."}, url) \
        .status_code == 302
    hold = db.scalars(select(SafeguardingHold)).one()
    assert hold.released_at is not None and hold.release_reason_sealed is not None
    hold_id = hold.id
    assert db.scalar(select(func.count()).select_from(SafeguardingAction).where(
        SafeguardingAction.kind.in_(("evidence_preserved", "hold_released")))) == 2
    db.rollback()
    assert len(_audits(db, "safeguarding.evidence_preserved")) == 1
    [released] = _audits(db, "safeguarding.hold_released")
    assert released.details["hold_id"] == hold_id
    assert "Legal hold released" in open_referral(client, rid)
