"""Removing old entries from the front of the log without making it unverifiable.

Retention (c2c_safety/retention/sweep.py) decides which prefix is due; this module deletes
it and leaves a *signed* prune record (kind `pruned` in audit_checkpoints, and a line in the
witness): "entries `first`..`through` were removed for `reason`; the last one's hash was
`head`". `audit verify` then accepts a log that starts at `through + 1` only if its first
entry chains from that signed hash, so a database administrator can neither delete more
than was pruned nor forge an anchor (they do not hold the signing key). The prune itself is
also an entry of the log (`audit.pruned`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from c2c_safety.audit import checkpoints
from c2c_safety.audit import log as audit
from c2c_safety.audit.checkpoints import Checkpoint
from models import AuditEvent, utcnow


def prune_through(session: Session, through: int, *, reason: str,
                  now: datetime | None = None) -> tuple[int, Checkpoint | None]:
    """Delete the sequenced entries up to `through` (the caller commits, then appends the
    returned record to the witness with `checkpoints.append_witness`). (0, None) when the
    range is already gone (an earlier, interrupted run pruned it)."""
    now = now or utcnow()
    head = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == through))
    if head is None:
        return 0, None
    first = session.scalar(select(func.min(AuditEvent.seq))) or through
    done = session.execute(delete(AuditEvent).where(AuditEvent.seq <= through)
                           .execution_options(synchronize_session=False))
    cp = checkpoints.sign(checkpoints.PRUNED, through, head, now, first=first, reason=reason)
    checkpoints.store(session, cp, now)
    audit.record(session, "audit.pruned", actor_label="system", target_type="audit_log",
                 details={"from_seq": first, "through_seq": through, "last_pruned_hash": head, "reason": reason})
    return int(getattr(done, "rowcount", 0) or 0), cp
