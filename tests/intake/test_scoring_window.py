"""One scoring job per window of ingest, and one Redis round trip per window per process
(c2c_safety/intake/scoring_window.py, issue 24)."""

from __future__ import annotations

import pytest
from rq import Queue

from c2c_safety import create_app
from c2c_safety.intake import scoring_window
from tests.conftest import make_config
from tests.support.intake import flag_body, make_key, post_flag

NOW = 1_800_000_000.0  # a fixed clock: every flag below lands in the window we choose


@pytest.fixture
def key(app, redis_conn):
    return make_key(app)


def _score_jobs(redis_conn):
    return [j for j in Queue("default", connection=redis_conn).jobs if j.func_name == "workers.scoring.score_items"]


def _sets(redis_conn) -> int:
    return int(redis_conn.info("commandstats").get("cmdstat_set", {}).get("calls", 0))


def _post(client, key, n: int) -> int:
    body = flag_body(**{"content.id": f"window-{n}", "flag.flagger.id": f"u-window-{n}"})
    resp = post_flag(client, key, body)
    assert resp.status_code == 202, resp.get_json()
    return int(resp.get_json()["item_id"])


def test_one_job_and_one_redis_set_per_window(client, key, redis_conn, monkeypatch):
    clock = [NOW]
    monkeypatch.setattr(scoring_window.time, "time", lambda: clock[0])
    length = scoring_window.window_ms()
    first = _post(client, key, 0)
    sets_after_first = _sets(redis_conn)
    ids = [first, *(_post(client, key, n) for n in range(1, 6))]
    assert len(set(ids)) == 6
    # The later five flags of the window asked Redis nothing about scoring.
    assert _sets(redis_conn) == sets_after_first
    jobs = _score_jobs(redis_conn)
    assert [(j.id, j.args) for j in jobs] == [(f"c2c-score-{length}-{int(NOW * 1000) // length}", ([first],))]
    # The next window gets its own job.
    clock[0] = NOW + length / 1000
    nxt = _post(client, key, 6)
    assert [j.args for j in _score_jobs(redis_conn)] == [([first],), ([nxt],)]


def test_another_process_in_the_same_window_adds_no_second_job(app, client, key, redis_conn, tmp_path,
                                                                database_url, redis_url, monkeypatch):
    monkeypatch.setattr(scoring_window.time, "time", lambda: NOW)
    first = _post(client, key, 0)
    other = create_app(make_config(tmp_path / "other", database_url, redis_url))
    try:
        _post(other.test_client(), key, 1)  # settles the window through Redis: taken already
    finally:
        other.extensions["c2c_engine"].dispose()
    assert [j.args for j in _score_jobs(redis_conn)] == [([first],)]


def test_redis_down_is_not_remembered(tmp_path, database_url, schema_engine, db, monkeypatch):
    """A failed round trip settles nothing: the next flag of the window asks Redis again
    (and the reconciler scores whatever no job took)."""
    monkeypatch.setattr(scoring_window.time, "time", lambda: NOW)
    down = create_app(make_config(tmp_path, database_url, "redis://127.0.0.1:1/0"))
    try:
        key = make_key(down, "platform-offline")
        client = down.test_client()
        for n in range(2):
            assert _post(client, key, n)
        settled = down.extensions.get("c2c_scoring_window")
        assert settled is None or settled.window is None
    finally:
        down.extensions["c2c_engine"].dispose()
