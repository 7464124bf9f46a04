"""The moderators' queue: order and its explanation, filters, keyset pages, wellbeing
collapse and role access. Real HTTP through Flask, real database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from c2c_safety.core.db import new_session
from c2c_safety.review import priority, queue
from models import AuditEvent, User
from tests.support.review import claim, get, make_item

LOW = {"harassment": 0.05, "hate": 0.02, "threat": 0.01, "sexual": 0.0, "grooming": 0.0,
       "self_harm": 0.0, "profanity": 0.03}
HIGH_HARASS = {**LOW, "harassment": 0.97}


def queue_ids(client, url: str = "/queue") -> list[int]:
    html = client.get(url).get_data(as_text=True)
    return [int(x) for x in re.findall(r'href="/queue/(\d+)"', html)]


def test_order_follows_severity_minor_and_flaggers(app, client, signed_in):
    signed_in("moderator")
    adult_low = make_item(app, age_band="adult", scores=LOW)
    minor_high = make_item(app, age_band="under13", scores=HIGH_HARASS)
    adult_high = make_item(app, age_band="adult", scores=HIGH_HARASS)
    many_flags = make_item(app, age_band="adult", scores=HIGH_HARASS, flags=[
        (f"u-many-{i}", "student", "bullying") for i in range(6)])
    ids = queue_ids(client)
    assert ids.index(minor_high) < ids.index(many_flags) < ids.index(adult_high) < ids.index(adult_low)


def test_unscored_and_failed_are_never_ranked_below_scored_for_lacking_a_score(app, client, signed_in):
    signed_in("moderator")
    scored_high = make_item(app, age_band="adult", scores=HIGH_HARASS)
    scored_low = make_item(app, age_band="adult", scores=LOW)
    pending = make_item(app, age_band="adult")
    failed = make_item(app, age_band="adult", score_status="failed")
    p = {i: get(app, i).priority for i in (scored_high, scored_low, pending, failed)}
    assert p[pending] >= p[scored_high] > p[scored_low]
    assert p[failed] >= p[scored_high]
    html = client.get("/queue").get_data(as_text=True)
    assert "unscored" in html and "scoring failed" in html


def test_waiting_time_ages_items_within_their_level_and_lifts_one_level_after_24h(app):
    fresh = make_item(app, age_band="adult", scores=LOW, waited=timedelta(minutes=1))
    older = make_item(app, age_band="adult", scores=LOW, waited=timedelta(hours=20))
    old = make_item(app, age_band="adult", scores=LOW, waited=timedelta(hours=30))
    a, b, c = get(app, fresh), get(app, older), get(app, old)
    assert a.priority == b.priority == c.priority  # the stored priority has no time in it
    assert a.queue_level == b.queue_level == c.queue_level
    # within a level: 1 point per AGING_SECONDS_PER_POINT, folded into the static key
    assert b.queue_rank - a.queue_rank == pytest.approx(20 * 3600 - 60, abs=2)
    assert priority.aging_points(timedelta(hours=20)) == 200
    # past 24 h: lifted exactly one level, and nothing more is due
    assert priority.effective_level(c.queue_rank) == c.queue_level + 1 and c.promote_at is None
    assert priority.effective_level(b.queue_rank) == b.queue_level and b.promote_at is not None


def test_item_page_explains_why_and_audits_the_view(app, client, signed_in, db):
    signed_in("moderator")
    iid = make_item(app, age_band="under13", scores=HIGH_HARASS, waited=timedelta(hours=30),
                    flags=[("u-x1", "teacher", "bullying"), ("u-x2", "student", "bullying")])
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    assert "Why is this here" in html
    for words in ("severity: harassment", "AI band high for harassment", "a minor is involved",
                  "2 independent flaggers", "time waited", "past the 24 h target"):
        assert words in html, words
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "view.review_item", AuditEvent.target_id == str(iid))) == 1


def test_flagger_reliability_moves_priority(app, client, signed_in):
    from c2c_safety.review.statements import update_flagger_stats

    good = make_item(app, age_band="adult", scores=LOW, flags=[("u-good", "student", "bullying")])
    with app.app_context():
        s = new_session(app)
        item = s.get(type(get(app, good)), good)
        for _ in range(6):
            update_flagger_stats(s, item, "remove", None)
        s.commit()
        s.close()
    base = get(app, make_item(app, age_band="adult", scores=LOW,
                              flags=[("u-new", "student", "bullying")])).priority
    with_good = get(app, make_item(app, age_band="adult", scores=LOW,
                                   flags=[("u-good", "student", "bullying")])).priority
    assert with_good > base


def test_bands_model_version_and_unreliable_language_are_shown(app, client, signed_in):
    signed_in("moderator")
    iid = make_item(app, scores=HIGH_HARASS, language="da", reliable=False, model_version="v-77")
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    assert "band-high" in html and "v-77" in html and "Not reliably scored" in html
    assert "not reliably scored" in client.get("/queue").get_data(as_text=True)


def test_filters(app, client, signed_in):
    signed_in("moderator")
    de = make_item(app, language="de", age_band="under13", scores=HIGH_HARASS)
    da = make_item(app, language="da", age_band="adult", flags=[("u-t", "teacher", "hate")])
    old = make_item(app, language="en", age_band="16plus", scores=LOW, waited=timedelta(hours=30))
    assert queue_ids(client, "/queue?language=de") == [de]
    assert queue_ids(client, "/queue?age_band=adult") == [da]
    assert queue_ids(client, "/queue?source=teacher") == [da]
    assert queue_ids(client, "/queue?category=hate") == [da]
    assert set(queue_ids(client, "/queue?category=unscored")) == {da}
    assert queue_ids(client, "/queue?waiting=24h") == [old]
    assert set(queue_ids(client, "/queue?status=open")) == {de, da, old}
    claim(client, de)
    assert queue_ids(client, "/queue?status=mine") == [de]
    assert de not in queue_ids(client, "/queue?status=unclaimed")
    # unknown values are ignored, never a 500
    assert client.get("/queue?category=%00bogus&waiting=9y&after=xx_yy").status_code == 200


def test_keyset_pages_cover_everything_once(app, client, signed_in, redis_conn):
    signed_in("moderator")
    made = {make_item(app, age_band="adult", scores=LOW, waited=timedelta(minutes=i)) for i in range(7)}
    with app.app_context():
        s = new_session(app)
        viewer = s.scalars(select(User)).first()
        seen: list[int] = []
        pg = queue.page(s, queue.QueueFilters(), viewer, limit=3)
        pages = [pg]
        while pg.next_cursor is not None:
            pg = queue.page(s, queue.QueueFilters(), viewer, after=pg.next_cursor, limit=3)
            pages.append(pg)
        for p in pages:
            seen += [r.id for r in p.rows]
        assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
        assert [len(p.rows) for p in pages] == [3, 3, 1]
        assert (pages[0].count.n, pages[0].count.kind) == (7, "exact")
        back = queue.page(s, queue.QueueFilters(), viewer, before=pages[1].prev_cursor, limit=3)
        assert [r.id for r in back.rows] == [r.id for r in pages[0].rows]
        capped = queue.count_waiting(s, queue.QueueFilters(), viewer, cap=5)
        assert capped == (5, True)
        s.close()
    html = client.get("/queue").get_data(as_text=True)
    assert "7" in html and "items waiting" in html


def test_sensitive_content_is_hidden_until_revealed_and_exposure_counted(app, client, signed_in, db):
    from models.review import ContentReveal
    from tests.support.review import csrf

    user = signed_in("moderator")
    sensitive = make_item(app, text="SENSITIVE-TEXT", flags=[("u-s", "student", "self_harm")],
                          media=["https://media.example/1.jpg"])
    plain = make_item(app, text="PLAIN-TEXT", scores=LOW)
    html = client.get(f"/queue/{sensitive}").get_data(as_text=True)
    body = html[html.index("<main"):]
    assert "SENSITIVE-TEXT" not in body and "https://media.example/1.jpg" not in body
    assert "Show the content" in body and f'action="/queue/{sensitive}/reveal"' in body
    assert "<img" not in body and "<video" not in body
    plain_html = client.get(f"/queue/{plain}").get_data(as_text=True)
    assert "PLAIN-TEXT" in plain_html and "Show the content" not in plain_html
    assert "opened 0 high-severity items today" in client.get("/queue").get_data(as_text=True)
    resp = client.post(f"/queue/{sensitive}/reveal", data={"csrf_token": csrf(client, f"/queue/{sensitive}")})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/queue/{sensitive}#content")
    shown = client.get(f"/queue/{sensitive}").get_data(as_text=True)
    client.get(f"/queue/{sensitive}")  # the same item again the same day counts once
    assert "opened 1 high-severity item today" in client.get("/queue").get_data(as_text=True)
    assert "SENSITIVE-TEXT" in shown and "https://media.example/1.jpg" in shown
    assert [r.user_id for r in db.scalars(select(ContentReveal))] == [user.id]


def test_user_text_is_escaped(app, client, signed_in):
    signed_in("moderator")
    iid = make_item(app, text="<script>alert(1)</script>", scores=LOW)
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("role,status", [("moderator", 200), ("safeguarding_lead", 200),
                                         ("case_handler", 403), ("ceo", 403), ("admin", 403),
                                         ("independent_reviewer", 403)])
def test_queue_access_by_role(app, client, signed_in, role, status):
    iid = make_item(app, scores=LOW)
    signed_in(role)
    assert client.get("/queue").status_code == status
    assert client.get(f"/queue/{iid}").status_code == status


def test_anonymous_is_sent_to_sign_in(app, client):
    iid = make_item(app, scores=LOW)
    for url in ("/queue", f"/queue/{iid}"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.post(f"/queue/{iid}/claim")
    assert resp.status_code in (302, 400)  # no session: CSRF or sign-in stops it


def test_lead_can_read_but_not_claim(app, client, signed_in):
    iid = make_item(app, scores=LOW)
    signed_in("safeguarding_lead")
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    assert "Only moderators decide" in html
    assert claim(client, iid).status_code == 403


def test_waiting_total_is_shared_and_refreshed_by_a_job(app, redis_conn, monkeypatch):
    from rq import Queue

    from c2c_safety.review import queue_count
    from workers import context, queue_counts

    make_item(app, scores=LOW)
    with app.app_context():
        s = new_session(app)
        viewer = User(id=0)  # the shared count does not depend on the viewer
        first = queue.waiting_count(s, queue.QueueFilters(), viewer, redis_conn)
        assert (first.n, first.kind) == (1, "exact")  # small queue: counted, stored
        s.commit()  # SQLite: release the lock before another session writes
        make_item(app, scores=LOW)
        assert queue.waiting_count(s, queue.QueueFilters(), viewer, redis_conn).n == 1  # shared value
        redis_conn.set(queue_count.KEY, '{"n": 1, "at": 0}')  # stale: a refresh is requested
        assert queue.waiting_count(s, queue.QueueFilters(), viewer, redis_conn).n == 1
        assert Queue("low", connection=redis_conn).job_ids  # the refresh job is queued
        s.close()
    monkeypatch.setattr(context, "_app", app)
    assert queue_counts.refresh() == 2
    with app.app_context():
        s = new_session(app)
        assert queue.waiting_count(s, queue.QueueFilters(), User(id=0), redis_conn).n == 2
        filtered = queue.waiting_count(s, queue.QueueFilters(age_band="13to15"), User(id=0), redis_conn)
        assert (filtered.n, filtered.kind) == (2, "exact")
        s.close()


def test_large_queues_show_an_estimate_until_the_job_has_counted(app, monkeypatch):
    from c2c_safety.review import queue_count

    for _ in range(3):
        make_item(app, scores=LOW)
    monkeypatch.setattr(queue_count, "COUNT_CAP", 2)
    with app.app_context():
        s = new_session(app)
        got = queue.waiting_count(s, queue.QueueFilters(), User(id=0), None)
        assert got.kind in ("at_least", "estimate") and got.n >= 2
        s.close()
