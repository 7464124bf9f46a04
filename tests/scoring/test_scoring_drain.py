"""The draining loop in-process: overlapped writes and their failure path, the sweep of
superseded per-item jobs, the hand-over at the time budget, and the reconcile tick's dedup."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from rq import Queue

import workers.context
from c2c_safety.core.queueing import enqueue
from c2c_safety.scoring import pipeline as scoring
from classifiers import ScoreResult
from models import ScoreStatus
from tests.scoring.test_scoring_jobs import Recording
from tests.support.scoring import build_tiny, items, make_items, score_rows
from workers import preload
from workers.reconcile import ensure_tick
from workers.scoring import ScoringFailedError, score_items


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("tiny-drain"))


@pytest.fixture
def sapp(app: Flask, tiny: Path, redis_conn: Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app.config["C2C"].classifier = f"hf:{tiny}"
    monkeypatch.setattr(workers.context, "_app", app)
    monkeypatch.setenv("C2C_SCORING_BATCH", "4")
    monkeypatch.setenv("C2C_SCORING_LINGER_MS", "1")
    preload.reset_for_tests()
    yield app
    preload.reset_for_tests()


class Slow(Recording):
    def score_batch(self, texts: Sequence[str]) -> list[ScoreResult]:
        time.sleep(0.3)
        return super().score_batch(texts)


def _install(app: Flask, cls: type[Recording] = Recording) -> Recording:
    clf = cls(preload.get_classifier(app))
    state = preload.state()
    assert state is not None
    preload.reset_for_tests(preload.ClassifierState(state.spec, clf, None, state.pid, 0.0, False))
    return clf


def test_a_failed_write_fails_its_batch_and_gives_the_next_one_back(
        sapp: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = make_items(sapp, 12)
    _install(sapp)
    real_store, calls = scoring.store, []

    def flaky_store(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(scoring, "store", flaky_store)
    with pytest.raises(ScoringFailedError):
        score_items([ids[0]])
    got = items(sapp, ids)
    scored = [i for i in ids if got[i].score_status == ScoreStatus.SCORED]
    assert scored == ids[:4]  # the first batch was written
    second, third = ids[4:8], ids[8:12]
    assert all(got[i].score_error == "RuntimeError" and got[i].score_attempts == 1 for i in second)
    # The third batch was scored while the second was being written; it is handed back
    # untouched (no lease, attempt returned) rather than blamed.
    assert all(got[i].scoring_lease_until is None for i in [*second, *third])
    assert all(got[i].score_attempts == 0 and got[i].score_error is None for i in third)
    monkeypatch.setattr(scoring, "store", real_store)
    score_items([])
    assert all(i.score_status == ScoreStatus.SCORED for i in items(sapp, ids).values())
    assert len(score_rows(sapp)) == 12


def test_superseded_per_item_jobs_are_removed_from_the_queue(sapp: Flask, redis_conn: Redis) -> None:
    ids = make_items(sapp, 10)
    _install(sapp)
    with sapp.app_context():
        for item_id in ids:
            enqueue("workers.scoring.score_items", [item_id])
        enqueue("workers.jobs.ping", "keep me")
    assert Queue("default", connection=redis_conn).count == 11
    out = score_items([ids[0]])  # as the first job would, run directly
    assert out["scored"] == 10 and out["jobs_superseded"] == 10
    remaining = Queue("default", connection=redis_conn).jobs
    assert [j.func_name for j in remaining] == ["workers.jobs.ping"]


def test_budget_spent_hands_over_to_one_follow_up_job(sapp: Flask, redis_conn: Redis,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2C_SCORING_JOB_BUDGET_SECONDS", "1")
    ids = make_items(sapp, 40)
    clf = _install(sapp, Slow)
    out = score_items([])
    assert 0 < out["scored"] < 40 and len(clf.batches) == out["scored"] // 4
    follow = [j for j in Queue("default", connection=redis_conn).jobs if j.id == "c2c-continue-item"]
    assert len(follow) == 1 and follow[0].args == ([],)
    pending = [i for i in items(sapp, ids).values() if i.score_status == ScoreStatus.PENDING]
    assert len(pending) == 40 - out["scored"] and all(i.scoring_lease_until is None for i in pending)


def test_reconcile_tick_is_enqueued_once_per_slot(redis_conn: Redis) -> None:
    settings = scoring.ScoringSettings(reconcile_interval_seconds=60)
    assert ensure_tick(redis_conn, settings, now=600.0) is True
    assert ensure_tick(redis_conn, settings, now=630.0) is False  # same slot: another worker did it
    assert ensure_tick(redis_conn, settings, now=660.0) is True
    assert Queue("high", connection=redis_conn).job_ids == ["c2c-periodic-scoring-reconcile-10",
                                                           "c2c-periodic-scoring-reconcile-11"]


def test_a_backlog_is_claimed_by_the_writer_thread_while_the_model_runs(
        sapp: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 24: the next batch is claimed off the model's thread while the model runs, so
    the model goes from batch to batch without a transaction in between. The model waits
    (up to 10 s) for the next batch's claim: claimed after the model, it would never come."""
    import threading

    from workers import scoring_steps

    ids = make_items(sapp, 12)
    claimed = threading.Condition()
    claims: list[tuple[str, int]] = []
    waited: list[bool] = []

    class Waiting(Recording):
        def score_batch(self, texts: Sequence[str]) -> list[ScoreResult]:
            k = len(self.batches) + 1  # this is batch k; a full one means batch k+1 is due
            with claimed:
                waited.append(claimed.wait_for(lambda: len(claims) > k, timeout=10))
            return super().score_batch(texts)

    clf = _install(sapp, Waiting)
    real_claim = scoring_steps.claim

    def watched_claim(*args, **kwargs):  # type: ignore[no-untyped-def]
        got = real_claim(*args, **kwargs)
        with claimed:
            claims.append((threading.current_thread().name, len(got[0].ids)))
            claimed.notify_all()
        return got

    monkeypatch.setattr(scoring_steps, "claim", watched_claim)
    out = score_items([ids[0]])
    assert out["scored"] == 12 and len(clf.batches) == 3
    assert waited == [True, True, True]  # every batch's successor was claimed during it
    assert claims[0][0] == threading.current_thread().name  # the job's own first batch
    assert [n for _, n in claims] == [4, 4, 4, 0]
    assert all(name.startswith("c2c-score-writer") for name, _ in claims[1:])
    assert all(i.score_status == ScoreStatus.SCORED for i in items(sapp, ids).values())


def test_a_backlog_with_sealed_text_is_claimed_ahead_and_scored(sapp: Flask) -> None:
    """The batch claimed ahead on the writer thread opens sealed text: the conversation before
    a flagged chat message and anonymous reports' bodies. Found running `make demo`: the
    writer thread had no app context (so no key ring), and every such backlog failed."""
    from datetime import UTC, datetime

    from c2c_safety.core.crypto import seal_text
    from c2c_safety.core.db import new_session
    from models import ConversationMessage
    from tests.support.scoring import make_case
    from workers.scoring import score_cases

    ids = make_items(sapp, 10)   # batch size 4: two batches are claimed ahead
    with sapp.app_context():
        s = new_session(sapp)
        s.add_all(ConversationMessage(item_id=i, position=-1, author_pseudonym="p", author_role="student",
                                      author_age_band="13to15", sent_at=datetime.now(UTC),
                                      text_sealed=seal_text("our little secret, ok?")) for i in ids)
        s.commit()
        s.close()
    out = score_items([ids[0]])
    assert out["scored"] == 10, out
    rows = {r.subject_id: r for r in score_rows(sapp)}
    assert sorted(rows) == sorted(ids) and all(r.extra["context_used"] for r in rows.values())
    assert all(i.score_status == ScoreStatus.SCORED for i in items(sapp, ids).values())

    cases = [make_case(sapp) for _ in range(9)]
    assert score_cases([cases[0]])["scored"] == 9
    assert sorted(r.subject_id for r in score_rows(sapp, "case")) == sorted(cases)
