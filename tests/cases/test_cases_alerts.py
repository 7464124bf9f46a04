"""Daily deadline warnings (in-app) and their scheduling."""

from __future__ import annotations

from datetime import timedelta

from rq.job import Job
from sqlalchemy import select

from c2c_safety.cases import alerts as case_alerts
from c2c_safety.cases.deadlines import add_months
from models import CaseAlert, CaseStatus, utcnow
from tests.conftest import login, post_form
from tests.support.cases import make_case, scalars

NOW = utcnow()


def test_assignee_is_warned_once_a_day(app, db, make_user):
    handler = make_user("case_handler")
    other = make_user("case_handler")
    cid = make_case(app, db, status=CaseStatus.RECEIVED, received_at=NOW - timedelta(days=8),
                    assigned_to_id=handler.id)
    with app.app_context():
        assert case_alerts.generate(db, NOW) == 1
        assert case_alerts.generate(db, NOW) == 0  # same day: nothing new
        assert case_alerts.generate(db, NOW + timedelta(days=1)) == 1
        db.commit()
    alerts = scalars(db, select(CaseAlert))
    assert {a.user_id for a in alerts} == {handler.id} and {a.kind for a in alerts} == {"ack_overdue"}
    assert all(a.case_id == cid for a in alerts)
    assert other.id not in {a.user_id for a in alerts}


def test_unassigned_cases_warn_everyone_in_the_routed_role(app, db, make_user):
    a = make_user("safeguarding_lead")
    b = make_user("safeguarding_lead")
    handler = make_user("case_handler")
    # feedback due in about two days
    make_case(app, db, category="safeguarding_minor", status=CaseStatus.ACKNOWLEDGED,
              received_at=add_months(NOW, -3) + timedelta(days=2))
    with app.app_context():
        case_alerts.generate(db, NOW)
        db.commit()
    alerts = scalars(db, select(CaseAlert))
    assert {x.user_id for x in alerts} == {a.id, b.id} and handler.id not in {x.user_id for x in alerts}
    assert {x.kind for x in alerts} == {"feedback_due_soon"}


def test_closed_and_on_time_cases_make_no_alerts(app, db, make_user):
    make_user("case_handler")
    make_case(app, db, status=CaseStatus.CLOSED, received_at=NOW - timedelta(days=400))
    make_case(app, db, status=CaseStatus.ACKNOWLEDGED, received_at=NOW - timedelta(days=3))
    with app.app_context():
        assert case_alerts.generate(db, NOW) == 0
        db.commit()


def test_alerts_page_lists_and_marks_read(app, client, db, make_user):
    handler = make_user("case_handler")
    make_case(app, db, status=CaseStatus.RECEIVED, received_at=NOW - timedelta(days=9),
              assigned_to_id=handler.id)
    with app.app_context():
        case_alerts.generate(db, NOW)
        db.commit()
    login(client, handler)
    html = client.get("/cases/alerts").get_data(as_text=True)
    assert "Acknowledgment overdue" in html and "new" in html
    alert = scalars(db, select(CaseAlert))[0]
    assert post_form(client, f"/cases/alerts/{alert.id}/read", token_from="/cases/alerts").status_code == 302
    assert scalars(db, select(CaseAlert))[0].read_at is not None


def test_daily_job_is_scheduled_once_per_day(app, redis_conn):
    from workers import daily

    first = daily.ensure_scheduled(redis_conn, NOW)
    again = daily.ensure_scheduled(redis_conn, NOW)
    assert first == again == daily.job_id_for(daily.next_run_after(NOW))
    job = Job.fetch(first, connection=redis_conn)
    assert job.func_name == "workers.daily.run"
    assert daily.next_run_after(NOW) > NOW and daily.next_run_after(NOW) - NOW <= timedelta(days=1)


def test_cli_daily_runs_alerts_then_retention(app, db, make_user):
    handler = make_user("case_handler")
    make_case(app, db, status=CaseStatus.RECEIVED, received_at=NOW - timedelta(days=9),
              assigned_to_id=handler.id)
    out = app.test_cli_runner().invoke(args=["cases", "daily", "--now", NOW.isoformat()])
    assert out.exit_code == 0, out.output
    assert "alerts=1" in out.output and "cases_anonymised=0" in out.output
