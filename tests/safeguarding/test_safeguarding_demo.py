"""The demo's safeguarding data (demo/safeguarding.py): the referrals a lead meets first,
with the people the desk derives for them, and idempotent seeding."""

from __future__ import annotations

from sqlalchemy import func, select

from c2c_safety.demo import safeguarding as demo
from c2c_safety.demo import seed as demo_seed
from c2c_safety.safeguarding import people as people_service
from models import ReviewItem
from models.review import SafeguardingReferral


def test_demo_referrals_and_their_people(app, db):
    with app.app_context():
        demo_seed.seed_staff(db)
        db.commit()
        demo.seed_safeguarding_demo(db)
        demo.seed_safeguarding_demo(db)
        db.commit()
        parts = {}
        for pid, *_ in demo.REFERRALS:
            item = db.scalars(select(ReviewItem).where(ReviewItem.platform_content_id == pid)).one()
            ref = db.scalars(select(SafeguardingReferral).where(SafeguardingReferral.item_id == item.id)).one()
            parts[pid] = {p.pseudonym: p.part for p in people_service.sync(db, ref)}
            assert ref.assigned_to_id is not None  # the demo lead owns it
        db.commit()
    assert parts["demo-sg-teacher-dm"] == {"demo-teacher-9": "person_of_concern", "demo-pupil-11": "child_at_risk"}
    assert parts["demo-sg-self-harm"]["demo-pupil-12"] == "child_at_risk"
    assert parts["demo-sg-bullying"] == {"demo-pupil-14": "person_of_concern", "demo-pupil-15": "child_at_risk"}
    n = db.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.platform_content_id.like("demo-sg-%")))
    assert n == 4  # + the overdue referral of the cover demo (issue 19)


def test_demo_shows_each_state_of_one_record(app, db):
    from c2c_safety.demo import safeguarding_record as record_demo
    from c2c_safety.report.reports import find_case
    from models.review import RiskAssessment
    with app.app_context():
        demo_seed.seed_staff(db)
        db.commit()
        demo.seed_safeguarding_demo(db)
        record_demo.seed_one_record(db)
        record_demo.seed_one_record(db)
        sext = find_case(db, record_demo.SEXTORTION_RECEIPT)
        converted = find_case(db, record_demo.CONVERTED_RECEIPT)
        assert sext is not None and converted is not None
        assert sext.regime == converted.regime == "safeguarding"
        refs = {c.id: db.scalars(select(SafeguardingReferral).where(SafeguardingReferral.case_id == c.id)).one()
                for c in (sext, converted)}
        assert refs[sext.id].child_pseudonym == "the reporter (girl, 12)"
        assert [r.level for r in db.scalars(select(RiskAssessment).where(
            RiskAssessment.referral_id == refs[sext.id].id))] == [3]
        assert "converted from a whistleblower case" in refs[converted.id].reasons
        coach = db.scalars(select(ReviewItem).where(ReviewItem.platform_content_id == record_demo.COACH_ITEM)).one()
        ref = db.scalars(select(SafeguardingReferral).where(SafeguardingReferral.item_id == coach.id)).one()
        assert ref.child_pseudonym == "demo-pupil-32"
        parts = {p.pseudonym: p.part for p in people_service.people_of(db, ref)}
        assert parts["demo-parent-31"] == "involved" and parts["demo-coach-31"] == "person_of_concern"
        db.rollback()


def test_demo_shows_cover_a_hotline_report_and_a_legal_hold(app, db):
    from models.review import SafeguardingAction
    from models.safeguarding_records import SafeguardingEscalation, SafeguardingHold

    with app.app_context():
        demo_seed.seed_staff(db)
        db.commit()
        demo.seed_safeguarding_demo(db)
        demo.seed_safeguarding_demo(db)  # idempotent
        db.commit()
    steps = [e.step for e in db.scalars(select(SafeguardingEscalation).order_by(SafeguardingEscalation.id))]
    assert steps == ["deputy", "ceo"]
    hotline = db.scalars(select(SafeguardingAction).where(SafeguardingAction.kind == "hotline_report")).one()
    assert hotline.authority and hotline.authority_ref_sealed is not None
    assert db.scalar(select(func.count()).select_from(SafeguardingHold).where(SafeguardingHold.released_at.is_(None))) \
        == 1
    db.rollback()
