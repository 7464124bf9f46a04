"""Moderation items and decisions: stripped two years after the latest decision."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from c2c_safety.cases.deadlines import add_months
from c2c_safety.retention import sweep as retention
from models import AnonymisedRecord, Flag, ReviewItem, utcnow
from models.review import Appeal, Decision, StatementOfReasons
from tests.support.cases import get, make_case, make_item, scalars

NOW = utcnow()


def test_items_decided_over_two_years_ago_are_stripped(app, db, make_user):
    mod = make_user("moderator")
    old = make_item(db, decider_id=mod.id, flagger="flagger-1", decided_at=add_months(NOW, -24) - timedelta(days=1))
    young = make_item(db, decider_id=mod.id, decided_at=add_months(NOW, -24) + timedelta(days=1))
    appealed = make_item(db, decider_id=mod.id, decided_at=NOW - timedelta(days=900))
    linked = make_item(db, decider_id=mod.id, decided_at=NOW - timedelta(days=900))
    make_case(app, db, reporter=False, review_item_id=linked)
    decision_id = scalars(db, select(Decision.id).where(Decision.item_id == appealed))[0]
    db.add(Appeal(decision_id=decision_id, item_id=appealed, appellant="author", original_decider_id=mod.id))
    db.commit()
    with app.app_context():
        result = retention.sweep(db, NOW)
    assert result.counts["items_anonymised"] == 1
    item = get(db, ReviewItem, old)
    assert item.text == "" and item.author_pseudonym == "[anonymised]" and item.status == "decided"
    assert item.decided_at is not None and item.content_type == "chat_message"  # statistics stay
    flag = scalars(db, select(Flag).where(Flag.item_id == old))[0]
    assert flag.flagger_pseudonym == f"anonymised-{flag.id}" and flag.comment == ""
    sor = scalars(db, select(StatementOfReasons).join(Decision, Decision.id == StatementOfReasons.decision_id)
                  .where(Decision.item_id == old))[0]
    assert sor.facts == "[anonymised]" and sor.policy_code == "bullying"
    for kept in (young, appealed, linked):
        assert get(db, ReviewItem, kept).text == "Item text"
    assert scalars(db, select(AnonymisedRecord.record_id)) == [old]
    with app.app_context():
        again = retention.sweep(db, NOW)
    assert again.counts["items_anonymised"] == 0
