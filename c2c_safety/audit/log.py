"""Recording audit entries: one INSERT in the caller's transaction, no lock, no read.

`record` must be called inside the transaction of the action it records, so that the
action and its entry commit or roll back together. The entry is written *pending*: its
content and MAC (c2c_safety/audit/chain.py) but no place in the log. The sequencer
(c2c_safety/audit/sequencer.py, run by the workers) gives committed entries their sequence
number and hash link in batches and signs a checkpoint after each batch, so writers never
wait for each other or read the chain's head. See docs/audit-log.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from c2c_safety.audit import chain
from c2c_safety.audit.chain import GENESIS as GENESIS
from c2c_safety.audit.verify import VerifyResult as VerifyResult
from c2c_safety.audit.verify import verify as verify
from models import AuditEvent, User, utcnow

_INSERT = insert(cast(Table, AuditEvent.__table__))


def _content(key: bytes, *, at: datetime | None, actor_id: int | None, actor_label: str, action: str,
             target_type: str, target_id: str | int, case_id: int | None,
             details: dict[str, Any] | None) -> dict[str, Any]:
    c = chain.Content(uid=chain.new_uid(), at=at or utcnow(), actor_id=actor_id, actor_label=actor_label,
                      action=action, target_type=target_type, target_id=str(target_id), case_id=case_id,
                      details=chain.normalise(details))
    return {**c.__dict__, "mac": chain.entry_mac(key, c)}


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
) -> None:
    """Add one pending entry in the caller's transaction (the caller commits). One INSERT,
    sent now (after any pending ORM changes), through a Core statement built once."""
    fields = _content(chain.audit_key(), at=at, actor_id=actor.id if actor is not None else None,
                      actor_label=actor_label or (actor.email if actor is not None else "system"),
                      action=action, target_type=target_type, target_id=target_id, case_id=case_id,
                      details=details)
    session.execute(_INSERT, fields)


def record_many(session: Session, entries: list[dict[str, Any]]) -> int:
    """Add many pending entries with one multi-row INSERT (bulk jobs such as the retention
    sweep). Each entry takes `record`'s keyword arguments (action, actor_label, target_type,
    target_id, case_id, details, at); actors are system."""
    if not entries:
        return 0
    key = chain.audit_key()
    rows = [_content(key, at=e.get("at"), actor_id=None, actor_label=e.get("actor_label") or "system",
                     action=e["action"], target_type=e.get("target_type", ""),
                     target_id=e.get("target_id", ""), case_id=e.get("case_id"), details=e.get("details"))
            for e in entries]
    # Core INSERT (not the ORM's bulk path): one multi-row statement per page of rows.
    session.execute(_INSERT, rows)
    return len(rows)
