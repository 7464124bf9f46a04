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


def test_one_open_escalation_case_holds_back_only_its_own_item(app, db, make_user):
    """Every condition of the due query is tied to the item checked: an escalation decision
    pointing at an open case keeps that item, and only that item (issue 16: the uncorrelated
    subquery kept every item while any escalation case was open)."""
    mod = make_user("moderator")
    old = NOW - timedelta(days=4 * 365)
    escalated = make_item(db, decider_id=mod.id, decided_at=old)
    open_case = make_case(app, db, reporter=False)  # not linked through review_item_id
    decision = scalars(db, select(Decision).where(Decision.item_id == escalated))[0]
    decision.case_file_id = open_case
    stub_case = make_case(app, db, reporter=False, status="closed", anonymised_at=old)  # already a stub
    done_with = make_item(db, decider_id=mod.id, decided_at=old)
    scalars(db, select(Decision).where(Decision.item_id == done_with))[0].case_file_id = stub_case
    others = [make_item(db, decider_id=mod.id, flagger=f"flagger-{i}", decided_at=old - timedelta(days=i))
              for i in range(5)]
    db.commit()
    with app.app_context():
        due = set(db.scalars(retention.due_items(retention.ensure_policies(db)["moderation"], NOW)))
        db.rollback()
        assert due == {*others, done_with}
        result = retention.sweep(db, NOW)
    assert result.counts["items_anonymised"] == 6
    assert set(scalars(db, select(AnonymisedRecord.record_id))) == {*others, done_with}
    assert get(db, ReviewItem, escalated).text == "Item text"  # its case is open: kept whole
