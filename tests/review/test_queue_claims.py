"""Claims: one moderator at a time, leases expire, renewals, and real concurrent races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from c2c_safety.core.db import new_session
from c2c_safety.review import claims
from models import AuditEvent, ReviewItem, User, utcnow
from models.review import ItemClaim
from tests.conftest import login
from tests.support.review import claim, get, make_item


def _user(app, user_id: int) -> tuple:
    s = new_session(app)
    return s, s.get(User, user_id)


def test_two_moderators_race_for_one_item_exactly_one_wins(app, make_user):
    iid = make_item(app)
    users = [make_user("moderator"), make_user("moderator")]
    for _round in range(5):  # several rounds: the race must be lost cleanly every time
        with app.app_context():
            s = new_session(app)
            s.get(ReviewItem, iid).claimed_by_id = None
            s.get(ReviewItem, iid).claim_expires_at = None
            s.commit()
            s.close()
        barrier = threading.Barrier(2)
        results: dict[int, str] = {}

        def attempt(user_id: int, barrier: threading.Barrier = barrier,
                    results: dict[int, str] = results) -> None:
            with app.app_context():
                s, user = _user(app, user_id)
                s.commit()  # end the read transaction: SQLite's BEGIN IMMEDIATE holds the write lock
                try:
                    barrier.wait(30)
                    claims.claim(s, iid, user)
                    s.commit()
                    results[user_id] = "won"
                except claims.ClaimError:
                    s.rollback()
                    results[user_id] = "lost"
                finally:
                    s.close()

        threads = [threading.Thread(target=attempt, args=(u.id,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(results.values()) == ["lost", "won"], results
        winner = next(uid for uid, r in results.items() if r == "won")
        assert get(app, iid).claimed_by_id == winner


def test_two_clients_over_http(app, make_user):
    iid = make_item(app)
    a, b = app.test_client(), app.test_client()
    login(a, make_user("moderator"))
    login(b, make_user("moderator"))
    assert claim(a, iid).status_code == 302
    claim(b, iid)
    html = b.get(f"/queue/{iid}").get_data(as_text=True)
    assert "is working on this item" in html and "Record decision" not in html
    assert "Record decision" in a.get(f"/queue/{iid}").get_data(as_text=True)


def test_expired_lease_can_be_taken_and_renewal_extends(app, make_user):
    iid = make_item(app)
    first, second = make_user("moderator"), make_user("moderator")
    with app.app_context():
        s, u1 = _user(app, first.id)
        r1 = claims.claim(s, iid, u1)
        s.commit()
        later = utcnow() + timedelta(minutes=3)
        r2 = claims.claim(s, iid, u1, now=later)  # renewal
        s.commit()
        assert r2.renewed and r2.expires_at > r1.expires_at
        u2 = s.get(User, second.id)
        with pytest.raises(claims.ClaimError):
            claims.claim(s, iid, u2, now=later)
        s.rollback()
        taken = claims.claim(s, iid, u2, now=later + claims.LEASE + timedelta(seconds=1))
        s.commit()
        assert not taken.renewed
        rows = s.query(ItemClaim).filter_by(item_id=iid).order_by(ItemClaim.id).all()
        assert [r.user_id for r in rows] == [first.id, second.id]
        assert rows[0].end_reason == "expired" and rows[1].ended_at is None
        audited = s.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == "queue.item_claimed")
                            .order_by(AuditEvent.id)).all()
        assert audited == [first.id, second.id]  # new claims are audited, the renewal is not
        s.close()


def test_claims_need_a_moderator(app, make_user):
    iid = make_item(app)
    lead = make_user("safeguarding_lead")
    with app.app_context():
        s, u = _user(app, lead.id)
        with pytest.raises(claims.ClaimError):
            claims.claim(s, iid, u)
        s.close()


def test_release_and_claim_next(app, client, signed_in):
    low = make_item(app, age_band="adult")
    high = make_item(app, age_band="under13", flags=[("u-g", "student", "grooming")])
    signed_in("moderator")
    from tests.support.review import csrf

    resp = client.post("/queue/next", data={"csrf_token": csrf(client, "/queue")})
    assert resp.headers["Location"].endswith(f"/queue/{high}#work")
    resp = client.post(f"/queue/{high}/release", data={"csrf_token": csrf(client, "/queue")})
    assert get(app, high).claimed_by_id is None
    assert low  # still waiting


def test_claim_does_not_change_the_version(app, client, signed_in):
    iid = make_item(app)
    before = get(app, iid).version
    signed_in("moderator")
    claim(client, iid)
    claim(client, iid)  # renew
    assert get(app, iid).version == before
