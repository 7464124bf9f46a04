"""Redis killed (SIGKILL, no persistence) in the middle of 1,000 ingests, then restarted.

Ingest commits first and enqueues after, so losing Redis may lose jobs but never flags: the
platform gets 202 (or a clear 503 + Retry-After), and the reconciler finds what was committed
but never scored.
"""

from __future__ import annotations

import time

import pytest
from redis import Redis

from tests.faults.conftest import DeskFactory, Say
from tests.faults.helpers import assert_audit_complete, assert_exactly_once_and_scored, burst_with_fault, settle

pytestmark = pytest.mark.faults

N_FLAGS = 1000


def test_redis_killed_mid_burst_loses_no_flag(make_desk: DeskFactory, say: Say) -> None:
    desk = make_desk()
    server = desk.gunicorn().start()
    try:
        def kill_and_restart() -> None:
            desk.redis.kill()
            time.sleep(1.0)  # a moment without Redis: ingests meanwhile cannot enqueue
            desk.redis.start()

        started = time.monotonic()
        outcome = burst_with_fault(server.base, desk.api_key, [f"redis-{n}" for n in range(N_FLAGS)],
                                   kill_and_restart, after=N_FLAGS // 3)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    counts = outcome.counts()
    failed_enqueues = desk.log_tail("gunicorn.log", 10_000_000).count("left for the reconciler")
    queued = Redis.from_url(desk.redis.url).llen("rq:queue:default")
    say(f"redis fault: {counts} in {elapsed:.1f}s; Redis SIGKILLed after {outcome.fault_at} replies and "
        f"restarted empty 1 s later; {failed_enqueues} enqueues failed while it was down; "
        f"{queued} of {counts['accepted_202']} scoring jobs left in the queue (the rest were lost)")
    assert counts["other"] == 0, (outcome.statuses, desk.log_tail("gunicorn.log"))
    assert all(r.retry_after for r in outcome.unavailable), "a 503 without Retry-After"
    assert counts["accepted_202"] > 0
    assert failed_enqueues > 0, "no request met the outage: the fault was not injected mid-burst"

    settle(desk)
    final = assert_exactly_once_and_scored(desk, outcome.accepted)
    final.update(assert_audit_complete(desk, final["items"]))  # the sequencer ran through it all
    say(f"after reconcile + worker: {final}")
    # Nothing the platform did not get a 202 for may exist twice either.
    assert final["items"] <= N_FLAGS
