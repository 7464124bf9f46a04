"""The reviewer's safeguarding figures (issue 19, item 10): time to first look (median, p90),
the share past the target, external referrals, hotline reports, platform requests and
withdrawals, cover — on the reports page and in its CSV, counts only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select, update

from models import utcnow
from models.review import SafeguardingAction, SafeguardingReferral
from tests.conftest import login
from tests.safeguarding.test_people_and_actions import teacher_dm
from tests.support.review import make_item
from tests.support.safeguarding import (
    QUIET,
    open_referral,
    people,
    record,
    referral_id,
    request_platform,
    withdraw,
)


def test_safeguarding_figures_in_the_report_and_its_csv(app, client, make_user, db):
    slow = referral_id(app, teacher_dm(app))
    quick = referral_id(app, make_item(app, author="u-teacher-9", age_band="adult", author_role="teacher",
                                       chat_kind="one_to_one", audience="under13", content_type="chat_message",
                                       flags=[("u-child-9", "student", "other")], scores=QUIET))
    # The slow one opened 30 hours ago: its first look comes after the 24-hour target.
    db.execute(update(SafeguardingReferral).where(SafeguardingReferral.id == slow)
               .values(opened_at=utcnow() - timedelta(hours=30)))
    db.commit()
    lead = make_user("safeguarding_lead")
    login(client, lead)
    for rid, child in ((slow, "u-child-1"), (quick, "u-child-9")):
        open_referral(client, rid)
        ppl = people(app, rid)
        assert record(client, rid, ppl[child].id, "notify_municipality", authority="Aarhus Kommune",
                      authority_ref="UND-1").status_code == 302
    teacher = people(app, slow)["u-teacher-1"]
    assert request_platform(client, slow, teacher.id, "request_restriction").status_code == 302
    assert request_platform(client, slow, teacher.id, "request_suspension").status_code == 302
    action_id = db.query(SafeguardingAction.id).filter(SafeguardingAction.kind == "request_suspension").scalar()
    db.rollback()
    assert withdraw(client, action_id).status_code == 302
    client.get("/logout")
    login(client, make_user("independent_reviewer"))
    html = client.get("/review/reports").get_data(as_text=True)
    assert "Safeguarding in the period" in html and "Time to first look, 90th percentile" in html
    body = client.get("/review/reports.csv").get_data(as_text=True)
    rows = {r["metric"]: r for r in csv.DictReader(io.StringIO(body)) if r["section"] == "safeguarding"}
    assert rows["Referrals opened"]["value"] == "2"
    assert float(rows["Time to first look, 90th percentile"]["value"]) >= 29.9
    assert float(rows["Time to first look, median"]["value"]) < 1
    assert rows["Past the first-look target (24 h)"]["value"] == "50.0"
    assert rows["External referrals (municipality, police, allegations)"]["value"] == "2"
    assert rows["Requests to the platform"]["value"] == "2"
    assert rows["Requests withdrawn"]["value"] == "50.0" and rows["Requests withdrawn"]["of"] == "2"
    assert "u-child" not in body and "u-teacher" not in body


def test_the_weekly_sample_draws_referrals_and_takes_a_verdict(app, client, make_user, db):
    from c2c_safety.oversight.reviewer import last_complete_week, week_bounds
    from models import AuditEvent
    from models.safeguarding_records import SafeguardingSample
    from tests.conftest import CSRF_RE

    year, week = last_complete_week()
    start, _end = week_bounds(year, week)
    rids = [referral_id(app, make_item(app, author=f"u-teacher-s{i}", age_band="adult", author_role="teacher",
                                       chat_kind="one_to_one", audience="under13", content_type="chat_message",
                                       flags=[(f"u-child-s{i}", "student", "other")], scores=QUIET))
            for i in range(5)]
    db.execute(update(SafeguardingReferral).values(opened_at=start + timedelta(days=2)))
    db.commit()
    login(client, make_user("independent_reviewer"))
    url = f"/review/sample?week={year}-W{week:02d}"
    html = client.get(url).get_data(as_text=True)
    drawn = sorted(s.referral_id for s in db.scalars(select(SafeguardingSample)))
    db.rollback()
    assert len(drawn) == 3 and set(drawn) <= set(rids)
    for rid in drawn:
        assert f"Referral #{rid}" in html
    client.get(url)
    assert sorted(s.referral_id for s in db.scalars(select(SafeguardingSample))) == drawn  # stored, stable
    sample_id = db.scalar(select(SafeguardingSample.id).order_by(SafeguardingSample.id))
    db.rollback()
    token = CSRF_RE.search(html).group(1)
    assert client.post(f"/review/sample/safeguarding/{sample_id}",
                       data={"csrf_token": token, "verdict": "disagree"}).status_code == 400
    assert client.post(f"/review/sample/safeguarding/{sample_id}",
                       data={"csrf_token": token, "verdict": "disagree",
                             "note": "First look came far too late."}).status_code == 302
    row = db.get(SafeguardingSample, sample_id)
    assert row.verdict == "disagree" and row.note_sealed is not None
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "review.safeguarding_sample_verdict")) == 1
    db.rollback()
    # The reviewer reads each sampled referral (read-only).
    assert client.get(f"/safeguarding/referrals/{drawn[0]}").status_code == 200
