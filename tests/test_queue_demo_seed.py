from sqlalchemy import func, select
from c2c_safety.db import new_session
from c2c_safety.services import demo_data
from models import ReviewItem, ItemScore
from models.review import Decision, SafeguardingReferral, Appeal

def test_seed(app):
    with app.app_context():
        s = new_session(app)
        demo_data.seed_all(s)
        demo_data.seed_all(s)  # idempotent
        n = s.scalar(select(func.count()).select_from(ReviewItem))
        print("items", n, "decisions", s.scalar(select(func.count()).select_from(Decision)),
              "referrals", s.scalar(select(func.count()).select_from(SafeguardingReferral)),
              "appeals", s.scalar(select(func.count()).select_from(Appeal)),
              "statuses", s.execute(select(ReviewItem.score_status, func.count()).group_by(ReviewItem.score_status)).all())
        assert n >= 300
        s.close()
