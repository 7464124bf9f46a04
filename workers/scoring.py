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
from collections import Counter
from collections.abc import Sequence

from flask import Flask

from c2c_safety.scoring import pipeline as scoring
from c2c_safety.scoring.pipeline import ScoringSettings
from workers.context import get_app
from workers.preload import ClassifierUnavailableError, enter_job, get_classifier, in_worker_parent
from workers.scoring_steps import ScoringFailedError as ScoringFailedError
from workers.scoring_steps import _redis, claim, count, fail_own, record, score

log = logging.getLogger(__name__)


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
    from c2c_safety.core.db import new_session

    s = new_session(app)
    try:
        return scoring.any_claimable(s, kind, ids, settings or ScoringSettings.from_env())
    finally:
        s.rollback()
        s.close()


