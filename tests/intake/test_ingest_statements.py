"""A new flag on new content is a short, fixed sequence of statements (issue 14): no
savepoints, no reads that cannot find anything, no UPDATE of a row just inserted; the API
client's row is read on every request (one indexed SELECT, so a revocation applies at once:
issue 20.4); and a repeat of the same flag changes nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event, func, select

from models import AuditEvent, Flag, ReviewItem
from tests.support.intake import flag_body, make_key, post_flag


@pytest.fixture
def key(app, redis_conn):
    return make_key(app)


def _counted(app, fn):
    seen: list[str] = []
    engine = app.extensions["c2c_engine"]

    def on_sql(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", on_sql)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", on_sql)
    return result, [s for s in seen if s.split()[0].upper() not in ("BEGIN", "COMMIT")]


def test_a_new_flag_on_new_content_is_a_short_fixed_sequence(app, client, key, db):
    post_flag(client, key, flag_body(**{"content.id": "warm-up"}))
    resp, sql = _counted(app, lambda: post_flag(client, key, flag_body(**{"content.id": "fresh-1"})))
    assert resp.status_code == 202, resp.get_json()
    kinds = Counter(s.split()[0].upper() for s in sql)
    # the API client, the flaggers' history; item, flag and triage note (one statement of
    # data-modifying CTEs on PostgreSQL, three INSERTs on SQLite); the audit entry
    if db.get_bind().dialect.name == "postgresql":
        assert kinds == {"SELECT": 2, "WITH": 1, "INSERT": 1}, sql
        combined = next(s for s in sql if s.upper().startswith("WITH"))
        assert all(t in combined for t in ("review_items", "flags", "item_triage")), combined
    else:
        assert kinds == {"INSERT": 4, "SELECT": 2}, sql
    assert not any("SAVEPOINT" in s.upper() or s.upper().startswith("UPDATE") for s in sql)
    assert sum("FROM api_clients" in s for s in sql) == 1  # read every time: a revocation applies at once
    item = db.scalars(select(ReviewItem).where(ReviewItem.platform_content_id == "fresh-1")).one()
    assert item.flag_count == 1 and item.priority > 0 and item.queue_rank != 0 and item.version == 1
    entry = db.scalars(select(AuditEvent).where(AuditEvent.target_id == str(item.id))).one()
    assert entry.details["new_item"] is True and entry.seq is None  # pending until sequenced


def test_a_second_flag_joins_and_a_repeat_adds_nothing(app, client, key, db):
    assert post_flag(client, key, flag_body(), **{"Idempotency-Key": "k-1"}).status_code == 202
    second = post_flag(client, key, flag_body(**{"flag.flagger.id": "u-other"}))
    assert second.status_code == 202 and second.get_json()["flag_count"] == 2
    again, sql = _counted(app, lambda: post_flag(client, key, flag_body(), **{"Idempotency-Key": "k-1"}))
    assert again.status_code == 202 and again.get_json()["duplicate"] is True
    assert not any(s.upper().startswith(("UPDATE", "DELETE")) for s in sql)
    assert db.scalar(select(func.count()).select_from(Flag)) == 2
    received = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "intake.flag_received")
    assert db.scalar(received) == 2
