"""The queue plumbing end to end: a real Redis-compatible server and a real worker process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.job import Job

from c2c_safety.core.queueing import enqueue
from c2c_safety.core.redis_conn import start_embedded, stop_embedded

ROOT = Path(__file__).resolve().parents[2]


def worker_env(app, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
    env.update({
        "C2C_ENV": "test", "C2C_DATABASE_URL": database_url, "C2C_REDIS_URL": redis_url,
        "C2C_INSTANCE_PATH": str(app.config["C2C"].instance_path),
    })
    return env


def test_job_round_trip_through_a_real_worker(app, redis_conn, database_url, redis_url):
    with app.app_context():
        job_id = enqueue("workers.jobs.ping", "hello")
    assert job_id is not None
    proc = subprocess.run([sys.executable, "-m", "workers", "--burst", "--no-preload"],
                          cwd=ROOT, env=worker_env(app, database_url, redis_url),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    job = Job.fetch(job_id, connection=redis_conn)
    assert job.is_finished
    result = job.return_value()
    assert result["echo"] == "hello" and result["pid"] != os.getpid()


def test_enqueue_with_redis_down_returns_none(tmp_path, database_url, schema_engine):
    from c2c_safety import create_app
    from tests.conftest import make_config

    app = create_app(make_config(tmp_path, database_url, "redis://127.0.0.1:1/0"))
    with app.app_context():
        assert enqueue("workers.jobs.ping", "x") is None


def test_embedded_server_starts_is_shared_and_stops(tmp_path):
    inst = tmp_path / "i"
    url = start_embedded(inst, own=False)
    assert url.startswith("unix://") and (inst / "redis.sock").exists()
    assert start_embedded(inst, own=False) == url  # a second process reuses it
    conn = Redis.from_url(url)
    Queue("default", connection=conn).enqueue("workers.jobs.ping", "x")
    assert conn.llen("rq:queue:default") == 1
    stop_embedded(inst)
    try:
        conn.ping()
        raise AssertionError("server still answers after stop")
    except Exception as exc:
        assert "Error" in type(exc).__name__ or isinstance(exc, OSError)
