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

from c2c_safety.services.health import CLASSIFIER_STATUS_KEY
from c2c_safety.services.scoring import ScoringSettings, error_text
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
    """Load the classifier in the worker parent (before any fork) and publish its state."""
    global _state
    _state = _load(app.config["C2C"].classifier, conn, preloaded=True)
    publish_status(conn)


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
