"""The steps of a scoring batch (claim, score, record, release, hand over), each in its own
short transaction. Used by the job entry points (scoring.py) and the draining loop
(scoring_drain.py), so neither imports the other.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

from c2c_safety.core.redis_conn import get_redis
from c2c_safety.scoring import pipeline as scoring
from c2c_safety.scoring.context import load_contexts
from c2c_safety.scoring.pipeline import Claim, ScoringSettings, StoreOutcome, error_text
from classifiers import Classifier, ScoreResult

log = logging.getLogger(__name__)


class ScoringFailedError(RuntimeError):
    """Raised after recording a failure so RQ retries the job with backoff."""

    def __init__(self, message: str, outcome: StoreOutcome | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


def claim(app: Flask, kind: str, own_ids: Sequence[int], settings: ScoringSettings, others: bool = True,
          exclude: Collection[int] = ()) -> tuple[Claim, dict[int, str], dict[int, str]]:
    """Claim a batch and read its texts in one short transaction."""
    from c2c_safety.core.db import new_session

    s = new_session(app)
    try:
        claim_ = scoring.claim(s, kind, own_ids, settings, others=others, exclude=exclude)
        texts, errors = scoring.load_texts(s, claim_)
        contexts = load_contexts(s, claim_.kind, claim_.ids)
        if contexts:
            claim_ = replace(claim_, contexts=contexts)
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
        batch = [texts[i] for i in ordered]
        if not ordered:
            results: list[ScoreResult] = []
        elif claim_.contexts:   # the flagged message is scored in its conversation (grooming)
            results = classifier.score_batch(batch, [claim_.contexts.get(i) for i in ordered])
        else:
            results = classifier.score_batch(batch)
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
    from c2c_safety.core.db import new_session

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
    from c2c_safety.core.db import new_session

    s = new_session(app)
    try:
        out = scoring.record_failure(s, claim_, error, settings)
        s.commit()
        return out
    finally:
        s.close()


def release(app: Flask, claim_: Claim) -> None:
    """Give a claimed batch back untouched (it was not at fault); best effort."""
    from c2c_safety.core.db import new_session

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
    from c2c_safety.core.db import new_session

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
    from c2c_safety.scoring.jobs import JOB_FUNCS, enqueue_unique

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
