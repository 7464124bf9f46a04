"""Ordering keeps severity first (review/priority.py): waiting lifts an item at most one
severity level, so a high-severity item about a minor is never below a low-severity item,
however long the latter waited, whatever else either has going for it (flaggers, their
track record, AI bands, missing scores). Property-based (hypothesis) over the real
priority code and the real database for flagger statistics; then end to end through the
aging job and the queue page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.review import aging, priority
from classifiers import CATEGORIES, REVIEW_THRESHOLDS
from models import Flag, ReviewItem, ScoreStatus, utcnow
from models.review import FlaggerStats
from tests.support.review import get, make_item

HIGH_REASONS = ["grooming", "self_harm", "sexual", "threat", "safeguarding"]
LOW_REASONS = ["spam", "privacy", "other"]
ANY_REASONS = HIGH_REASONS + LOW_REASONS + ["bullying", "hate"]
FLAGGERS = ["u-reliable", "u-unreliable", "u-new-1", "u-new-2", "u-new-3", "u-new-4", "u-new-5", "u-new-6"]
NOW = utcnow()


@pytest.fixture
def stats_db(db: Session) -> Session:
    """Flaggers with the best and the worst track record, so reliability swings ±60 points."""
    db.add_all([FlaggerStats(pseudonym="u-reliable", decided=200, upheld=200),
                FlaggerStats(pseudonym="u-unreliable", decided=200, upheld=0)])
    db.commit()
    return db


def _scores(draw: Any, high_allowed: bool) -> dict[str, float] | None:
    kind = draw(st.sampled_from(["scored", "scored", "pending", "failed"]))
    if kind != "scored":
        return None
    out = {}
    for c in CATEGORIES:
        t = REVIEW_THRESHOLDS[c]
        if high_allowed or c == "profanity":
            out[c] = draw(st.floats(0.0, 1.0))
        else:
            out[c] = draw(st.floats(0.0, t / 2 - 1e-6))  # band low: not in play
    return out


@st.composite
def items(draw: Any, *, severe_minor: bool) -> tuple[ReviewItem, dict[str, float] | None, str]:
    reasons = draw(st.lists(st.sampled_from(HIGH_REASONS if severe_minor else LOW_REASONS), min_size=1,
                            max_size=6))
    if severe_minor:
        reasons += draw(st.lists(st.sampled_from(ANY_REASONS), max_size=3))
    scores = _scores(draw, high_allowed=severe_minor)
    flaggers = draw(st.lists(st.sampled_from(FLAGGERS), min_size=len(reasons), max_size=len(reasons),
                             unique=True)) if len(reasons) <= len(FLAGGERS) else FLAGGERS[:len(reasons)]
    minor = severe_minor or draw(st.booleans())
    item = ReviewItem(content_type="chat_message", platform_content_id="x", text="", author_pseudonym="a",
                      author_age_band="under13" if minor else "adult", author_role="student",
                      flag_count=len(reasons) + draw(st.integers(0, 40)), minor_involved=minor,
                      score_status=ScoreStatus.PENDING if scores is None else ScoreStatus.SCORED)
    item.flags = [Flag(flagger_pseudonym=f, flagger_role="student", reason_category=r)
                  for f, r in zip(flaggers, reasons, strict=False)]
    if scores is not None:
        top = max(scores, key=lambda c: scores[c] / REVIEW_THRESHOLDS[c])
        item.top_category, item.top_score = top, scores[top]
    return item, scores, draw(st.sampled_from(["fresh", "any"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(high=items(severe_minor=True), low=items(severe_minor=False),
       high_waited=st.integers(0, 24 * 3600 * 3), low_waited=st.integers(0, 3650 * 24 * 3600))
def test_a_severe_item_about_a_minor_is_never_below_a_low_severity_item(
        stats_db: Session, high: Any, low: Any, high_waited: int, low_waited: int) -> None:
    (h_item, h_scores, _), (l_item, l_scores, _) = high, low
    assert priority.categories_in_play(l_item, l_scores) <= {"other", "profanity"}
    hp, lp = priority.compute(stats_db, h_item, h_scores), priority.compute(stats_db, l_item, l_scores)
    assert hp.level == priority.TOP_LEVEL and lp.level <= 1
    h_rank = priority.place(hp.score, hp.level, NOW - timedelta(seconds=high_waited), NOW).rank
    l_rank = priority.place(lp.score, lp.level, NOW - timedelta(seconds=low_waited), NOW).rank
    assert h_rank > l_rank, (hp, lp, high_waited, low_waited)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(item=st.one_of(items(severe_minor=True), items(severe_minor=False)),
       waited=st.integers(0, 3650 * 24 * 3600))
def test_waiting_lifts_an_item_at_most_one_level_and_only_after_24_hours(
        stats_db: Session, item: Any, waited: int) -> None:
    it, scores, _ = item
    p = priority.compute(stats_db, it, scores)
    placed = priority.place(p.score, p.level, NOW - timedelta(seconds=waited), NOW)
    lifted = priority.effective_level(placed.rank) - p.level
    assert lifted == (1 if waited >= priority.PROMOTE_AFTER.total_seconds() else 0)
    assert (placed.promote_at is None) == (lifted == 1)


def queue_ids(client: FlaskClient) -> list[int]:
    return [int(x) for x in re.findall(r'href="/queue/(\d+)"', client.get("/queue").get_data(as_text=True))]


def test_end_to_end_the_aging_job_lifts_once_and_never_past_a_minors_grooming_flag(
        app: Flask, client: FlaskClient, signed_in: Any) -> None:
    ancient = make_item(app, age_band="adult", flags=[(f"u-{i}", "teacher", "spam") for i in range(8)],
                        waited=timedelta(days=365))
    almost = make_item(app, age_band="adult", flags=[("u-x", "student", "other")],
                       waited=timedelta(hours=23, minutes=59))
    grooming = make_item(app, age_band="under13", flags=[("u-kid", "student", "grooming")],
                         waited=timedelta(minutes=1))
    before = get(app, almost)
    assert before.promote_at is not None and priority.effective_level(before.queue_rank) == before.queue_level
    with app.app_context():
        s = new_session(app)
        assert aging.promote_due(s, utcnow() + timedelta(minutes=2)) == 1
        assert aging.promote_due(s, utcnow() + timedelta(minutes=3)) == 0  # nothing lifted twice
        s.commit()
        s.close()
    after = get(app, almost)
    assert after.promote_at is None and after.queue_rank == before.queue_rank + priority.LEVEL_SPAN
    assert after.version == before.version  # a lift is not a change to the item: open forms stay valid
    signed_in("moderator")
    ids = queue_ids(client)
    assert ids.index(grooming) < ids.index(ancient) and ids.index(grooming) < ids.index(almost)
    html = client.get(f"/queue/{ancient}").get_data(as_text=True)
    assert "lifted one level because it has waited over 24 hours" in html
    assert "waiting over 24 hours lifts an item one level, never more" in html
