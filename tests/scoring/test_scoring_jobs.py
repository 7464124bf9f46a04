"""Scoring jobs run in-process (RQ's SimpleWorker or a direct call) on the real database and
Redis, with a tiny on-disk HF checkpoint: batching, idempotency, failures, cases, rescore,
reconcile. The real worker process is exercised in test_worker_scoring.py."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select, update

import workers.context
from c2c_safety.core.db import new_session
from c2c_safety.core.queueing import enqueue
from c2c_safety.scoring import pipeline as scoring
from c2c_safety.scoring.pipeline import ScoringSettings
from classifiers import CATEGORIES, REVIEW_THRESHOLDS, Classifier, ScoreResult
from models import AuditEvent, ItemScore, ReviewItem, ScoreStatus, utcnow
from models.review import ItemTriage
from tests.support.scoring import build_tiny, items, make_case, make_items, score_rows
from workers import preload
from workers.scoring import ScoringFailedError, score_cases, score_items

SECRET = "you are so stupid"


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another model (different labels → different version string)."""
    return build_tiny(tmp_path_factory.mktemp("tiny-b"), ["neutral", "toxic", "threat", "other"])


@pytest.fixture
def sapp(app: Flask, tiny: Path, redis_conn: Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The test app as the jobs' app, scoring with the tiny model."""
    app.config["C2C"].classifier = f"hf:{tiny}"
    monkeypatch.setattr(workers.context, "_app", app)
    for name in ("C2C_SCORING_BATCH", "C2C_SCORING_MAX_ATTEMPTS", "C2C_SCORING_LEASE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    preload.reset_for_tests()
    yield app
    preload.reset_for_tests()


class Recording:
    """Wraps a classifier: records batch sizes, can be told to raise."""

    def __init__(self, inner: Classifier, fail: BaseException | None = None) -> None:
        self.inner, self.fail, self.batches = inner, fail, []  # type: ignore[var-annotated]
        self.name, self.version = inner.name, inner.version
        self.reliable_languages = inner.reliable_languages

    def score_batch(self, texts: Sequence[str]) -> list[ScoreResult]:
        self.batches.append(len(texts))
        if self.fail is not None:
            raise self.fail
        return self.inner.score_batch(texts)


def install(app: Flask, fail: BaseException | None = None) -> Recording:
    clf = Recording(preload.get_classifier(app), fail)
    state = preload.state()
    assert state is not None
    preload.reset_for_tests(preload.ClassifierState(state.spec, clf, None, state.pid, 0.0, False))
    return clf


def test_one_job_scores_all_pending_in_batches(sapp: Flask, redis_conn: Redis,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2C_SCORING_BATCH", "16")
    ids = make_items(sapp, 40)
    clf = install(sapp)
    with sapp.app_context():
        job_id = enqueue("workers.scoring.score_items", [ids[-1]])
    SimpleWorker([Queue("default", connection=redis_conn)], connection=redis_conn).work(burst=True)
    assert clf.batches == [16, 16, 8]
    from rq.job import Job

    assert Job.fetch(str(job_id), connection=redis_conn).return_value() == {
        "scored": 40, "failed": 0, "retry": 0, "lost_lease": 0}
    got = items(sapp, ids)
    assert all(i.score_status == ScoreStatus.SCORED and i.scoring_lease_until is None for i in got.values())
    assert all(i.score_attempts == 1 for i in got.values())
    rows = score_rows(sapp)
    assert len(rows) == 40 and {r.model_version for r in rows} == {clf.version}
    assert all(set(r.scores) == set(CATEGORIES) for r in rows)
    # The job's own id went into the first batch even though it is the newest item.
    first = sorted(rows, key=lambda r: r.id)[:16]
    assert ids[-1] in {r.subject_id for r in first}


def test_top_category_is_relative_to_review_thresholds_and_triage_runs(sapp: Flask) -> None:
    [item_id] = make_items(sapp, 1)
    score_items([item_id])
    item = items(sapp, [item_id])[item_id]
    [row] = score_rows(sapp)
    ratio = {c: row.scores[c] / REVIEW_THRESHOLDS[c] for c in CATEGORIES}
    assert item.top_category == max(ratio, key=lambda c: ratio[c])
    assert item.top_score == pytest.approx(row.scores[item.top_category])
    assert item.language == row.language and item.language_reliable == row.language_reliable
    assert item.status == "open"  # scores never decide
    s = new_session(sapp)
    try:
        note = s.get(ItemTriage, item_id)
        assert note is not None and not any("not scored" in str(c[0]) for c in note.components)
    finally:
        s.close()
    assert item.priority > 0


def test_rerun_of_the_same_job_stores_nothing_twice(sapp: Flask) -> None:
    ids = make_items(sapp, 3)
    assert score_items(ids)["scored"] == 3
    assert score_items(ids) == {}  # nothing left to claim: a no-op
    assert len(score_rows(sapp)) == 3
    # Even a forced second scoring with the same model version adds no row (ON CONFLICT).
    s = new_session(sapp)
    scoring.mark_for_rescore(s, ids)
    s.commit()
    s.close()
    assert score_items(ids)["scored"] == 3
    assert len(score_rows(sapp)) == 3
    assert all(i.score_status == ScoreStatus.SCORED for i in items(sapp, ids).values())


def test_a_leased_item_is_not_claimed_twice(sapp: Flask) -> None:
    ids = make_items(sapp, 4)
    settings = ScoringSettings(batch_size=10)
    s1, s2 = new_session(sapp), new_session(sapp)
    try:
        first = scoring.claim(s1, "item", ids[:1], settings)
        s1.commit()
        second = scoring.claim(s2, "item", ids[:1], settings)
        s2.commit()
        assert sorted(first.ids) == ids and second.ids == []
        # Expired leases are claimable again, with a new token.
        s1.execute(update(ReviewItem).values(scoring_lease_until=utcnow() - timedelta(seconds=1)))
        s1.commit()
        third = scoring.claim(s2, "item", [], settings)
        s2.commit()
        assert third.ids == ids and third.lease != first.lease
        # The first claimant's results are refused: its token is gone.
        out = scoring.store(s1, first, {}, {}, settings)
        s1.commit()
        assert out.lost == ids and out.scored == []
    finally:
        s1.close()
        s2.close()


def test_model_raising_fails_items_after_max_attempts_visibly(sapp: Flask) -> None:
    [item_id] = make_items(sapp, 1, text=SECRET)
    install(sapp, fail=RuntimeError(f"boom on '{SECRET}'"))
    for attempt in (1, 2, 3):
        with pytest.raises(ScoringFailedError):
            score_items([item_id])
        item = items(sapp, [item_id])[item_id]
        assert item.score_attempts == attempt and item.scoring_lease_until is None
        assert item.score_error == "RuntimeError"  # the type only: messages may quote content
    assert item.score_status == ScoreStatus.FAILED and item.status == "open"
    assert score_rows(sapp) == []
    assert score_items([item_id]) == {}  # failed items are not claimed again
    s = new_session(sapp)
    try:
        note = s.get(ItemTriage, item_id)
        assert note is not None and any("scoring failed" in str(c[0]) for c in note.components)
    finally:
        s.close()


def test_missing_model_fails_own_items_only_and_says_why(sapp: Flask, redis_conn: Redis,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2C_SCORING_MAX_ATTEMPTS", "1")
    sapp.config["C2C"].classifier = "hf:/nonexistent/model"
    own, other = make_items(sapp, 2)
    with pytest.raises(ScoringFailedError):
        score_items([own])
    got = items(sapp, [own, other])
    assert got[own].score_status == ScoreStatus.FAILED
    assert got[own].score_error is not None and got[own].score_error.startswith("ClassifierLoadError:")
    assert got[other].score_status == ScoreStatus.PENDING and got[other].score_attempts == 0
    status = redis_conn.get("c2c:classifier:status")
    assert status is not None and status.decode().startswith("failed: ClassifierLoadError")
    resp = sapp.test_client().get("/readyz")
    assert resp.get_json()["checks"]["classifier"].startswith("failed:")


def test_cases_are_scored_from_the_sealed_body(sapp: Flask) -> None:
    ok = make_case(sapp)
    broken = make_case(sapp, sealed=b"C2\x02k9" + b"\x00" * 40)
    with pytest.raises(ScoringFailedError, match="1 case"):  # the broken one goes back for a retry
        score_cases([ok, broken])
    [row] = score_rows(sapp, "case")
    assert row.subject_id == ok
    s = new_session(sapp)
    try:
        from models import CaseFile

        cases = {c.id: c for c in s.scalars(select(CaseFile))}
        assert cases[ok].score_status == "scored"
        assert cases[broken].score_status == "pending" and cases[broken].score_error == "CryptoError"
    finally:
        s.close()


def test_rescore_command_adds_rows_for_the_new_version(sapp: Flask, tiny_b: Path, redis_conn: Redis) -> None:
    ids = make_items(sapp, 3)
    score_items(ids)
    old_version = score_rows(sapp)[0].model_version
    sapp.config["C2C"].classifier = f"hf:{tiny_b}"
    runner = sapp.test_cli_runner()
    result = runner.invoke(args=["rescore", "--item", str(ids[0]), "--item", str(ids[1])])
    assert result.exit_code == 0, result.output
    assert "rescoring 2 item(s)" in result.output
    assert Queue("low", connection=redis_conn).count == 1
    SimpleWorker([Queue("low", connection=redis_conn)], connection=redis_conn).work(burst=True)
    rows = score_rows(sapp)
    by_item: dict[int, list[str]] = {}
    for r in rows:
        by_item.setdefault(r.subject_id, []).append(r.model_version)
    assert len(by_item[ids[0]]) == 2 and old_version in by_item[ids[0]]  # history kept
    assert by_item[ids[2]] == [old_version]  # not selected, untouched
    assert all(i.score_status == ScoreStatus.SCORED for i in items(sapp, ids).values())
    s = new_session(sapp)
    try:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "scoring.rescore_requested")).one()
        assert ev.details["selected"] == 2
    finally:
        s.close()
    assert runner.invoke(args=["rescore"]).exit_code != 0  # a selection is required


def test_reconcile_enqueues_stale_pending_once(sapp: Flask, redis_conn: Redis,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2C_SCORING_BATCH", "2")
    ids = make_items(sapp, 5)  # committed, never enqueued (Redis was down at ingest)
    runner = sapp.test_cli_runner()
    young = runner.invoke(args=["reconcile", "--older-than", "3600"])
    assert "items=0" in young.output and Queue("default", connection=redis_conn).count == 0
    first = runner.invoke(args=["reconcile"])
    assert first.exit_code == 0, first.output
    assert "items=5" in first.output and "'item': 3" in first.output
    again = runner.invoke(args=["reconcile"])  # jobs still queued: deterministic ids, no flood
    assert "'item': 0" in again.output
    assert Queue("default", connection=redis_conn).count == 3
    SimpleWorker([Queue("default", connection=redis_conn)], connection=redis_conn).work(burst=True)
    assert all(i.score_status == ScoreStatus.SCORED for i in items(sapp, ids).values())
    assert len(score_rows(sapp)) == 5


def test_reconcile_fails_items_whose_every_attempt_died(sapp: Flask) -> None:
    [item_id] = make_items(sapp, 1)
    s = new_session(sapp)
    s.execute(update(ReviewItem).values(score_attempts=3, scoring_lease_until=utcnow() - timedelta(seconds=5)))
    s.commit()
    s.close()
    result = sapp.test_cli_runner().invoke(args=["reconcile"])
    assert "marked failed" in result.output
    item = items(sapp, [item_id])[item_id]
    assert item.score_status == ScoreStatus.FAILED and item.score_error == "WorkerLost: no attempt finished"


def test_no_item_scores_are_written_for_unclaimed_ids(sapp: Flask) -> None:
    assert score_items([999_999]) == {}
    s = new_session(sapp)
    try:
        assert s.scalars(select(ItemScore)).all() == []
    finally:
        s.close()


def test_web_side_scoring_code_never_imports_torch(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys, app; from c2c_safety.scoring import cli; "
            "from c2c_safety.scoring import jobs, pipeline; "
            "app.app.test_cli_runner().invoke(args=['reconcile', '--dry-run']); "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'torch imported'")
    env = {"C2C_ENV": "test", "C2C_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin",
           "C2C_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "C2C_REDIS_URL": "redis://127.0.0.1:1/0"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_rescore_wait_stays_until_the_workers_have_scored(sapp: Flask, redis_conn: Redis) -> None:
    import threading

    from c2c_safety.scoring.jobs import still_pending

    ids = make_items(sapp, 3)
    score_items(ids)
    out: dict[str, object] = {}

    def run_cli() -> None:   # the CLI waits; this (main) thread plays the worker
        result = sapp.test_cli_runner().invoke(args=["rescore", "--wait", *(f"--item={i}" for i in ids[:2])])
        out["code"], out["output"] = result.exit_code, result.output

    cli = threading.Thread(target=run_cli)
    cli.start()
    queue = Queue("low", connection=redis_conn)
    deadline = time.monotonic() + 30
    while queue.count == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    s = new_session(sapp)
    try:
        assert still_pending(s, tuple(ids)) == 2   # selected, enqueued, not yet scored
    finally:
        s.close()
    assert cli.is_alive()                            # --wait has not returned before the work is done
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    cli.join(30)
    assert not cli.is_alive() and out["code"] == 0, out
    assert "rescored 2 item(s)" in str(out["output"])
    assert all(i.score_status == ScoreStatus.SCORED for i in items(sapp, ids).values())
