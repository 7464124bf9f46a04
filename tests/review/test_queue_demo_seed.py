"""The review desk's demo seeder: a realistic synthetic queue, idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from c2c_safety.core.db import new_session
from c2c_safety.demo import seed as demo_data
from models import ItemScore, ReviewItem
from models.review import Appeal, Decision, SafeguardingReferral, StatementOfReasons


def test_demo_seed_builds_a_realistic_queue_once(app):
    with app.app_context():
        s = new_session(app)
        demo_data.seed_all(s)
        first = s.scalar(select(func.count()).select_from(ReviewItem))
        demo_data.seed_all(s)  # idempotent
        assert s.scalar(select(func.count()).select_from(ReviewItem)) == first
        assert first >= 300
        statuses = dict(s.execute(select(ReviewItem.score_status, func.count())
                                  .group_by(ReviewItem.score_status)).all())
        assert statuses.get("scored") and statuses.get("pending") and statuses.get("failed")
        langs = set(s.scalars(select(ReviewItem.language_hint).distinct()))
        assert {"da", "de", "en"} <= langs
        assert set(s.scalars(select(ItemScore.model_version).distinct())) >= {"demo"}
        assert s.scalar(select(func.count()).select_from(Decision)) >= 6
        assert s.scalar(select(func.count()).select_from(StatementOfReasons)) >= 6
        assert s.scalar(select(func.count()).select_from(SafeguardingReferral)) >= 3
        assert s.scalar(select(func.count()).select_from(Appeal)) == 1
        # issue 19.4 / 22.5-6: a hide-and-escalate request, an internal note, an account note
        from models.review import AccountNote, ItemNote, SafeguardingAction

        assert s.scalar(select(func.count()).select_from(SafeguardingAction)
                        .where(SafeguardingAction.kind == "hide_content")) == 1
        assert s.scalar(select(func.count()).select_from(ItemNote)) == 1
        assert s.scalar(select(func.count()).select_from(AccountNote)) == 1
        s.close()
