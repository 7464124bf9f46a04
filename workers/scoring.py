"""Scoring jobs: `score_items([ids])` (enqueued by ingest) and `score_cases([ids])`
(anonymous reports). Enqueued by dotted path; this module is only imported by workers.

Batching: a job's first batch is its own ids plus other pending subjects up to the batch
size (oldest first); it then keeps claiming batches while anything is pending, lingers
`linger_ms` for new arrivals, and stops at its time budget (handing over to one follow-up
job); see workers/scoring_drain.py. When it ends it removes queued jobs whose ids it scored
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

log = logging.getLogger(__name__)


class ScoringFailedError(RuntimeError):
    """Raised after recording a failure so RQ retries the job with backoff."""

    def __init__(self, message: str, outcome: StoreOutcome | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


def score_items(item_ids: Sequence[int]) -> dict[str, int]:
    return run("item", item_ids)


def score_cases(case_ids: Sequence[int]) -> dict[str, int]:
    return run("case", case_ids)


def run(kind: str, own_ids: Sequence[int], settings: ScoringSettings | None = None) -> dict[str, int]:
    from workers.scoring_drain import Drain

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
            fail_own(app, kind, own_ids, str(exc), settings, totals)
            raise ScoringFailedError(f"classifier unavailable; {dict(totals)}") from None
        if in_worker_parent():
            # DeskWorker's no-fork path (its ids looked taken): only the job's own ids, once,
            # and only if one really is still claimable; draining belongs in a horse.
            if has_claimable(app, kind, own_ids, settings):
                claim_, texts, errors = claim(app, kind, own_ids, settings, others=False)
                results = score(app, claim_, texts, classifier, settings, totals)
                count(record(app, claim_, results, errors, settings), totals)
        else:
            enter_job()
            Drain(app, conn, kind, classifier, settings, totals).run(own_ids)
    if totals:
        log.info("scored %s: %s", kind, dict(totals))
    if totals["retry"]:
        # Some subjects were released for another attempt: let RQ's backoff bring them back.
        raise ScoringFailedError(f"{totals['retry']} {kind}(s) released for retry; {dict(totals)}")
    return dict(totals)


def has_claimable(app: Flask, kind: str, ids: Sequence[int], settings: ScoringSettings | None = None) -> bool:
    """Whether any of these ids could be claimed now (one short indexed read)."""
    from c2c_safety.db import new_session

    s = new_session(app)
    try:
        return scoring.any_claimable(s, kind, ids, settings or ScoringSettings.from_env())
    finally:
        s.rollback()
        s.close()


def claim(app: Flask, kind: str, own_ids: Sequence[int], settings: ScoringSettings, others: bool = True,
          exclude: Collection[int] = ()) -> tuple[Claim, dict[int, str], dict[int, str]]:
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


def score(app: Flask, claim_: Claim, texts: Mapping[int, str], classifier: Classifier,
          settings: ScoringSettings, totals: Counter[str]) -> dict[int, ScoreResult]:
    """Run the model on a claimed batch; on failure record it for the batch and raise."""
    ordered = [i for i in claim_.ids if i in texts]
    try:
        results = classifier.score_batch([texts[i] for i in ordered]) if ordered else []
        if len(results) != len(ordered):
            raise RuntimeError(f"classifier returned {len(results)} results for {len(ordered)}")
    except Exception as exc:
        log.error("scoring %s batch of %d failed: %s", claim_.kind, len(claim_.ids), error_text(exc))
        out = record_failure(app, claim_, error_text(exc), settings)
        count(out, totals)
        raise ScoringFailedError(f"model raised {type(exc).__name__}; {dict(totals)}") from None
    return dict(zip(ordered, results, strict=True))


def record(app: Flask, claim_: Claim, results: Mapping[int, ScoreResult], errors: Mapping[int, str],
           settings: ScoringSettings) -> StoreOutcome:
    """Store one batch's results (and per-subject errors) and refresh triage; commit."""
    from c2c_safety.db import new_session

    s = new_session(app)
    try:
        out = scoring.store(s, claim_, results, errors, settings)
        s.commit()
        return out
    except Exception as exc:
        s.rollback()
        log.error("storing %s scores failed: %s", claim_.kind, error_text(exc))
        # Release (or fail) the claim in a fresh transaction so the retry can re-claim at
        # once instead of waiting for the lease to expire.
        failed = record_failure(app, claim_, error_text(exc), settings)
        raise ScoringFailedError(f"storing scores raised {type(exc).__name__}", failed) from None
    finally:
        s.close()


def record_failure(app: Flask, claim_: Claim, error: str, settings: ScoringSettings) -> StoreOutcome:
    from c2c_safety.db import new_session

    s = new_session(app)
    try:
        out = scoring.record_failure(s, claim_, error, settings)
        s.commit()
        return out
    finally:
        s.close()


def release(app: Flask, claim_: Claim) -> None:
    """Give a claimed batch back untouched (it was not at fault); best effort."""
    from c2c_safety.db import new_session

    s = new_session(app)
    try:
        scoring.release(s, claim_)
        s.commit()
    except Exception as exc:
        log.warning("could not release %d claimed %s(s): %s", len(claim_.ids), claim_.kind, error_text(exc))
    finally:
        s.close()


def fail_own(app: Flask, kind: str, own_ids: Sequence[int], error: str,
             settings: ScoringSettings, totals: Counter[str]) -> None:
    from c2c_safety.db import new_session

    s = new_session(app)
    try:
        claim_ = scoring.claim(s, kind, own_ids, settings, others=False)
        s.commit()
        if claim_.ids:
            count(scoring.record_failure(s, claim_, error, settings), totals)
            s.commit()
    finally:
        s.close()


def count(out: StoreOutcome, totals: Counter[str]) -> None:
    totals.update({"scored": len(out.scored), "failed": len(out.failed), "retry": len(out.retry),
                   "lost_lease": len(out.lost)})


def hand_over(app: Flask, kind: str) -> None:
    """Budget spent with work left: one follow-up job (deterministic id, so many jobs ending
    at once add one) rather than holding the worker and delaying other queues."""
    from c2c_safety.services.scoring_jobs import JOB_FUNCS, enqueue_unique

    try:
        enqueue_unique(get_redis(app), JOB_FUNCS[kind], ([],), f"c2c-continue-{kind}")
    except (RedisError, OSError) as exc:
        log.warning("could not enqueue follow-up scoring (%s); the reconciler will", type(exc).__name__)


def _redis(app: Flask) -> Redis | None:
    try:
        return get_redis(app)
    except Exception:
        return None


def _fault_pause(app: Flask, claim_: Claim) -> None:
    """Test-only fault injection: hold a claimed batch so a test can SIGKILL the worker
    mid-batch. Ignored outside C2C_ENV=test."""
    pause = os.environ.get("C2C_TEST_SCORING_PAUSE_SECONDS")
    if pause and claim_.ids and app.config["C2C"].env == "test":
        log.info("test pause: holding %d claimed %s(s) for %ss", len(claim_.ids), claim_.kind, pause)
        time.sleep(float(pause))
