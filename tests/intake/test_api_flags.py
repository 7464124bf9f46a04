"""POST /api/v1/flags and GET /api/v1/items/<id>: ingest, idempotency, aggregation, reopening."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from sqlalchemy import select

from c2c_safety import create_app
from c2c_safety.intake import flags as intake
from models import AuditEvent, Flag, ItemStatus, ReviewItem
from tests.conftest import make_config
from tests.support.intake import flag_body, make_key, post_flag


@pytest.fixture
def key(app, redis_conn):
    return make_key(app)


def _jobs(redis_conn):
    return Queue("default", connection=redis_conn).jobs


def test_happy_path(client, key, db, redis_conn):
    resp = post_flag(client, key, flag_body())
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    assert body == {"item_id": body["item_id"], "status_url": f"/api/v1/items/{body['item_id']}",
                    "duplicate": False, "flag_count": 1}
    assert resp.headers.get("Set-Cookie") is None

    item = db.get(ReviewItem, body["item_id"])
    assert (item.content_type, item.platform_content_id) == ("post", "post-1")
    assert item.text.startswith("you are so stupid")
    assert item.author_age_band == "13to15" and item.audience_min_age_band == "under13"
    assert item.school_country == "DK" and item.language_hint == "da" and item.project_id == "proj-9"
    assert item.posted_at == datetime(2025, 3, 1, 7, 0, tzinfo=UTC)
    assert item.status == ItemStatus.OPEN and item.score_status == "pending" and item.flag_count == 1
    assert item.minor_involved is True and item.priority > 0  # triage ran before the commit
    flag = db.scalars(select(Flag)).one()
    assert (flag.flagger_pseudonym, flag.flagger_role, flag.reason_category) == ("u-flagger-1", "student", "bullying")
    assert flag.flagged_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "intake.flag_received")).one()
    assert ev.target_id == str(item.id) and ev.actor_label == "api:platform"
    assert "stupid" not in str(ev.details) and "my friend" not in str(ev.details)

    jobs = _jobs(redis_conn)
    assert len(jobs) == 1
    assert jobs[0].func_name == "workers.scoring.score_items" and jobs[0].args == ([item.id],)


def test_item_status(client, key, app, db):
    item_id = post_flag(client, key, flag_body()).get_json()["item_id"]
    resp = client.get(f"/api/v1/items/{item_id}", headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "open" and body["flag_count"] == 1 and body["decided_at"] is None
    assert set(body) == {"item_id", "status", "flag_count", "received_at", "last_flagged_at", "decided_at"}
    # Another client never flagged it: it does not learn the item exists.
    other = make_key(app, "other-platform")
    assert client.get(f"/api/v1/items/{item_id}", headers={"Authorization": f"Bearer {other}"}).status_code == 404
    assert client.get("/api/v1/items/999999", headers={"Authorization": f"Bearer {key}"}).status_code == 404


def test_chat_message_one_to_one_with_a_minor_goes_to_safeguarding(client, key, db):
    body = flag_body(**{"content.type": "chat_message", "content.id": "msg-1", "context.chat_kind": "one_to_one",
                        "author.age_band": "adult", "author.role": "teacher", "flag.reason": "other"})
    resp = post_flag(client, key, body)
    assert resp.status_code == 202, resp.get_json()
    item = db.get(ReviewItem, resp.get_json()["item_id"])
    assert item.chat_kind == "one_to_one" and item.minor_involved and item.safeguarding


def test_idempotency_key_repeats_create_nothing(client, key, db, redis_conn):
    first = post_flag(client, key, flag_body(), **{"Idempotency-Key": "delivery-1"})
    second = post_flag(client, key, flag_body(), **{"Idempotency-Key": "delivery-1"})
    assert first.status_code == second.status_code == 202
    assert second.get_json() == {**first.get_json(), "duplicate": True}
    assert len(db.scalars(select(Flag)).all()) == 1
    assert len(db.scalars(select(AuditEvent).where(AuditEvent.action == "intake.flag_received")).all()) == 1
    assert len(_jobs(redis_conn)) == 1


def test_same_flagger_on_same_content_is_a_duplicate(client, key, db):
    first = post_flag(client, key, flag_body()).get_json()
    # A retry without a key, even with a different reason, is the same person's one flag.
    again = post_flag(client, key, flag_body(**{"flag.reason": "hate"})).get_json()
    assert again["duplicate"] is True and again["item_id"] == first["item_id"] and again["flag_count"] == 1
    assert db.get(ReviewItem, first["item_id"]).flag_count == 1


def test_idempotency_key_reused_for_another_flag_is_refused(client, key, db):
    post_flag(client, key, flag_body(), **{"Idempotency-Key": "k-1"})
    resp = post_flag(client, key, flag_body(**{"content.id": "post-2"}), **{"Idempotency-Key": "k-1"})
    assert resp.status_code == 422 and resp.get_json()["error"] == "idempotency_key_reused"
    assert db.scalar(select(ReviewItem).where(ReviewItem.platform_content_id == "post-2")) is None


def test_idempotency_keys_are_per_client(client, key, app, db):
    other = make_key(app, "second")
    a = post_flag(client, key, flag_body(), **{"Idempotency-Key": "same"}).get_json()
    b = post_flag(client, other, flag_body(**{"flag.flagger.id": "u-9"}), **{"Idempotency-Key": "same"}).get_json()
    assert a["item_id"] == b["item_id"] and b["duplicate"] is False and b["flag_count"] == 2


def test_three_flaggers_join_one_item(client, key, db, redis_conn):
    reasons = ["bullying", "hate", "grooming"]
    results = [post_flag(client, key, flag_body(**{"flag.flagger.id": f"u-{i}", "flag.reason": r,
                                                  "flag.flagged_at": f"2025-03-0{i + 1}T10:00:00Z"})).get_json()
               for i, r in enumerate(reasons)]
    assert len({r["item_id"] for r in results}) == 1
    assert [r["flag_count"] for r in results] == [1, 2, 3]
    item = db.get(ReviewItem, results[0]["item_id"])
    assert item.flag_count == 3 and sorted(f.reason_category for f in item.flags) == sorted(reasons)
    assert item.first_flagged_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert item.last_flagged_at == datetime(2025, 3, 3, 10, tzinfo=UTC)
    assert item.safeguarding is True  # grooming
    assert len(db.scalars(select(ReviewItem)).all()) == 1
    assert len(_jobs(redis_conn)) == 1  # scored once; new flags do not change the text


def test_later_flag_with_edited_text_keeps_its_snapshot(client, key, db):
    first = post_flag(client, key, flag_body()).get_json()
    post_flag(client, key, flag_body(**{"flag.flagger.id": "u-2", "content.text": "edited text"}))
    item = db.get(ReviewItem, first["item_id"])
    assert item.text.startswith("you are so stupid")
    snaps = {f.flagger_pseudonym: f.text_snapshot for f in item.flags}
    assert snaps == {"u-flagger-1": None, "u-2": "edited text"}


def _decide(db, item_id, when):
    item = db.get(ReviewItem, item_id)
    item.status, item.decided_at = ItemStatus.DECIDED, when
    db.commit()


@pytest.mark.parametrize(("flagged", "reason", "reopens"), [
    ("2025-03-05T10:00:00Z", "bullying", True),   # raised after the decision
    ("2025-03-01T12:00:00Z", "bullying", False),  # raised before it, reason already known
    ("2025-03-01T12:00:00Z", "threat", True),     # raised before it, but a new reason
])
def test_new_flag_on_decided_item(client, key, db, flagged, reason, reopens):
    item_id = post_flag(client, key, flag_body()).get_json()["item_id"]
    _decide(db, item_id, datetime(2025, 3, 2, tzinfo=UTC))
    resp = post_flag(client, key, flag_body(**{"flag.flagger.id": "u-new", "flag.flagged_at": flagged,
                                               "flag.reason": reason}))
    assert resp.status_code == 202 and resp.get_json()["flag_count"] == 2
    db.expire_all()
    item = db.get(ReviewItem, item_id)
    assert item.status == (ItemStatus.OPEN if reopens else ItemStatus.DECIDED)
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "intake.flag_received")
                    .order_by(AuditEvent.id.desc())).first()
    assert ev.details["reopened"] is reopens


def test_same_flagger_again_after_decision_does_not_reopen(client, key, db):
    item_id = post_flag(client, key, flag_body()).get_json()["item_id"]
    _decide(db, item_id, datetime(2025, 3, 2, tzinfo=UTC))
    again = post_flag(client, key, flag_body(**{"flag.flagged_at": "2025-03-06T10:00:00Z"})).get_json()
    assert again["duplicate"] is True
    db.expire_all()
    assert db.get(ReviewItem, item_id).status == ItemStatus.DECIDED


def test_concurrent_deliveries_make_one_item(app, key, db):
    n = 6
    barrier = threading.Barrier(n)
    results: list[tuple[int, dict]] = []

    def deliver(i: int) -> None:
        c = app.test_client()
        body = flag_body(**{"content.id": "race-1", "flag.flagger.id": f"u-{i % 3}"})  # 3 flaggers, twice each
        barrier.wait()
        resp = post_flag(c, key, body)
        results.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s for s, _ in results] == [202] * n, results
    assert len({b["item_id"] for _, b in results}) == 1
    assert sum(b["duplicate"] for _, b in results) == 3
    item = db.scalars(select(ReviewItem).where(ReviewItem.platform_content_id == "race-1")).one()
    assert item.flag_count == 3 and len(item.flags) == 3


def test_lost_insert_race_joins_the_winners_item(app, client, key, db, monkeypatch):
    """The look-up misses (the other delivery had not committed yet), the insert then hits the
    unique constraint: the savepoint is rolled back and the flag joins the existing item."""
    first = post_flag(client, key, flag_body()).get_json()
    real = intake.find_item
    calls = {"n": 0}

    def blind_once(session, content_type, content_id):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(session, content_type, content_id)

    monkeypatch.setattr(intake, "find_item", blind_once)
    resp = post_flag(client, key, flag_body(**{"flag.flagger.id": "u-late"}))
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json() == {**first, "flag_count": 2}
    assert calls["n"] == 2
    assert len(db.scalars(select(ReviewItem)).all()) == 1


def test_redis_down_still_accepts_and_leaves_item_pending(tmp_path, database_url, schema_engine, db):
    down = create_app(make_config(tmp_path, database_url, "redis://127.0.0.1:1/0"))
    try:
        key = make_key(down, "platform-offline")
        resp = post_flag(down.test_client(), key, flag_body())
        assert resp.status_code == 202, resp.get_json()
        item = db.get(ReviewItem, resp.get_json()["item_id"])
        assert item is not None and item.score_status == "pending"
    finally:
        down.extensions["c2c_engine"].dispose()


def test_timestamps_far_in_the_future_are_refused(client, key):
    future = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    resp = post_flag(client, key, flag_body(**{"flag.flagged_at": future}))
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "flag.flagged_at"
