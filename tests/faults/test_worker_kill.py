"""A scoring worker killed with SIGKILL (parent and work horse) in the middle of a batch.

The batch's items stay claimed (leased) by a process that no longer exists. Nothing may be
lost and nothing scored twice: once the lease runs out the reconciler re-enqueues them, a
new worker scores them, and each item ends with exactly one score row per model version.
"""

from __future__ import annotations

import signal
import time

import pytest
from sqlalchemy import func, select

from bench.servers import start_worker, stop_process
from models import ReviewItem, ScoreStatus
from tests.faults.conftest import DeskFactory, Say
from tests.faults.helpers import assert_audit_complete, assert_exactly_once_and_scored, ingest, settle, wait_until

pytestmark = pytest.mark.faults

N_ITEMS = 48
BATCH = 16
LEASE_SECONDS = 4


def test_worker_sigkill_mid_batch_scores_every_item_once(make_desk: DeskFactory, say: Say) -> None:
    desk = make_desk(C2C_SCORING_BATCH=str(BATCH), C2C_SCORING_LEASE_SECONDS=str(LEASE_SECONDS))
    t0 = time.monotonic()
    accepted = ingest(desk, [f"kill-{n}" for n in range(N_ITEMS)])
    say(f"ingested {len(accepted)} in {time.monotonic() - t0:.1f}s")

    def leased() -> int:
        with desk.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(
                ReviewItem.score_status == ScoreStatus.PENDING,
                ReviewItem.scoring_lease_until.is_not(None))).scalar_one())

    # The test-only pause holds each claimed batch between claim and model: the kill lands
    # after the claim was committed and before any score was stored.
    victim = start_worker({**desk.env, "C2C_TEST_SCORING_PAUSE_SECONDS": "120"},
                          log_path=desk.tmp / "victim.log")
    try:
        t0 = time.monotonic()
        wait_until(lambda: leased() > 0, 120, "the worker to claim a batch")
        say(f"victim claimed a batch after {time.monotonic() - t0:.1f}s")
        held = leased()
        stop_process(victim, signal.SIGKILL)  # the whole group: parent and work horse
        killed_at = time.monotonic()
    finally:
        stop_process(victim, signal.SIGKILL)
    counts = desk.item_counts()
    say(f"worker SIGKILL mid-batch: {held} items claimed by the dead worker, {counts}")
    assert 0 < held <= BATCH

    # A fresh worker scores the rest; the orphaned batch waits for its lease to run out, then
    # the reconciler (by hand, and the worker's periodic tick) or the next job claims it.
    time.sleep(max(0.0, killed_at + LEASE_SECONDS - time.monotonic()))
    settle(desk)
    final = assert_exactly_once_and_scored(desk, accepted)
    final.update(assert_audit_complete(desk, final["items"]))  # the sequencer ran through it all
    with desk.engine.connect() as conn:
        attempts = dict(conn.execute(select(ReviewItem.score_attempts, func.count())
                                     .group_by(ReviewItem.score_attempts)).all())
    say(f"after reconcile + worker: {final}, items by scoring attempts: {attempts}")
    assert final["items"] == N_ITEMS
    assert attempts.get(2, 0) >= held  # the orphaned batch took a second, successful attempt
