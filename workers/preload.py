"""What a worker loads before it forks: the classifier, once per worker process.

`python -m workers` calls `preload` in the parent; the RQ work horse forked for each job
inherits the loaded model copy-on-write, so jobs never load it. A process that was never
preloaded (RQ's SimpleWorker in tests, `--no-preload`) loads lazily, once.

Never run the model in the parent: PyTorch's OpenMP (libgomp) thread pool does not survive
fork(), and a horse forked from a parent that ran a forward pass deadlocks in its first
parallel op (measured on this machine). Loading does not start the pool; inference does.

Every load is counted in Redis (`c2c:classifier:loads`, one field per host:pid) and logged,
so "loaded exactly once per worker process" can be checked. The parent publishes its
classifier state to `c2c:classifier:status` for /readyz.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

from c2c_safety.health.readiness import CLASSIFIER_STATUS_KEY
from c2c_safety.scoring.pipeline import ScoringSettings, error_text
from classifiers import Classifier

log = logging.getLogger(__name__)

LOADS_KEY = "c2c:classifier:loads"
# A failed load is retried at most this often (model files fixed without a restart).
RELOAD_AFTER_SECONDS = 60.0


class ClassifierUnavailableError(RuntimeError):
    """The model could not be loaded; the message is safe to store (paths, no content)."""


@dataclass
class ClassifierState:
    spec: str
    classifier: Classifier | None
    error: str | None
    pid: int
    attempted_at: float
    preloaded: bool  # loaded by a worker parent before forking
    threads: int = 0  # torch threads the classifier chose (jobs restore it after fork)

    def status_line(self) -> str:
        if self.classifier is not None:
            return f"ok model={self.classifier.name} version={self.classifier.version}"
        return f"failed: {self.error or 'not loaded'}"


_state: ClassifierState | None = None


def _load(spec: str, conn: Redis | None, preloaded: bool) -> ClassifierState:
    from classifiers import ClassifierLoadError, check_model_files, load_classifier

    started = time.monotonic()
    state = ClassifierState(spec, None, None, os.getpid(), started, preloaded)
    problem = check_model_files(spec)  # cheap, no torch: a missing model fails fast
    if problem:
        state.error = f"ClassifierLoadError: {problem}"[:300]
    else:
        try:
            state.classifier = load_classifier(spec, batch_size=ScoringSettings.from_env().batch_size)
        except ClassifierLoadError as exc:
            state.error = error_text(exc, with_message=True)
        except Exception as exc:
            state.error = error_text(exc)
    if state.classifier is not None:
        log.info("classifier loaded: %s pid=%d in %.1fs", state.status_line(), state.pid,
                 time.monotonic() - started)
        if conn is not None:
            with contextlib.suppress(RedisError):
                conn.hincrby(LOADS_KEY, f"{socket.gethostname()}:{state.pid}", 1)
                conn.expire(LOADS_KEY, 7 * 24 * 3600)  # one field per worker process ever started
    else:
        log.error("classifier failed to load (%s): %s", spec, state.error)
    return state


def publish_status(conn: Redis, ttl_seconds: int | None = None) -> None:
    """Tell /readyz what this worker's classifier is doing. Expires unless refreshed (the
    worker refreshes it every maintenance tick), so a dead worker fleet reads as
    "no worker has reported" rather than a stale "ok"."""
    if _state is None:
        return
    ttl = ttl_seconds or 3 * ScoringSettings.from_env().reconcile_interval_seconds
    try:
        conn.set(CLASSIFIER_STATUS_KEY, _state.status_line(), ex=ttl)
    except RedisError as exc:
        log.warning("could not publish classifier status: %s", type(exc).__name__)


def preload(app: Flask, conn: Redis) -> None:
    """Load the classifier in the worker parent (before any fork), warm everything a job
    touches for the first time, and publish the classifier state."""
    global _state
    # Rust tokenizers' thread pool has the same fork problem as OpenMP (it disables itself
    # in a forked child with a warning per job); batches are small, so keep it off.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _state = _load(app.config["C2C"].classifier, conn, preloaded=True)
    if _state.classifier is not None:
        _warm_classifier(_state)
    _warm_app()
    publish_status(conn)


# Fixed, content-free sentences: they only exercise the tokenizer, rules and language id.
WARMUP_TEXTS = ("Hello class, here is our project update.", "Hej klassen, her er vores projekt.",
                "ok", "")


def _warm_classifier(state: ClassifierState) -> None:
    """First calls pay for lazy set-up (language-id model, compiled rules, allocator): do it
    once here, not in every forked job. With ONE torch thread, so libgomp never starts its
    pool in the parent (see the module docstring); each horse restores `threads`."""
    import torch

    state.threads = torch.get_num_threads()
    torch.set_num_threads(1)
    started = time.monotonic()
    try:
        assert state.classifier is not None
        state.classifier.score_batch(list(WARMUP_TEXTS))
    except Exception as exc:
        state.classifier, state.error = None, f"warm-up failed: {error_text(exc)}"
        log.error("classifier %s", state.error)
        return
    log.info("classifier warmed up in %.1fs (parent keeps 1 torch thread; jobs use %d)",
             time.monotonic() - started, state.threads)


def _warm_app() -> None:
    """Import what jobs import and configure the ORM mappers in the parent: otherwise every
    forked job redoes both (measured ~100 ms of a no-op job)."""
    import importlib

    from sqlalchemy.orm import configure_mappers

    for name in ("workers.scoring", "workers.scoring_drain", "c2c_safety.scoring.jobs",
                 "c2c_safety.review.triage",
                 "c2c_safety.safeguarding.referrals"):  # the last is imported lazily by triage
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    configure_mappers()


def in_worker_parent() -> bool:
    """True in the process that preloaded the model (the RQ worker parent), False in its
    forked horses and in processes that never preloaded."""
    return _state is not None and _state.preloaded and _state.pid == os.getpid()


def enter_job() -> None:
    """In a forked horse: give torch back the thread count the classifier chose."""
    if _state is not None and _state.preloaded and _state.threads and _state.pid != os.getpid():
        import torch

        if torch.get_num_threads() != _state.threads:
            torch.set_num_threads(_state.threads)


def retry_failed_preload(app: Flask, conn: Redis) -> None:
    """Parent maintenance: if the model failed to load, try again now and then."""
    global _state
    if _state is not None and _state.classifier is None and _state.preloaded and (
            time.monotonic() - _state.attempted_at >= RELOAD_AFTER_SECONDS):
        _state = _load(app.config["C2C"].classifier, conn, preloaded=True)
    publish_status(conn)


def get_classifier(app: Flask, conn: Redis | None = None) -> Classifier:
    """The process's classifier, or ClassifierUnavailableError with the reason.

    In a forked horse this is the parent's object (no load). If the parent's load failed,
    the horse does not retry (that would load a model per job); the parent retries.
    """
    global _state
    spec = app.config["C2C"].classifier
    if _state is None or (_state.spec != spec and not _state.preloaded):
        _state = _load(spec, conn, preloaded=False)
        if conn is not None:
            publish_status(conn)
    elif _state.classifier is None and not _state.preloaded and (
            time.monotonic() - _state.attempted_at >= RELOAD_AFTER_SECONDS):
        _state = _load(spec, conn, preloaded=False)
    if _state.classifier is None:
        raise ClassifierUnavailableError(_state.error or "classifier not loaded")
    return _state.classifier


def state() -> ClassifierState | None:
    return _state


def reset_for_tests(new_state: ClassifierState | None = None) -> None:
    """Tests swap the singleton (e.g. for a classifier that raises)."""
    global _state
    _state = new_state
