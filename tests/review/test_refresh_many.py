"""`triage.refresh_many` (the scoring worker's batched store) places every item exactly as
`triage.refresh` does one at a time: same priority, rank, level, wait, promotion, minor and
safeguarding flags, triage note and safeguarding referral. Property-based over items with
several score rows (newest wins, ties by id), flaggers with and without enough history,
open and closed appeals, on the real database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from c2c_safety.review import triage
from classifiers import CATEGORIES
from models import Flag, ItemScore, ReviewItem, ScoreStatus, User, utcnow
from models.review import Appeal, AppealStatus, Decision, FlaggerStats, ItemTriage, SafeguardingReferral

FLAGGERS = ["f-good", "f-bad", "f-short", "f-none-1", "f-none-2"]
REASONS = ["bullying", "grooming", "spam", "self_harm", "hate", "other"]
NOW = utcnow()
PLACED = ("priority", "queue_rank", "queue_level", "waiting_since", "promote_at", "minor_involved",
          "safeguarding", "text_key")


@pytest.fixture
def decider(db: Session, make_user: Any) -> User:
    db.add_all([FlaggerStats(pseudonym="f-good", decided=40, upheld=39),
                FlaggerStats(pseudonym="f-bad", decided=40, upheld=2),
                FlaggerStats(pseudonym="f-short", decided=1, upheld=0)])  # too few to count
    db.commit()
    user: User = make_user("moderator")
    return user


@st.composite
def scenarios(draw: Any) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(1, 5))):
        flaggers = draw(st.lists(st.sampled_from(FLAGGERS), min_size=1, max_size=3, unique=True))
        out.append({
            "age": draw(st.sampled_from(["under13", "13to15", "adult"])),
            "text": draw(st.sampled_from(["hi", "send me a pic", "you are weird lol", ""])),
            "flags": [(who, draw(st.sampled_from(REASONS)), draw(st.integers(0, 600))) for who in flaggers],
            # (age of the score row in seconds, its scores): same ages tie, the later row wins
            "scores": [(draw(st.sampled_from([0, 10, 10, 3600])),
                        {c: draw(st.floats(0, 1)) for c in CATEGORIES})
                       for _ in range(draw(st.integers(0, 3)))],
            "appeals": [(draw(st.integers(0, 3000)), draw(st.sampled_from([AppealStatus.OPEN, "upheld"])))
                        for _ in range(draw(st.integers(0, 2)))],
            "decided": draw(st.booleans()),
        })
    return out


def _build(s: Session, spec: list[dict[str, Any]], decider: User, tag: str) -> list[int]:
    ids = []
    for k, one in enumerate(spec):
        first = NOW - timedelta(hours=2)
        item = ReviewItem(content_type="chat", platform_content_id=f"{tag}-{k}", text=one["text"],
                          author_pseudonym=f"a-{k}", author_age_band=one["age"], author_role="student",
                          first_flagged_at=first, last_flagged_at=first, flag_count=len(one["flags"]),
                          score_status=ScoreStatus.SCORED if one["scores"] else ScoreStatus.PENDING)
        s.add(item)
        s.flush()
        s.add_all(Flag(item_id=item.id, flagger_pseudonym=who, flagger_role="student", reason_category=why,
                       flagged_at=first + timedelta(seconds=sec)) for who, why, sec in one["flags"])
        for j, (age, scores) in enumerate(one["scores"]):
            s.add(ItemScore(subject_type="item", subject_id=item.id, model_name="m", model_version=f"v{j}",
                            scores=scores, language="en", language_reliable=True,
                            created_at=NOW - timedelta(seconds=age)))
            s.flush()  # ids in insertion order: the tie-break
        if one["scores"]:
            item.top_category = max(one["scores"][-1][1], key=one["scores"][-1][1].__getitem__)
            item.top_score = one["scores"][-1][1][item.top_category]
        if one["decided"] or one["appeals"]:
            decision = Decision(item_id=item.id, decided_by_id=decider.id, action="no_action",
                                reason_code="ok", policy_reason_id=None, item_version=1,
                                created_at=first + timedelta(seconds=300))
            s.add(decision)
            s.flush()
            item.decided_at = decision.created_at
            item.status = "appealed" if any(st == AppealStatus.OPEN for _, st in one["appeals"]) else "decided"
            s.add_all(Appeal(decision_id=decision.id, item_id=item.id, appellant="author", status=st,
                             original_decider_id=decider.id, received_at=NOW - timedelta(seconds=sec))
                      for sec, st in one["appeals"])
        ids.append(item.id)
    s.flush()
    return ids


def _placed(s: Session, ids: list[int]) -> list[tuple[Any, ...]]:
    s.flush()
    items = {i.id: i for i in s.scalars(select(ReviewItem).where(ReviewItem.id.in_(ids)))}
    notes = {n.item_id: n for n in s.scalars(select(ItemTriage).where(ItemTriage.item_id.in_(ids)))}
    referred = {r.item_id: r.reasons for r in s.scalars(
        select(SafeguardingReferral).where(SafeguardingReferral.item_id.in_(ids)))}
    return [(*(getattr(items[i], a) for a in PLACED), notes[i].components, notes[i].safeguarding_reasons,
             referred.get(i)) for i in ids]


def _load(s: Session, ids: list[int]) -> list[ReviewItem]:
    s.expire_all()
    return list(s.scalars(select(ReviewItem).where(ReviewItem.id.in_(ids)).order_by(ReviewItem.id)
                          .options(selectinload(ReviewItem.flags))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=scenarios())
def test_refresh_many_places_every_item_as_refresh_does(app: Flask, db: Session, decider: User,
                                                        spec: list[dict[str, Any]]) -> None:
    with app.app_context():
        _compare(db, spec, decider)


def _compare(db: Session, spec: list[dict[str, Any]], decider: User) -> None:
    try:
        one_by_one = _build(db, spec, decider, "a")
        batched = _build(db, spec, decider, "b")
        for item in _load(db, one_by_one):
            triage.refresh(db, item)
        triage.refresh_many(db, _load(db, batched))
        assert _placed(db, batched) == _placed(db, one_by_one)
    finally:
        db.rollback()


def test_refresh_many_reads_a_batch_in_a_fixed_number_of_statements(app: Flask, db: Session,
                                                                     decider: User) -> None:
    """Four reads for the batch (scores, appeals, histories, triage notes), whatever its size:
    it was three or four per item before (the scoring worker's store, issue 24)."""
    from sqlalchemy import event

    spec = [{"age": "13to15", "text": "hi", "flags": [("f-good", "bullying", 0), ("f-bad", "spam", 5)],
             "scores": [(10, dict.fromkeys(CATEGORIES, 0.2))], "appeals": [(5, AppealStatus.OPEN)],
             "decided": True}] * 12
    try:
        ids = _build(db, spec, decider, "c")
        triage.refresh_many(db, _load(db, ids))  # their triage notes, as scored items have
        db.flush()
        items = _load(db, ids)
        seen: list[str] = []
        listener = lambda *a: seen.append(a[2])  # noqa: E731  (conn, cursor, statement, ...)
        engine = db.get_bind()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            with db.no_autoflush:
                triage.refresh_many(db, items)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        selects = [q for q in seen if q.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 4, selects
        assert not any(i.safeguarding for i in items)  # else the referral lookups would add reads
    finally:
        db.rollback()
