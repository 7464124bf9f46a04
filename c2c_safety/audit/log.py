"""The tamper-evident audit trail.

Each row's `hash` is HMAC-SHA256 over its own fields and the previous row's hash, under a
key that is not in the database (C2C_AUDIT_KEY, else derived from the secret key). Someone
with write access to the database alone can therefore not alter, insert or delete a row
without `audit verify` naming the first place the chain breaks.

`record` must be called inside the transaction of the action it records, so that the
action and its audit row commit or roll back together.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask import current_app
from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from models import AuditAnchor, AuditEvent, User, utcnow

GENESIS = "0" * 64
# Any constant works; it only has to be the same in every process that appends.
_PG_LOCK_KEY = 0x0C2C_A0D1


def _key() -> bytes:
    cfg = current_app.config["C2C"]
    if cfg.audit_key:
        return bytes(cfg.audit_key, "utf-8")
    return hashlib.sha256(b"c2c-audit-chain\x00" + cfg.secret_key.encode()).digest()


@dataclass(frozen=True)
class _Entry:
    """The hashed fields of an entry, without an ORM object (record_many builds thousands)."""

    seq: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    case_id: int | None
    details: dict[str, Any]
    prev_hash: str


def _canonical(ev: AuditEvent | _Entry) -> bytes:
    payload = [
        ev.seq,
        ev.at.isoformat(timespec="microseconds"),
        ev.actor_id,
        ev.actor_label,
        ev.action,
        ev.target_type,
        ev.target_id,
        ev.case_id,
        ev.details,
        ev.prev_hash,
    ]
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def compute_hash(ev: AuditEvent | _Entry, key: bytes | None = None) -> str:
    return hmac.new(key or _key(), _canonical(ev), hashlib.sha256).hexdigest()


def _lock_chain(session: Session) -> None:
    # SQLite already holds the write lock (BEGIN IMMEDIATE, see core/db.py). PostgreSQL needs a
    # transaction-scoped advisory lock so two appenders cannot both extend the same head.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_label: str | None = None,
    target_type: str = "",
    target_id: str | int = "",
    case_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one entry in the caller's transaction (the caller commits)."""
    _lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    ev = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        at=at or utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (actor.email if actor is not None else "system"),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        case_id=case_id,
        details=details or {},
        prev_hash=last.hash if last else GENESIS,
    )
    ev.hash = compute_hash(ev)
    session.add(ev)
    session.flush()
    return ev


def record_many(session: Session, entries: list[dict[str, Any]]) -> int:
    """Append many entries in one go (bulk jobs such as the retention sweep): one lock, one
    read of the head, one multi-row INSERT. Each entry takes `record`'s keyword arguments
    (action, actor_label, target_type, target_id, case_id, details, at); actors are system."""
    if not entries:
        return 0
    _lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    key = _key()
    rows: list[dict[str, Any]] = []
    for entry in entries:
        seq += 1
        ev = _Entry(seq=seq, at=entry.get("at") or utcnow(), actor_id=None,
                    actor_label=entry.get("actor_label") or "system", action=entry["action"],
                    target_type=entry.get("target_type", ""), target_id=str(entry.get("target_id", "")),
                    case_id=entry.get("case_id"), details=entry.get("details") or {}, prev_hash=prev)
        prev = compute_hash(ev, key)
        rows.append({**ev.__dict__, "hash": prev})
    # Core INSERT (not the ORM's bulk path): one multi-row statement per page of rows.
    session.execute(insert(cast(Table, AuditEvent.__table__)), rows)
    return len(rows)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def _walk(session: Session) -> Generator[AuditEvent, None, None]:
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    rows = session.scalars(stmt)
    try:
        yield from rows
    finally:
        rows.close()  # verify may stop early; close the server-side cursor


def verify(session: Session) -> VerifyResult:
    """Recompute the chain; report the first altered, inserted or deleted row."""
    key = _key()
    walk = _walk(session)
    try:
        return _check_chain(session, walk, key)
    finally:
        walk.close()


def _check_chain(session: Session, walk: Iterator[AuditEvent], key: bytes) -> VerifyResult:
    prev_hash: str | None = None
    prev_seq: int | None = None
    checked = 0
    for ev in walk:
        checked += 1
        if compute_hash(ev, key) != ev.hash:
            return VerifyResult(False, checked, ev.seq, "row content does not match its hash (altered or forged)")
        if prev_seq is None:
            # The oldest kept row starts at genesis, or where retention pruning left off.
            anchor = _anchor(session)
            if anchor is None and (ev.seq != 1 or ev.prev_hash != GENESIS):
                return VerifyResult(False, checked, ev.seq, "rows before this one are missing (deleted)")
            if anchor is not None and ev.prev_hash != anchor:
                return VerifyResult(False, checked, ev.seq, "first kept row does not continue the pruning anchor")
        else:
            if ev.seq != prev_seq + 1:
                return VerifyResult(False, checked, ev.seq,
                                    f"sequence jumps from {prev_seq} to {ev.seq} (row deleted or inserted)")
            if ev.prev_hash != prev_hash:
                return VerifyResult(False, checked, ev.seq,
                                    "does not chain to the previous row (row deleted, inserted or replaced)")
        prev_hash, prev_seq = ev.hash, ev.seq
    return VerifyResult(True, checked)


def _anchor(session: Session) -> str | None:
    """Hash of the last pruned row, if retention has pruned the head of the log.

    Retention stores it as a `system.audit_anchor` marker; see retention.sweep.
    """
    row = session.scalars(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1)).first()
    return row.last_pruned_hash if row else None
