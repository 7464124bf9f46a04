"""The intake demo seeders: a platform client with the published demo key, three demo reports."""

from __future__ import annotations

from sqlalchemy import select

from c2c_safety.core.db import new_session
from c2c_safety.demo import api as demo_api
from c2c_safety.demo import reports as demo_reports
from c2c_safety.demo import seed as demo_data
from c2c_safety.intake import api_keys
from models import ApiClient, CaseFile
from tests.support.intake import flag_body, follow_up, post_flag


def _seed(app):
    with app.app_context():
        s = new_session(app)
        for seeder in (demo_api.seed_demo_client, demo_reports.seed_demo_reports):
            seeder(s)
            s.commit()
        s.close()


def test_seeders_are_registered_and_idempotent(app, client, db, redis_conn):
    assert demo_api.seed_demo_client in demo_data.SEEDERS and demo_reports.seed_demo_reports in demo_data.SEEDERS
    _seed(app)
    _seed(app)
    assert len(db.scalars(select(ApiClient)).all()) == 1
    cases = db.scalars(select(CaseFile).order_by(CaseFile.id)).all()
    assert [c.category for c in cases] == ["safeguarding_minor", "ethical", "child_sexual"]
    db.commit()
    assert post_flag(client, api_keys.DEMO_KEY, flag_body()).status_code == 202
    page = follow_up(client, demo_reports.DEMO_RECEIPTS["safeguarding_minor"]).get_data(as_text=True)
    assert "Thank you for telling us." in page


def test_curl_example_uses_the_demo_key_and_a_valid_body(app, client, redis_conn):
    import json
    import shlex

    _seed(app)
    text = demo_api.demo_curl_example()
    assert api_keys.DEMO_KEY in text and "/api/v1/flags" in text
    body = json.loads(shlex.split(text.split("-d ", 1)[1].splitlines()[0])[0])
    assert post_flag(client, api_keys.DEMO_KEY, body).status_code == 202


def test_demo_key_is_refused_outside_demo_and_test(app, client, redis_conn):
    _seed(app)
    assert post_flag(client, api_keys.DEMO_KEY, flag_body()).status_code == 202
    app.config["C2C"].env = "production"
    try:
        assert post_flag(client, api_keys.DEMO_KEY, flag_body(**{"flag.flagger.id": "u-2"})).status_code == 401
    finally:
        app.config["C2C"].env = "test"
