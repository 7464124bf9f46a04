"""Fault-suite fixtures: a desk of real processes (Redis, gunicorn, workers) per test.

Each test gets its own Redis server on a unix socket and its own database: a fresh database
on the test PostgreSQL (C2C_TEST_PG_URL / C2C_TEST_DATABASE_URL / the local service), else
SQLite in a temp dir. Everything is stopped in `finally` blocks, whatever the test did.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path

import pytest

from bench.servers import RedisServer, create_schema, desk_env, pg_database, shared_pg_url
from tests.faults.helpers import Desk, make_api_key

_db_counter = count()


Say = Callable[[str], None]


@pytest.fixture
def say(capsys: pytest.CaptureFixture[str]) -> Say:
    """Print past pytest's capture: the fault counts belong in the test run's output."""

    def _say(message: str) -> None:
        with capsys.disabled():
            print(f"\n[faults] {message.strip()}", flush=True)

    return _say


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised BERT classifier on disk: loads and scores in milliseconds."""
    from tests.classifiers.conftest import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-ckpt"), ["neutral", "toxic", "threat"],
                                 "single_label_classification", {"toxic": ["harassment"], "threat": ["threat"]})


@pytest.fixture
def fault_database(tmp_path: Path) -> Iterator[str]:
    """A fresh database for one fault test, with the desk's schema."""
    base = shared_pg_url()
    if base is None:
        url = f"sqlite:///{tmp_path / 'faults.sqlite3'}"
        create_schema(url)
        yield url
        return
    with pg_database(base, f"c2c_faults_{os.getpid()}_{next(_db_counter)}") as url:
        create_schema(url)
        yield url


DeskFactory = Callable[..., Desk]


@pytest.fixture
def make_desk(request: pytest.FixtureRequest, tmp_path: Path, fault_database: str) -> Iterator[DeskFactory]:
    """make_desk(classifier=None, database_url=None) -> a Desk with its own Redis running."""
    made: list[Desk] = []

    def _make(classifier: str | None = None, database_url: str | None = None, **extra_env: str) -> Desk:
        redis = RedisServer(tmp_path / f"redis{len(made)}").start()
        # The tiny checkpoint (and so torch in this process) only when a test scores.
        spec = classifier or f"hf:{request.getfixturevalue('tiny_checkpoint')}"
        desk = Desk(tmp_path, database_url or fault_database, redis, spec)
        made.append(desk)
        # The worker's own periodic reconciler runs every 2 s and takes anything pending for
        # 1 s (production: every 60 s, after 120 s), so recovery is seen within a test.
        env = {"C2C_CLASSIFIER": spec, "C2C_RECONCILE_INTERVAL_SECONDS": "2", "C2C_RECONCILE_AFTER_SECONDS": "1",
               **extra_env}
        desk.env = desk_env(tmp_path / "instance", desk.database_url, redis.url, **env)
        desk.api_key = make_api_key(desk)
        return desk

    try:
        yield _make
    finally:
        for desk in made:
            desk.redis.stop()
            desk.close()
