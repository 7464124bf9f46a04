"""The draining loop of one scoring job, in its work horse.

While a backlog lasts, batch k is written by a writer thread while the model scores batch
k+1: the next batch is claimed *before* batch k is handed to the writer (on SQLite the claim
and the write would otherwise wait for each other's write lock), so only the inference
overlaps the writing. Writing a batch (scores, triage, commit) took ~12 % of the time of a
batch through MiniLM here; overlapped, it mostly disappears from the critical path. When the
queue runs dry a batch is written at once (its scores should not wait for the next one),
then the loop lingers `linger_ms` for arrivals before the job ends.

Any failure waits for the write in flight, releases what this job still holds untouched
(attempts given back) and raises, so RQ retries the job with backoff.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask
from redis import Redis

from c2c_safety.scoring.pipeline import Claim, ScoringSettings, StoreOutcome
from classifiers import Classifier, ScoreResult
from workers import scoring_steps as jobs
from workers.scoring_sweep import sweep

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1  # while lingering: how often to look for new pending subjects
# A write in flight: (its future → (outcome, store ms), batch size, model ms).
Pending = tuple["Future[tuple[StoreOutcome, float]]", int, float]


class Drain:
    def __init__(self, app: Flask, conn: Redis | None, kind: str, classifier: Classifier,
                 settings: ScoringSettings, totals: Counter[str]) -> None:
        self.app, self.conn, self.kind = app, conn, kind
        self.classifier, self.settings, self.totals = classifier, settings, totals
        self.done: set[int] = set()

    def run(self, own_ids: Sequence[int]) -> None:
        from rq import get_current_job

        current = get_current_job()
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="c2c-score-writer") as writer:
                self._loop(own_ids, writer)
        finally:
            self._sweep(current.id if current else None)

    def _loop(self, own_ids: Sequence[int], writer: ThreadPoolExecutor) -> None:
        s = self.settings
        deadline = time.monotonic() + s.job_budget_seconds
        claim_, texts, errors = self._claim(own_ids)
        pending: Pending | None = None
        while claim_.ids:
            t_model = time.perf_counter()
            try:
                results = jobs.score(self.app, claim_, texts, self.classifier, s, self.totals)
            except BaseException:
                self._join(pending, quiet=True)  # the model's error is the one to report
                raise
            try:
                self._join(pending)  # the write of the previous batch, overlapped with the model
            except BaseException:
                jobs.release(self.app, claim_)  # scored but not stored: give it back untouched
                raise
            pending = None
            model_ms = 1000 * (time.perf_counter() - t_model)
            self.done.update(claim_.ids)
            backlog = len(claim_.ids) >= s.batch_size and time.monotonic() < deadline
            if backlog:
                try:
                    nxt = self._claim((), exclude=self.done)
                except BaseException:
                    jobs.release(self.app, claim_)
                    raise
                pending = (writer.submit(self._write, claim_, results, errors), len(claim_.ids), model_ms)
            else:
                self._join((writer.submit(self._write, claim_, results, errors), len(claim_.ids), model_ms))
                if time.monotonic() >= deadline:
                    if len(claim_.ids) >= s.batch_size:
                        jobs.hand_over(self.app, self.kind)
                    return
                nxt = self._linger(time.monotonic() + s.linger_ms / 1000)
            claim_, texts, errors = nxt
        self._join(pending)

    def _claim(self, own_ids: Sequence[int], exclude: set[int] | None = None
               ) -> tuple[Claim, dict[int, str], dict[int, str]]:
        return jobs.claim(self.app, self.kind, own_ids, self.settings, exclude=exclude or ())

    def _linger(self, until: float) -> tuple[Claim, dict[int, str], dict[int, str]]:
        """Wait for arrivals (they gather into one batch) until `until`; an empty claim if none."""
        while True:
            time.sleep(POLL_SECONDS)
            got = self._claim((), exclude=self.done)
            if got[0].ids or time.monotonic() >= until:
                return got

    def _write(self, claim_: Claim, results: dict[int, ScoreResult], errors: dict[int, str]
               ) -> tuple[StoreOutcome, float]:
        with self.app.app_context():  # the writer thread has no app context of its own
            started = time.perf_counter()
            out = jobs.record(self.app, claim_, results, errors, self.settings)
            return out, 1000 * (time.perf_counter() - started)

    def _join(self, pending: Pending | None, quiet: bool = False) -> None:
        if pending is None:
            return
        future, n, model_ms = pending
        try:
            out, store_ms = future.result()
        except jobs.ScoringFailedError as exc:
            if exc.outcome is not None:
                jobs.count(exc.outcome, self.totals)
            if quiet:
                return
            raise
        jobs.count(out, self.totals)
        # Counts and timings only (never text): where a batch's time goes.
        log.info("%s batch of %d: model %.0f ms, store %.0f ms", self.kind, n, model_ms, store_ms)

    def _sweep(self, current_job_id: str | None) -> None:
        """Once, at the end: the worker cannot reach the queued jobs while this horse runs,
        so sweeping between batches would only delay the next batch."""
        from c2c_safety.scoring.jobs import JOB_FUNCS

        if self.conn is None or not self.done:
            return
        started = time.perf_counter()
        swept = sweep(self.conn, JOB_FUNCS[self.kind], self.done, current_job_id)
        if swept:
            self.totals["jobs_superseded"] += swept
            log.info("removed %d superseded %s job(s) in %.0f ms", swept, self.kind,
                     1000 * (time.perf_counter() - started))
