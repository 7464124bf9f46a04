"""Growing delays on failed sign-in steps, per account bucket (no hard lock-out).

A bucket is an account as seen from browsers it does not know, or an account on one browser
that signed in before (see devices.py). After `login_free_failures` failed steps a bucket
waits 1 s, then 2, 4 … up to `login_max_delay_seconds` (15 min) before it may try again;
meanwhile the desk answers 429 with Retry-After at once (no bcrypt, no sleeping worker).
A full sign-in empties the bucket; a bucket idle for a day starts again from zero.

Why not a lock-out: a stranger who fails five times on a colleague's e-mail only slows the
"unknown browsers" bucket; the colleague's own browser has its own bucket and signs in at once.

Buckets exist for unknown e-mails exactly as for real ones, so neither the answers nor the
delays tell who has an account. The bucket row is locked (SELECT … FOR UPDATE; SQLite holds
its write lock for the whole transaction) from the check until the failure is counted, so
parallel guesses cannot all slip through one open window.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models import LoginThrottle, utcnow

# A bucket that has not failed for this long starts again from zero.
IDLE_RESET = timedelta(days=1)


def account_bucket(account_key: str) -> str:
    """The bucket of an account as seen from browsers it has not signed in from."""
    return hashlib.sha256(b"account\x00" + account_key.encode()).hexdigest()


def device_bucket(account_key: str, nonce: str) -> str:
    """The bucket of an account on one browser that signed in before."""
    return hashlib.sha256(b"device\x00" + account_key.encode() + b"\x00" + nonce.encode()).hexdigest()


def delay_after(failures: int) -> int:
    """Seconds a bucket waits after its n-th consecutive failure."""
    cfg = current_app.config["C2C"]
    over = failures - cfg.login_free_failures
    if over <= 0:
        return 0
    return int(min(2 ** min(over - 1, 30), cfg.login_max_delay_seconds))


@dataclass(frozen=True)
class Gate:
    """The outcome of asking a bucket whether it may try now."""

    key: str
    retry_after: int  # 0: go ahead

    @property
    def open(self) -> bool:
        return self.retry_after == 0


def _ensure_row(session: Session, key: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(key=key, failures=0)
                    .on_conflict_do_nothing(index_elements=["key"]))


def _locked_row(session: Session, key: str) -> LoginThrottle:
    # A full sign-in on another request may delete the row while we wait for its lock (clear
    # below); then it is simply made again.
    for _ in range(5):
        _ensure_row(session, key)
        row = session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)
                              .with_for_update().execution_options(populate_existing=True)).first()
        if row is not None:
            return row
    raise RuntimeError("sign-in throttle row keeps vanishing")


def check(session: Session, key: str, now: datetime | None = None) -> Gate:
    """Lock the bucket and say whether it may try now. Call before any expensive check."""
    now = now or utcnow()
    # A blocked bucket answers from a plain read: a flood of refused attempts writes nothing.
    blocked = session.scalar(select(LoginThrottle.blocked_until).where(LoginThrottle.key == key))
    if blocked is not None and blocked > now:
        return Gate(key, max(1, math.ceil((blocked - now).total_seconds())))
    row = _locked_row(session, key)
    if row.blocked_until is not None and row.blocked_until > now:
        return Gate(key, max(1, math.ceil((row.blocked_until - now).total_seconds())))
    return Gate(key, 0)


def fail(session: Session, key: str, now: datetime | None = None) -> int:
    """Count one failed step; returns the seconds the bucket must now wait."""
    now = now or utcnow()
    # Locked by check() earlier in this transaction: a primary-key read, no second upsert.
    row = session.get(LoginThrottle, key) or _locked_row(session, key)
    if row.last_failure_at is not None and now - row.last_failure_at > IDLE_RESET:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    wait = delay_after(row.failures)
    row.blocked_until = now + timedelta(seconds=wait) if wait else None
    session.flush()
    return wait


def clear(session: Session, key: str) -> None:
    """A full sign-in: the bucket starts again from zero. Also drops long-idle buckets (those
    of unknown e-mails never succeed, so this is where they go)."""
    cutoff = utcnow() - IDLE_RESET
    session.execute(delete(LoginThrottle).where(
        (LoginThrottle.key == key)
        | LoginThrottle.last_failure_at.is_(None)  # never failed: nothing to remember
        | ((LoginThrottle.last_failure_at < cutoff)
           & ((LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until < cutoff)))
    ))
