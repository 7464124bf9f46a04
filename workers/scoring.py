"""Scoring jobs: `score_items([ids])` (enqueued by ingest) and `score_cases([ids])`
(anonymous reports). Enqueued by dotted path; this module is only imported by workers.

Batching: a job's first batch is its own ids plus other pending subjects up to the batch
size (oldest first); it then keeps claiming batches while anything is pending, lingers
`linger_ms` for new arrivals, and stops at its time budget (handing over to one follow-up
job). After each batch it removes queued jobs whose ids it has just scored
(workers/scoring_sweep.py); a leftover such job finishes in the worker parent without a
fork (workers/__main__.py). So a burst of per-item jobs costs one model call per batch.

Per batch: claim + read texts (short transaction, committed) → model (no transaction open,
so SQLite's write lock is not held during inference) → store + triage (second short
transaction). A failure releases or fails the claimed subjects and raises, so RQ retries
the job with backoff; a killed worker leaves leases that expire for the reconciler.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

from c2c_safety.redis_conn import get_redis
from c2c_safety.services import scoring
from c2c_safety.services.scoring import Claim, ScoringSettings, StoreOutcome, error_text
from classifiers import Classifier, ScoreResult
from workers.context import get_app
from workers.preload import ClassifierUnavailableError, enter_job, get_classifier, in_worker_parent
from workers.scoring_sweep import sweep

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1  # while lingering: how often to look for new pending subjects


class ScoringFailedError(RuntimeError):
    """Raised after recording a failure so RQ retries the job with backoff."""


def has_claimable(app: Flask, kind: str, ids: Sequence[int], settings: ScoringSettings | None = None) -> bool:
    """Whether any of these ids could be claimed now (one short indexed read)."""
    from c2c_safety.db import new_session

    s = new_session(app)
    try:
        return scoring.any_claimable(s, kind, ids, settings or ScoringSettings.from_env())
    finally:
        s.rollback()
        s.close()


def score_items(item_ids: Sequence[int]) -> dict[str, int]:
    return run("item", item_ids)


def score_cases(case_ids: Sequence[int]) -> dict[str, int]:
    return run("case", case_ids)


def run(kind: str, own_ids: Sequence[int], settings: ScoringSettings | None = None) -> dict[str, int]:
    settings = settings or ScoringSettings.from_env()
    app = get_app()
    totals: Counter[str] = Counter()
    with app.app_context():
        conn = _redis(app)
        try:
            classifier = get_classifier(app, conn)
        except ClassifierUnavailableError as exc:
            # Only the job's own subjects pay an attempt: claiming others would burn the
            # attempts of items whose own jobs are still to come.
            _fail_claim(app, kind, own_ids, str(exc), settings, totals)
            raise ScoringFailedError(f"classifier unavailable; {dict(totals)}") from None
        if in_worker_parent():
            # DeskWorker's no-fork path (its ids looked taken): only the job's own ids, once,
            # and only if one really is still claimable; draining belongs in a horse.
            if has_claimable(app, kind, own_ids, settings):
                _batch(app, kind, own_ids, classifier, settings, totals, others=False)
        else:
            enter_job()
            _drain(app, conn, kind, own_ids, classifier, settings, totals)
    if totals:
        log.info("scored %s: %s", kind, dict(totals))
    if totals["retry"]:
        # Some subjects were released for another attempt: let RQ's backoff bring them back.
        raise ScoringFailedError(f"{totals['retry']} {kind}(s) released for retry; {dict(totals)}")
    return dict(totals)


def _drain(app: Flask, conn: Redis | None, kind: str, own_ids: Sequence[int], classifier: Classifier,
           settings: ScoringSettings, totals: Counter[str]) -> None:
    """Batches until nothing has been pending for `linger_ms` or the budget is spent.

    Lingering keeps this horse (its torch threads started, its caches warm) while items
    keep arriving, instead of paying a fork and a cold first batch per arrival.
    """
    from rq import get_current_job

    from c2c_safety.services.scoring_jobs import JOB_FUNCS

    current = get_current_job()
    deadline = time.monotonic() + settings.job_budget_seconds
    linger_until = time.monotonic()  # a job that finds nothing at all ends at once
    done: set[int] = set()
    own: Sequence[int] = own_ids
    try:
        while True:
            scored = _batch(app, kind, own, classifier, settings, totals, exclude=done)
            own = ()
            if scored:
                done.update(scored)
                linger_until = time.monotonic() + settings.linger_ms / 1000
            now = time.monotonic()
            if now > deadline:
                if scored:
                    _hand_over(app, kind)
                return
            if len(scored) >= settings.batch_size:
                continue
            if now >= linger_until:
                return
            time.sleep(POLL_SECONDS)  # let arrivals gather into the next batch
    finally:
        # Once, at the end: the worker cannot reach the queued jobs while this horse runs,
        # so sweeping between batches would only delay the next batch.
        if conn is not None and done:
            t_sweep = time.perf_counter()
            swept = sweep(conn, JOB_FUNCS[kind], done, current.id if current else None)
            if swept:
                totals["jobs_superseded"] += swept
                log.info("removed %d superseded %s job(s) in %.0f ms", swept, kind,
                         1000 * (time.perf_counter() - t_sweep))


def _batch(app: Flask, kind: str, own_ids: Sequence[int], classifier: Classifier,
           settings: ScoringSettings, totals: Counter[str], others: bool = True,
           exclude: Collection[int] = ()) -> list[int]:
    """Claim, score, store one batch; the claimed ids (empty: nothing to claim)."""
    t_claim = time.perf_counter()
    claim_, texts, errors = _claim(app, kind, own_ids, settings, others=others, exclude=exclude)
    if not claim_.ids:
        return []
    t_model = time.perf_counter()
    try:
        ordered = [i for i in claim_.ids if i in texts]
        results = classifier.score_batch([texts[i] for i in ordered]) if ordered else []
        if len(results) != len(ordered):
            raise RuntimeError(f"classifier returned {len(results)} results for {len(ordered)}")
    except Exception as exc:
        log.error("scoring %s batch of %d failed: %s", kind, len(claim_.ids), error_text(exc))
        _record(app, claim_, {}, dict.fromkeys(claim_.ids, error_text(exc)), settings, totals)
        raise ScoringFailedError(f"model raised {type(exc).__name__}; {dict(totals)}") from None
    t_store = time.perf_counter()
    _record(app, claim_, dict(zip(ordered, results, strict=True)), errors, settings, totals)
    # Counts and timings only (never text): where a batch's time goes.
    log.info("%s batch of %d: claim %.0f ms, model %.0f ms, store %.0f ms", kind, len(claim_.ids),
             1000 * (t_model - t_claim), 1000 * (t_store - t_model), 1000 * (time.perf_counter() - t_store))
    return claim_.ids


def _redis(app: Flask) -> Redis | None:
    try:
        return get_redis(app)
    except Exception:
        return None


def _claim(app: Flask, kind: str, own_ids: Sequence[int], settings: ScoringSettings,
           others: bool = True, exclude: Collection[int] = ()) -> tuple[Claim, dict[int, str], dict[int, str]]:
    """Claim a batch and read its texts in one short transaction."""
    from c2c_safety.db import new_session

    s = new_session(app)
    try:
        claim_ = scoring.claim(s, kind, own_ids, settings, others=others, exclude=exclude)
        texts, errors = scoring.load_texts(s, claim_)
        s.commit()
    finally:
        s.close()
    _fault_pause(app, claim_)
    return claim_, texts, errors


def _record(app: Flask, claim_: Claim, results: Mapping[int, ScoreResult], errors: Mapping[int, str],
            settings: ScoringSettings, totals: Counter[str]) -> None:
    from c2c_safety.db import new_session

    s = new_session(app)
    try:
        try:
            out = scoring.store(s, claim_, results, errors, settings)
            s.commit()
        except Exception as exc:
            s.rollback()
            log.error("storing %s scores failed: %s", claim_.kind, error_text(exc))
            # Release (or fail) the claim in a fresh transaction so the retry can re-claim
            # at once instead of waiting for the lease to expire.
            out = scoring.record_failure(s, claim_, error_text(exc), settings)
            s.commit()
            _count(out, totals)
            raise ScoringFailedError(f"storing scores raised {type(exc).__name__}") from None
    finally:
        s.close()
    _count(out, totals)


def _fail_claim(app: Flask, kind: str, own_ids: Sequence[int], error: str,
                settings: ScoringSettings, totals: Counter[str]) -> None:
    from c2c_safety.db import new_session

    s = new_session(app)
    try:
        claim_ = scoring.claim(s, kind, own_ids, settings, others=False)
        s.commit()
        if claim_.ids:
            _count(scoring.record_failure(s, claim_, error, settings), totals)
            s.commit()
    finally:
        s.close()


def _count(out: StoreOutcome, totals: Counter[str]) -> None:
    totals.update({"scored": len(out.scored), "failed": len(out.failed), "retry": len(out.retry),
                   "lost_lease": len(out.lost)})


def _hand_over(app: Flask, kind: str) -> None:
    """Budget spent with work left: one follow-up job (deterministic id, so many jobs ending
    at once add one) rather than holding the worker and delaying other queues."""
    from c2c_safety.services.scoring_jobs import JOB_FUNCS, enqueue_unique

    try:
        enqueue_unique(get_redis(app), JOB_FUNCS[kind], ([],), f"c2c-continue-{kind}")
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue follow-up scoring (%s); the reconciler will", type(exc).__name__)


def _fault_pause(app: Flask, claim_: Claim) -> None:
    """Test-only fault injection: hold a claimed batch so a test can SIGKILL the worker
    mid-batch. Ignored outside C2C_ENV=test."""
    pause = os.environ.get("C2C_TEST_SCORING_PAUSE_SECONDS")
    if pause and claim_.ids and app.config["C2C"].env == "test":
        log.info("test pause: holding %d claimed %s(s) for %ss", len(claim_.ids), claim_.kind, pause)
        time.sleep(float(pause))
