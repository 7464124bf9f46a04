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
