"""The demo seeder: idempotent, every category and state, synthetic text only."""

from __future__ import annotations

from sqlalchemy import select

from c2c_safety.core.crypto import open_text
from c2c_safety.demo import cases as case_demo
from c2c_safety.demo import seed as demo_data
from c2c_safety.retention import sweep as retention
from models import CaseFile, utcnow


def test_demo_cases_cover_the_desk_and_seed_idempotently(app, db):
    with app.app_context():
        demo_data.seed_staff(db)
        case_demo.seed_demo_cases(db)
        db.commit()
        case_demo.seed_demo_cases(db)
        db.commit()
        demo = list(db.scalars(select(CaseFile).where(CaseFile.reference.startswith("DEMO-"))))
        assert len(demo) == len(case_demo.PLAN)
        assert {c.category for c in demo} == {"safeguarding_minor", "ethical", "team_member", "ceo", "other"}
        assert {c.status for c in demo} == {"received", "acknowledged", "investigating", "feedback_given", "closed"}
        assert any(c.legal_hold for c in demo)
        ceo = [c for c in demo if c.category == "ceo"]
        assert ceo and ceo[0].routed_role == "independent_reviewer"
        assert all("Synthetic" in (open_text(c.body_sealed) or "") for c in demo)
        planned = {p.record: p.action for p in retention.plan(db, utcnow())}
        assert planned == {"DEMO-11": "anonymise", "DEMO-10": "skip"}
        db.rollback()
