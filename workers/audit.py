"""The audit sequencer job (c2c_safety/audit/sequencer.py does the work).

Registered in c2c_safety/core/periodic.py as a continuous job on its own `audit` queue,
which a small companion worker serves (`python -m workers` starts it; see __main__.py):
each run holds a Redis lease and sequences a batch every C2C_AUDIT_SEQUENCE_INTERVAL_MS
(500) until its 10-second slot ends, then enqueues the next slot's run. The lease keeps a
second sequencer from even trying while one is active; the database's compare-and-set on
the log's state row is what guarantees that two can never both extend the log.

Stalls are incidents (docs/audit-log.md, "Stalls"). Redis, out of the database's reach,
holds when a pass last started and last completed. When a pass completes more than
chain.STALL_ALARM_SECONDS after the last one that did, and the sequencer was trying all
along (a pass started since, or this one hung on a lock), someone could have removed pending
entries meanwhile: a signed "stalled" incident goes to the witness. A sequencer that simply
was not running (a deploy, a reboot) is not one by itself; the entries that waited carry
their wait in the next checkpoint. Every incident is notified to the admins and the
independent reviewer.
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
from sqlalchemy.orm import Session

from c2c_safety.audit import chain, checkpoints, sequencer
from workers.context import get_app, job_session
from workers.periodic import tracked

log = logging.getLogger(__name__)

LEASE_KEY = "c2c:audit:sequencer:lease"
LEASE_MS = 15_000
TRYING_KEY = "c2c:audit:sequencer:trying"  # when a pass last started (epoch seconds)
DONE_KEY = "c2c:audit:sequencer:done"  # when a pass last completed
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


def _stamp(conn: Redis, key: str, at: float) -> float | None:
    """Set `key` to `at`; its previous value (None without one or without Redis)."""
    try:
        old = conn.getset(key, f"{at:.3f}")
    except (RedisError, OSError):
        return None
    try:
        return float(old) if old is not None else None
    except (TypeError, ValueError):
        return None


def was_stalled(last_done: float | None, last_try: float | None, started: float, done: float) -> bool:
    """True when the sequencer was trying but could not complete a pass for longer than the
    alarm bound: passes kept starting after the last one that completed (errors), or this
    one hung (a lock). A sequencer that was not running at all is not a stall."""
    if last_done is None or done - last_done <= chain.STALL_ALARM_SECONDS:
        return False
    return (last_try is not None and last_try > last_done) or done - started > chain.STALL_ALARM_SECONDS


def notify_incident(s: Session, cp: checkpoints.Checkpoint) -> None:
    """Tell the admins and the independent reviewer (in-app and by e-mail). Never raises:
    the incident is already signed into the witness, whatever the database does now."""
    import hashlib

    from c2c_safety.notifications import kinds
    from c2c_safety.notifications.notices import notify
    from c2c_safety.notifications.triggers import role_holders
    from models import Role

    key = "audit:" + hashlib.sha256(cp.line.encode()).hexdigest()[:24]
    try:
        notify(s, role_holders(s, Role.INDEPENDENT_REVIEWER), kinds.AUDIT_ALARM, link="/review/audit/verify",
               target_at=None, event_key=key)
        notify(s, role_holders(s, Role.ADMIN), kinds.AUDIT_ALARM, link="/admin/jobs", target_at=None,
               event_key=key)
        s.commit()
    except Exception as exc:
        s.rollback()
        log.error("could not notify the audit incident: %s", type(exc).__name__)


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
                started = time.time()
                last_try = _stamp(conn, TRYING_KEY, started)
                try:
                    result = sequencer.sequence_pending(s, trusted=trusted)
                except sequencer.SequencerConflictError:
                    conflicts += 1
                    trusted = None
                except sequencer.LogForkedError as exc:
                    if exc.incident is not None:
                        notify_incident(s, exc.incident)
                    raise
                else:
                    total += result.sequenced
                    trusted = (result.size, result.head)
                    done = time.time()
                    last_done = _stamp(conn, DONE_KEY, done)
                    if was_stalled(last_done, last_try, started, done):
                        _stalled(s, result, last_done or 0.0, done)
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


def _stalled(s: Session, result: sequencer.BatchResult, since: float, done: float) -> None:
    def iso(t: float) -> str:
        return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds")

    cp = sequencer.record_incident(
        s, "stalled", f"no pass completed from {iso(since)} to {iso(done)} ({int(done - since)} s)",
        size=result.size, head=result.head, extra={"from": iso(since), "to": iso(done)})
    if cp is not None:
        notify_incident(s, cp)
