"""Safeguarding referrals' own retention (issue 19, item 10): at least five years from
closure (configurable, never below), anonymised to a statistical stub with their item,
skipped while evidence is preserved under a legal hold (release audited), and the access
log of a referral — who viewed it or a chronology of someone in it — kept as long as the
referral. The clock is passed in (`now`), never patched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from c2c_safety.audit import log as audit
from c2c_safety.audit import sequencer
from c2c_safety.cases.deadlines import add_months
from c2c_safety.retention import sweep as retention
from models import AnonymisedRecord, AuditEvent, ReviewItem, utcnow
from models.review import ReferralStatus, SafeguardingAction, SafeguardingPerson, SafeguardingReferral
from tests.conftest import login
from tests.safeguarding.test_people_and_actions import teacher_dm
from tests.support.safeguarding import open_referral, people, post, record, referral_id

NOW = utcnow().replace(microsecond=0)
FIVE_YEARS_AGO = add_months(NOW, -60)


def _lead_works(app, client, make_user, *, hold: bool = False) -> int:
    """A referral the lead opened (people derived), recorded on, maybe held, then closed."""
    rid = referral_id(app, teacher_dm(app, text="SECRET-CHAT you are so mature"))
    login(client, make_user("safeguarding_lead"))
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    assert record(client, rid, child.id, "notify_police", authority="Østjyllands Politi",
                  authority_ref="POL-SECRET-7", detail="SECRET-NOTE spoke to the officer").status_code == 302
    if hold:
        url = f"/safeguarding/referrals/{rid}"
        assert post(client, url + "/hold", {"hold-detail": "The police asked us to keep the evidence."}, url) \
            .status_code == 302
    assert post(client, f"/safeguarding/referrals/{rid}/close",
                {"close-outcome": "referred_externally", "close-detail": "The police took the matter over."},
                f"/safeguarding/referrals/{rid}").status_code == 302
    assert client.get("/safeguarding/child/u-child-1").status_code == 200
    client.get("/logout")
    return rid


def _close_at(db, rid, when) -> None:
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.id == rid).values(closed_at=when))
    db.commit()


def _sweep(app, db, now=NOW):
    with app.app_context():
        sequencer.sequence_pending(db)
        db.commit()
        return retention.sweep(db, now)


def test_the_policy_has_its_own_legal_basis_and_floor(app, client, db, signed_in):
    from tests.conftest import post_form

    signed_in("admin")
    html = client.get("/admin/retention/").get_data(as_text=True)
    assert "Safeguarding referrals, kept as investigation case files" in html
    too_short = post_form(client, "/admin/retention/safeguarding_referrals", {"period": "59"},
                          token_from="/admin/retention/")
    assert too_short.status_code == 400 and "legal minimum" in too_short.get_data(as_text=True)
    assert post_form(client, "/admin/retention/safeguarding_referrals", {"period": "72"},
                     token_from="/admin/retention/").status_code == 302


def test_a_closed_referral_is_kept_five_years_then_anonymised_to_a_stub(app, client, make_user, db):
    kept = _lead_works(app, client, make_user)
    due = referral_id(app, teacher_dm(app))
    _close_at(db, kept, FIVE_YEARS_AGO + timedelta(days=1))
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.id == due).values(
        status=ReferralStatus.CLOSED, closed_at=FIVE_YEARS_AGO - timedelta(days=1), outcome="no_concern"))
    db.commit()
    # Both items were decided long ago: the moderation period (24 months) does not strip them.
    result = _sweep(app, db)
    assert result.counts["referrals_anonymised"] == 1
    item_ids = dict(db.execute(select(SafeguardingReferral.id, SafeguardingReferral.item_id)).all())
    stub = db.get(SafeguardingReferral, due)
    assert stub.child_pseudonym == f"anonymised-{due}" and stub.outcome == "no_concern" and stub.reasons
    assert db.get(ReviewItem, item_ids[due]).text == ""
    assert db.get(ReviewItem, item_ids[kept]).text.startswith("SECRET-CHAT")
    assert db.scalar(select(func.count()).select_from(SafeguardingPerson).where(
        SafeguardingPerson.referral_id == due)) == 0
    assert db.scalar(select(func.count()).select_from(AnonymisedRecord).where(
        AnonymisedRecord.record_type == "safeguarding_referral", AnonymisedRecord.record_id == due)) == 1
    db.rollback()
    # A day later the other one is due too; its notes and references go, the record's shape stays.
    _close_at(db, kept, FIVE_YEARS_AGO - timedelta(days=2))
    assert _sweep(app, db).counts["referrals_anonymised"] == 1
    actions = db.scalars(select(SafeguardingAction).where(SafeguardingAction.referral_id == kept)).all()
    assert {a.kind for a in actions} == {"notify_police", "close"}
    assert all(a.detail_sealed is None and a.authority_ref_sealed is None and a.child_pseudonym == "[anonymised]"
               for a in actions)
    assert {a.authority for a in actions} == {"Østjyllands Politi", None}  # a public body, kept for the figures
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "retention.referral_anonymised")) == 2
    db.rollback()
    assert _sweep(app, db).counts["referrals_anonymised"] == 0  # idempotent


def test_an_open_referral_and_its_item_are_never_swept(app, db):
    rid = referral_id(app, teacher_dm(app, text="SECRET-OPEN"))
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.id == rid)
               .values(opened_at=NOW - timedelta(days=4000)))
    db.commit()
    result = _sweep(app, db, now=NOW + timedelta(days=4000))
    assert result.counts["referrals_anonymised"] == 0 and result.counts["items_anonymised"] == 0
    item_id = db.get(SafeguardingReferral, rid).item_id
    assert db.get(ReviewItem, item_id).text == "SECRET-OPEN"
    db.rollback()


def test_a_legal_hold_stops_the_sweep_until_it_is_released(app, client, make_user, db):
    rid = _lead_works(app, client, make_user, hold=True)
    _close_at(db, rid, FIVE_YEARS_AGO - timedelta(days=30))
    result = _sweep(app, db)
    assert result.counts["referrals_anonymised"] == 0 and result.counts["referrals_held_skipped"] == 1
    with app.app_context():
        planned = retention.plan(db)
    db.rollback()
    assert any(p.record == f"referral {rid}" and p.action == "skip" for p in planned)
    login(client, make_user("safeguarding_lead"))
    url = f"/safeguarding/referrals/{rid}"
    assert post(client, url + "/hold/release", {"hold-detail": "The police closed their investigation."}, url) \
        .status_code == 302
    client.get("/logout")
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "safeguarding.hold_released")) == 1
    db.rollback()
    assert _sweep(app, db).counts["referrals_anonymised"] == 1


def test_the_access_log_of_a_referral_is_kept_as_long_as_the_referral(app, client, make_user, db):
    with app.app_context():
        audit.record(db, "test.before_the_referral", target_type="thing", target_id=1)
        db.commit()
    rid = _lead_works(app, client, make_user)
    later = NOW + timedelta(days=400)  # every entry of this test is now past the 90-day window
    lead_views = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(("view.safeguarding_referral", "view.child_chronology")))
    with app.app_context():
        sequencer.sequence_pending(db)
        db.commit()
    before = db.scalar(lead_views)
    db.rollback()
    assert before >= 2
    _close_at(db, rid, add_months(later, -60) + timedelta(days=10))  # not due yet
    result = _sweep(app, db, now=later)
    assert result.counts["audit_pruned"] >= 1  # what came before the referral's first entry went
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "test.before_the_referral")) == 0
    assert db.scalar(lead_views) == before  # who viewed the referral and the child's chronology stays
    db.rollback()
    with app.app_context():
        assert audit.verify(db).ok
    db.rollback()
    # Once the referral is a stub, its access log follows it out with the rolling window.
    _close_at(db, rid, add_months(later, -60) - timedelta(days=1))
    result = _sweep(app, db, now=later)
    assert result.counts["referrals_anonymised"] == 1
    assert db.scalar(lead_views) == 0
    db.rollback()
    with app.app_context():
        assert audit.verify(db).ok
    db.rollback()
