"""The audit sequencer job (c2c_safety/audit/sequencer.py does the work).

Registered in c2c_safety/core/periodic.py as a continuous job on its own `audit` queue,
which a small companion worker serves (`python -m workers` starts it; see __main__.py):
each run holds a Redis lease and sequences a batch every C2C_AUDIT_SEQUENCE_INTERVAL_MS
(500) until its 10-second slot ends, then enqueues the next slot's run. The lease keeps a
second sequencer from even trying while one is active; the database's compare-and-set on
the log's state row is what guarantees that two can never both extend the log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
from datetime import UTC, datetime

from redis import Redis
from redis.exceptions import RedisError

from c2c_safety.audit import sequencer
from workers.context import get_app, job_session
from workers.periodic import tracked

log = logging.getLogger(__name__)

LEASE_KEY = "c2c:audit:sequencer:lease"
LEASE_MS = 15_000
# Delete/extend the lease only if it is still ours (another sequencer may hold it by now).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
          "else return 0 end")


def interval_seconds() -> float:
    try:
        return max(0.05, int(os.environ.get("C2C_AUDIT_SEQUENCE_INTERVAL_MS", "") or 500) / 1000)
    except ValueError:
        return 0.5


def _acquire(conn: Redis, token: str, until: float) -> bool:
    while True:
        if conn.set(LEASE_KEY, token, nx=True, px=LEASE_MS):
            return True
        if time.time() >= until:
            return False
        time.sleep(0.2)


def _renew(conn: Redis, token: str) -> bool:
    try:
        return bool(conn.eval(_RENEW, 1, LEASE_KEY, token, LEASE_MS))
    except (RedisError, OSError):
        # Without Redis the lease cannot be checked; the state row's compare-and-set still
        # keeps two sequencers from both extending the log, so keep going.
        return True


@tracked("audit-sequencer")
def sequence(until: datetime | None = None) -> dict[str, int]:
    """Sequence pending entries every interval until `until` (default: one pass)."""
    from c2c_safety.core.redis_conn import get_redis

    end = until.timestamp() if until is not None else time.time()
    conn = get_redis(get_app())
    token = uuid.uuid4().hex
    if not _acquire(conn, token, end):
        return {"sequenced": 0, "passes": 0, "lease_busy": 1}
    total = passes = conflicts = 0
    trusted: tuple[int, str] | None = None
    try:
        with job_session() as s:
            while True:
                if not _renew(conn, token):
                    log.warning("audit sequencer lost its lease; stopping")
                    break
                try:
                    result = sequencer.sequence_pending(s, trusted=trusted)
                except sequencer.SequencerConflictError:
                    conflicts += 1
                    trusted = None
                else:
                    total += result.sequenced
                    trusted = (result.size, result.head)
                passes += 1
                if time.time() >= end:
                    break
                time.sleep(min(interval_seconds(), max(0.0, end - time.time())))
    except sequencer.LogForkedError as exc:
        log.error("audit sequencer stopped: %s", exc)
        raise
    finally:
        with contextlib.suppress(RedisError, OSError):  # else it expires on its own
            conn.eval(_RELEASE, 1, LEASE_KEY, token)
    if total:
        log.info("audit sequencer: %d entries in %d passes (until %s)", total, passes,
                 datetime.fromtimestamp(end, UTC).isoformat(timespec="seconds"))
    return {"sequenced": total, "passes": passes, "conflicts": conflicts}
