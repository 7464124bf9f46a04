"""The reviewer's pages as issue 13 asked (part 6): ISO weeks parsed exactly, with a clear
error for bad ones; the demo's quality sample is not empty; "detected by automated means"
counts only what the platform's systems flagged; readable chart labels; audit details as a
readable list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from c2c_safety.demo import safeguarding as demo_safeguarding
from c2c_safety.demo import seed as demo_seed
from c2c_safety.oversight import reviewer
from models import utcnow
from tests.support.cases import make_item


def iso(d) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def test_the_week_asked_for_is_the_week_shown(app, client, db, signed_in, make_user):
    signed_in("independent_reviewer")
    mod = make_user("moderator")
    five_weeks_ago = utcnow() - timedelta(weeks=5)
    year, week, _ = five_weeks_ago.isocalendar()
    start, _ = reviewer.week_bounds(year, week)
    ids = [make_item(db, decider_id=mod.id, decided_at=start + timedelta(hours=3 + i)) for i in range(3)]
    for spelling in (f"{year}-W{week:02d}", f"{year}-w{week}", f"{year}W{week:02d}"):
        html = client.get(f"/review/sample?week={spelling}").get_data(as_text=True)
        assert f"week {year}-W{week:02d}</h1>" in html, spelling
        assert "No decisions were made that week" not in html
    assert len(ids) == 3


def test_the_current_week_is_shown_as_in_progress_not_silently_replaced(app, client, signed_in):
    signed_in("independent_reviewer")
    now = utcnow()
    resp = client.get(f"/review/sample?week={iso(now)}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f"week {iso(now)}</h1>" in html and "is not over yet" in html
    last = iso(now - timedelta(days=7))
    assert f"week {last}</h1>" not in html


@pytest.mark.parametrize("value,message", [
    ("banana", "Write the week as"),
    ("2026-W00", "has no week 0"),
    ("2026-W60", "has no week 60"),
    ("2025-W53", "2025 has no week 53"),
    ("2026-13", "Write the week as"),
    ("2998-W01", "has not started yet"),
    ("9999-W01", "Choose a year from"),
    ("0000-W01", "Choose a year from"),
    ("<script>", "Write the week as"),
])
def test_a_bad_week_is_a_clear_error(app, client, signed_in, value, message):
    signed_in("independent_reviewer")
    resp = client.get("/review/sample", query_string={"week": value})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in html
    assert 'aria-invalid="true"' in html and "<script>" not in html.split("<main", 1)[1]


def test_2026_has_a_week_53(app):
    assert reviewer.parse_week("2026-W53", now=utcnow().replace(year=2027, month=6)) == (2026, 53)


def test_the_demo_quality_sample_is_not_empty(app, client, db, signed_in):
    with app.app_context():
        demo_seed.seed_staff(db)
        db.commit()
        demo_safeguarding.seed_sample_week(db)
        demo_safeguarding.seed_sample_week(db)  # idempotent
        db.commit()
    signed_in("independent_reviewer")
    html = client.get("/review/sample").get_data(as_text=True)
    year, week = reviewer.last_complete_week()
    assert f"week {year}-W{week:02d}</h1>" in html
    assert "No decisions were made that week" not in html
    assert html.count('name="verdict" value="agree"') == reviewer.SAMPLE_SIZE


def test_chart_labels_are_not_cut(app, client, db, signed_in, make_user):
    signed_in("independent_reviewer")
    mod = make_user("moderator")
    ground = "a_long_policy_ground_that_is_cut_at_24"  # 38 of the column's 40 characters
    make_item(db, decider_id=mod.id, reason=ground)
    html = client.get("/review/reports").get_data(as_text=True)
    assert ground.replace("_", " ") in html and "…" not in html


def test_audit_details_are_a_readable_list(app, client, db, signed_in, make_user):
    signed_in("independent_reviewer")
    mod = make_user("moderator")
    make_item(db, decider_id=mod.id)
    html = client.get("/review/audit").get_data(as_text=True)
    assert '<dl class="details-list">' in html
    assert "{&#34;" not in html and '{"' not in html.split("<table", 1)[1]
