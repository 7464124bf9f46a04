"""The real worker process (`python -m workers`) scoring real rows on the real Redis:
preloading, Redis down at ingest, SIGKILL mid-batch, a missing model, the default model."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis

from c2c_safety import create_app
from c2c_safety.core.queueing import enqueue
from models import ScoreStatus
from tests.conftest import make_config
from tests.support.scoring import (
    build_tiny,
    items,
    kill_group,
    make_items,
    max_rows_per_subject_version,
    run_worker_burst,
    score_rows,
    start_worker,
    worker_env,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("tiny-worker"))


def test_worker_preloads_once_scores_enqueued_items_and_reconciled_ones(
        tmp_path: Path, app: Flask, redis_conn: Redis, tiny: Path, database_url: str,
        redis_url: str) -> None:
    ids = make_items(app, 12)
    with app.app_context():
        for item_id in ids:  # as ingest does: one job per committed item
            assert enqueue("workers.scoring.score_items", [item_id]) is not None
    # One more item committed while Redis is down: its job is lost, the row is not.
    down = create_app(make_config(tmp_path / "down", database_url, "redis://127.0.0.1:1/0"))
    [lost] = make_items(down, 1, prefix="lost")
    with down.app_context():
        assert enqueue("workers.scoring.score_items", [lost]) is None
    down.extensions["c2c_engine"].dispose()
    result = app.test_cli_runner().invoke(args=["reconcile"])
    assert result.exit_code == 0 and "items=13" in result.output, result.output

    env = worker_env(app, database_url, redis_url, f"hf:{tiny}", C2C_SCORING_BATCH="8")
    assert run_worker_burst(env, tmp_path / "worker.log") == 0, (tmp_path / "worker.log").read_text()[-3000:]
    assert all(i.score_status == ScoreStatus.SCORED for i in items(app, [*ids, lost]).values())
    assert len(score_rows(app)) == 13 and max_rows_per_subject_version(app) == 1
    loads = {k.decode(): int(v) for k, v in redis_conn.hgetall("c2c:classifier:loads").items()}
    assert list(loads.values()) == [1], loads  # once, in the parent; 14+ jobs ran after it
    status = redis_conn.get("c2c:classifier:status")
    assert status is not None and status.decode().startswith("ok model=hf:")
    # /readyz says "ok" to anyone; the model's name and version only to signed-in staff (issue 10).
    assert app.test_client().get("/readyz").get_json()["checks"]["classifier"] == "ok"
    log = (tmp_path / "worker.log").read_text()
    assert "nobody likes you" not in log  # never log content
    assert "workers.reconcile.tick" in log  # the worker scheduled its periodic reconciler
    # The draining job removed the per-item jobs it had made pointless.
    assert "superseded item job(s)" in log


def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_mid_batch_is_rescored_exactly_once(app: Flask, redis_conn: Redis, tiny: Path,
                                                          database_url: str, redis_url: str,
                                                          tmp_path: Path) -> None:
    ids = make_items(app, 6)
    with app.app_context():
        enqueue("workers.scoring.score_items", [ids[0]])
    lease = 4
    env = worker_env(app, database_url, redis_url, f"hf:{tiny}", C2C_SCORING_LEASE_SECONDS=str(lease),
                     C2C_TEST_SCORING_PAUSE_SECONDS="60")
    proc = start_worker(env, log=tmp_path / "killed.log")
    try:
        _wait(lambda: all(i.scoring_lease_until is not None for i in items(app, ids).values()), 120,
              "the worker to claim the batch")
    finally:
        kill_group(proc)  # SIGKILL to the worker and its horse, mid-batch
    held = items(app, ids)
    assert all(i.score_status == ScoreStatus.PENDING and i.score_attempts == 1 for i in held.values())
    assert score_rows(app) == []
    runner = app.test_cli_runner()
    # While the dead worker's lease is live nobody may take the items (it might still write).
    early = runner.invoke(args=["reconcile"])
    assert "items=0" in early.output, early.output
    time.sleep(lease + 0.5)
    late = runner.invoke(args=["reconcile"])
    assert "'item': 1" in late.output, late.output
    env.pop("C2C_TEST_SCORING_PAUSE_SECONDS")
    assert run_worker_burst(env, tmp_path / "worker.log") == 0, (tmp_path / "worker.log").read_text()[-3000:]
    done = items(app, ids)
    assert all(i.score_status == ScoreStatus.SCORED and i.score_attempts == 2 for i in done.values())
    assert len(score_rows(app)) == 6 and max_rows_per_subject_version(app) == 1


def test_two_workers_never_score_the_same_item(app: Flask, redis_conn: Redis, tiny: Path, database_url: str,
                                               redis_url: str, tmp_path: Path) -> None:
    from rq import Worker

    env = worker_env(app, database_url, redis_url, f"hf:{tiny}", C2C_SCORING_BATCH="8",
                     C2C_SCORING_LINGER_MS="1")
    procs = [start_worker(env, log=tmp_path / f"w{n}.log") for n in range(2)]
    ids: list[int] = []
    both = [0, 0]
    try:
        _wait(lambda: len(Worker.all(connection=redis_conn)) == 2, 120, "both workers listening")
        # On a loaded machine one worker can drain a whole wave before the other's job
        # starts; send more waves (up to 3) until both have really competed for rows.
        for _wave in range(3):
            wave = make_items(app, 480, prefix=f"wave{_wave}")
            ids += wave
            with app.app_context():
                for start in range(0, 480, 8):  # many jobs at once: both workers drain concurrently
                    enqueue("workers.scoring.score_items", wave[start:start + 8])
            _wait(lambda sent=list(ids): all(i.score_status == ScoreStatus.SCORED
                                             for i in items(app, sent).values()), 300, "all items scored")
            both = [(tmp_path / f"w{n}.log").read_text().count("item batch of") for n in range(2)]
            if min(both) > 0:
                break
    finally:
        for p in procs:
            kill_group(p)
    got = items(app, ids)
    assert all(i.score_attempts == 1 for i in got.values())  # nobody claimed an item twice
    assert len(score_rows(app)) == len(ids) and max_rows_per_subject_version(app) == 1
    assert min(both) > 0, both  # both really competed for the same rows


def test_missing_model_marks_items_failed_and_readyz_says_so(app: Flask, redis_conn: Redis,
                                                             database_url: str, redis_url: str,
                                                             tmp_path: Path) -> None:
    ids = make_items(app, 2)
    with app.app_context():
        for item_id in ids:
            enqueue("workers.scoring.score_items", [item_id])
    env = worker_env(app, database_url, redis_url, f"hf:{tmp_path / 'no-such-model'}",
                     C2C_SCORING_MAX_ATTEMPTS="1")
    assert run_worker_burst(env, tmp_path / "worker.log") == 0
    got = items(app, ids)
    for item in got.values():
        assert item.score_status == ScoreStatus.FAILED and item.status == "open"
        assert item.score_error is not None and "ClassifierLoadError" in item.score_error
    ready = app.test_client().get("/readyz").get_json()
    assert ready["checks"]["classifier"].startswith("failed: ClassifierLoadError"), ready
    assert "classifier" in ready["down"]


@pytest.mark.slow
def test_default_model_in_a_real_worker(app: Flask, redis_conn: Redis, database_url: str, redis_url: str,
                                        tmp_path: Path) -> None:
    from classifiers import check_model_files

    problem = check_model_files("default")
    if problem:
        pytest.skip(f"default model not available: {problem}")
    ids = make_items(app, 3, text="I will find you after school and hurt you")
    with app.app_context():
        enqueue("workers.scoring.score_items", ids)
    env = worker_env(app, database_url, redis_url, "default")
    env.pop("C2C_TORCH_THREADS")
    assert run_worker_burst(env, tmp_path / "worker.log", timeout=300) == 0, (
        (tmp_path / "worker.log").read_text()[-3000:])
    rows = score_rows(app)
    assert len(rows) == 3 and {r.model_name for r in rows} == {"c2c-e5-small"}  # the multilingual default (issue 11)
    got = items(app, ids)
    assert all(i.score_status == ScoreStatus.SCORED for i in got.values())
    assert all(i.top_category == "threat" for i in got.values()), {i.top_category for i in got.values()}
    assert list(redis_conn.hgetall("c2c:classifier:loads").values()) == [b"1"]
    assert os.getpid() not in {int(k.decode().rsplit(":", 1)[1]) for k in redis_conn.hgetall(
        "c2c:classifier:loads")}
