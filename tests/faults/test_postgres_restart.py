"""PostgreSQL stopped and started again in the middle of a burst of ingests.

Runs against a throwaway cluster of its own (initdb in a temp dir, its own port), never the
shared service. While the database is away the API must answer 503 with Retry-After (the
handler for SQLAlchemy's OperationalError), never 500; a platform that resends with the same
Idempotency-Key gets every flag in exactly once, and every item is scored afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bench.servers import PgCluster, create_schema, pg_bin
from tests.faults.conftest import DeskFactory, Say
from tests.faults.helpers import (
    assert_audit_complete,
    assert_exactly_once_and_scored,
    burst_with_fault,
    resend_until_accepted,
    settle,
)

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(pg_bin("initdb") is None, reason="PostgreSQL server binaries (initdb) not installed"),
]

N_FLAGS = 300
OUTAGE_SECONDS = 3.0


@pytest.fixture
def own_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster.create()
    try:
        yield cluster.start()
    finally:
        cluster.remove()


def test_postgres_restart_gives_503_and_loses_nothing(make_desk: DeskFactory, say: Say, own_cluster: PgCluster) -> None:
    url = own_cluster.create_database("c2c")
    create_schema(url)
    desk = make_desk(database_url=url)
    server = desk.gunicorn().start()
    try:
        def restart() -> None:
            own_cluster.stop("fast")  # terminates open sessions: in-flight transactions fail
            time.sleep(OUTAGE_SECONDS)
            own_cluster.start()

        outcome = burst_with_fault(server.base, desk.api_key, [f"pg-{n}" for n in range(N_FLAGS)], restart,
                                   after=N_FLAGS // 4, threads=8, pace=0.25)
        counts = outcome.counts()
        say(f"postgres restart: {counts}, stopped after {outcome.fault_at} replies "
              f"for {OUTAGE_SECONDS:.0f}s")
        assert counts["other"] == 0, (outcome.statuses, desk.log_tail("gunicorn.log"))
        assert counts["unavailable_503"] > 0, "the outage was not seen: no 503 at all"
        assert all(r.retry_after for r in outcome.unavailable), "a 503 without Retry-After"
        accepted_first_time = set(outcome.accepted)

        resends = resend_until_accepted(server.base, desk.api_key, outcome)
        # A duplicate here is a flag committed although its first answer was a 503 (the
        # connection died after COMMIT was sent): the key keeps it from being stored twice.
        say(f"resent {resends} refused flags (same Idempotency-Key): {outcome.counts()}, "
            f"{outcome.duplicates} of them already stored")
        assert outcome.counts()["accepted_202"] == N_FLAGS
    finally:
        server.stop()

    settle(desk)
    final = assert_exactly_once_and_scored(desk, outcome.accepted | accepted_first_time)
    final.update(assert_audit_complete(desk, final["items"]))  # the sequencer ran through it all
    say(f"after reconcile + worker: {final}")
    assert final["items"] == N_FLAGS
