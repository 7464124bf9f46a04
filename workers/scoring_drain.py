"""The draining loop of one scoring job, in its work horse.

While a backlog lasts, the model scores batch k while a writer thread first writes batch
k-1 and then claims batch k+1. One thread does both, in that order, so on SQLite the claim
and the write never wait for each other's write lock, and neither sits between two model
calls (issue 24: the claim used to run on the model's thread, between batches). Writing a
batch of 32 (scores, triage, commit) takes ~40 ms against ~520 ms of model (SQLite, round 7;
~70 ms before triage read the batch in four queries instead of three or four per item): it
shares the cores and the GIL with the model, so its CPU is most of the gap to raw. When
the queue runs dry a batch is written at once (its scores should not wait for the next
one), then the loop lingers `linger_ms` for arrivals before the job ends. A backlog seen
just before the time budget runs out costs one batch more than the budget.

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
            # A full batch means a backlog: claim the next one ahead, on the writer thread.
            backlog = len(claim_.ids) >= s.batch_size and time.monotonic() < deadline
            ahead = writer.submit(self._claim_ahead, self.done | set(claim_.ids)) if backlog else None
            t_model = time.perf_counter()
            try:
                results = jobs.score(self.app, claim_, texts, self.classifier, s, self.totals)
            except BaseException:
                self._join(pending, quiet=True)  # the model's error is the one to report
                self._give_back(ahead)
                raise
            try:
                self._join(pending)  # the write of the previous batch, overlapped with the model
                nxt = ahead.result() if ahead is not None else None
            except BaseException:
                jobs.release(self.app, claim_)  # scored but not stored: give it back untouched
                self._give_back(ahead)
                raise
            pending = None
            model_ms = 1000 * (time.perf_counter() - t_model)
            self.done.update(claim_.ids)
            if nxt is not None:
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

    def _give_back(self, ahead: Future[tuple[Claim, dict[int, str], dict[int, str]]] | None) -> None:
        """Release a batch claimed ahead that will not be scored now (best effort, quiet)."""
        if ahead is None:
            return
        try:
            claimed = ahead.result()[0]
        except BaseException:
            return  # nothing was claimed, or its transaction rolled back
        if claimed.ids:
            jobs.release(self.app, claimed)

    def _claim(self, own_ids: Sequence[int], exclude: set[int] | None = None
               ) -> tuple[Claim, dict[int, str], dict[int, str]]:
        return jobs.claim(self.app, self.kind, own_ids, self.settings, exclude=exclude or ())

    def _claim_ahead(self, exclude: set[int]) -> tuple[Claim, dict[int, str], dict[int, str]]:
        """`_claim` on the writer thread. Opening sealed text (case bodies, the conversation
        before a flagged message) needs the key ring, which lives on the app: without an app
        context every backlog of chat messages with context or of cases failed and was retried."""
        with self.app.app_context():
            return self._claim((), exclude)

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
