"""The sequencer: gives committed pending entries their place in the log, in batches.

One batch, in one transaction:
1. read the log's state (size, head) from its single row, locking it;
2. refuse to go on if the log no longer extends the latest signed checkpoint (rows were
   removed or the state row was rewired): signing over that would legitimise a truncation;
3. read up to `limit` pending entries, check each one's MAC (an entry written without the
   audit key is rejected: marked, never given a place), number and link the others;
4. move the state row with a compare-and-set (`WHERE size = <read> AND head = <read>`): if
   another sequencer moved it first this batch rolls back and nothing is written twice;
5. write the entries' seq/prev_hash/hash and a signed checkpoint; commit;
6. only then append the checkpoint to the witness file (a line for an uncommitted batch
   would claim a log that never existed).

Pending entries are chosen by state (`seq IS NULL`), not by an id watermark, so an entry
whose transaction commits after entries with higher ids were sequenced is simply picked up
by the next batch: nothing is skipped, whatever the commit order. A batch killed at any
point before its commit leaves no trace (the transaction rolls back); killed after it, the
next batch finds the work done.

Only one sequencer runs at a time (workers/audit.py holds a Redis lease); the
compare-and-set is the database-side guarantee if two ever overlap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from c2c_safety.audit import chain, checkpoints
from c2c_safety.audit.chain import GENESIS
from models import AuditEvent, AuditLogState, utcnow

log = logging.getLogger(__name__)

BATCH_LIMIT = 2000
STATE_ID = 1
_EVENTS = cast(Table, AuditEvent.__table__)


class SequencerConflictError(RuntimeError):
    """Another sequencer extended the log first; this batch rolled back."""


class LogForkedError(RuntimeError):
    """The database no longer extends the latest signed checkpoint; nothing is signed."""


@dataclass(frozen=True)
class BatchResult:
    sequenced: int
    rejected: int
    size: int
    head: str
    checkpoint: checkpoints.Checkpoint | None = None


def state(session: Session) -> AuditLogState:
    """The state row, locked for this transaction (PostgreSQL): a second sequencer waits here
    instead of reading a state that is about to change, and the witness read afterwards can
    only lag the state, never be ahead of it."""
    row = session.get(AuditLogState, STATE_ID, populate_existing=True, with_for_update=True)
    if row is None:
        # Two first-ever sequencers may both get here: the loser's insert does nothing.
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(AuditLogState).values(id=STATE_ID, size=0, head=GENESIS, updated_at=utcnow())
                        .on_conflict_do_nothing())
        row = session.get(AuditLogState, STATE_ID, populate_existing=True, with_for_update=True)
        assert row is not None
    return row


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.seq.is_(None), AuditEvent.sequenced_at.is_(None))) or 0


def latest_signed(session: Session) -> checkpoints.Checkpoint | None:
    """The newest checkpoint we can trust: the witness's or the database's, whichever is
    longer (either may lag: the witness after a crash, the database after a deletion)."""
    pub = checkpoints.public_key()
    witnessed = checkpoints.latest_witnessed(checkpoints.witness_path(), pub).latest
    stored, _ = checkpoints.latest_stored(session, pub)
    found = [c for c in (witnessed, stored) if c is not None]
    return max(found, key=lambda c: c.size) if found else None


def check_extends(session: Session, size: int, head: str) -> None:
    """Raise LogForkedError unless the log (size, head) extends the latest signed checkpoint."""
    cp = latest_signed(session)
    if cp is None or cp.size == 0:
        return
    if size < cp.size:
        raise LogForkedError(f"the log has {size} entries but checkpoint {cp.size} was signed: "
                             "entries were removed; run `flask audit verify`")
    if size == cp.size:
        if head != cp.head:
            raise LogForkedError(f"the log's head at {size} is not the signed one")
        return
    at_cp = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == cp.size))
    if at_cp is None:
        prunes, _ = checkpoints.stored_prunes(session, checkpoints.public_key())
        if any(p.size >= cp.size for p in prunes):
            return  # that entry was pruned under a signed record; later links still verify
        raise LogForkedError(f"entry {cp.size} of the signed checkpoint is missing")
    if at_cp != cp.head:
        raise LogForkedError(f"entry {cp.size} no longer has the hash signed in its checkpoint")


def sequence_batch(session: Session, *, limit: int = BATCH_LIMIT, now: datetime | None = None,
                   trusted: tuple[int, str] | None = None,
                   before_commit: Callable[[], None] | None = None) -> BatchResult:
    """Sequence up to `limit` pending entries and sign a checkpoint. Commits.

    `trusted` is the (size, head) this process signed last: when the state row still says
    exactly that, the fork check is skipped (it was done when that checkpoint was signed).
    `before_commit` is called just before the commit (tests kill the process there)."""
    now = now or utcnow()
    key = chain.audit_key()
    st = state(session)
    old_size, old_head = st.size, st.head
    if trusted != (old_size, old_head):
        check_extends(session, old_size, old_head)
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.uid, AuditEvent.at, AuditEvent.actor_id, AuditEvent.actor_label,
               AuditEvent.action, AuditEvent.target_type, AuditEvent.target_id, AuditEvent.case_id,
               AuditEvent.details, AuditEvent.mac)
        .where(AuditEvent.seq.is_(None), AuditEvent.sequenced_at.is_(None))
        .order_by(AuditEvent.id).limit(limit)
    ).all()
    if not rows:
        session.commit()  # keeps a state row made just now; releases its lock
        return BatchResult(0, 0, old_size, old_head)
    size, head = old_size, old_head
    links: list[dict[str, object]] = []
    rejected: list[int] = []
    for r in rows:
        content = chain.Content(r.uid, r.at, r.actor_id, r.actor_label, r.action, r.target_type, r.target_id,
                                r.case_id, r.details or {})
        if chain.entry_mac(key, content) != r.mac:
            rejected.append(r.id)
            continue
        size += 1
        digest = chain.link(key, size, head, r.mac)
        links.append({"b_id": r.id, "b_seq": size, "b_prev": head, "b_hash": digest})
        head = digest
    moved = session.execute(
        update(AuditLogState)
        .where(AuditLogState.id == STATE_ID, AuditLogState.size == old_size, AuditLogState.head == old_head)
        .values(size=size, head=head, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        session.rollback()
        raise SequencerConflictError("another sequencer extended the log first")
    if links:
        session.execute(
            _EVENTS.update().where(_EVENTS.c.id == bindparam("b_id"), _EVENTS.c.seq.is_(None))
            .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash"),
                    sequenced_at=now),
            links,
        )
    if rejected:
        # Kept as evidence, marked so no batch reads them again; `audit verify` reports them.
        session.execute(update(AuditEvent).where(AuditEvent.id.in_(rejected))
                        .values(sequenced_at=now).execution_options(synchronize_session=False))
        log.error("audit sequencer rejected %d pending entries whose MAC does not match", len(rejected))
    cp = None
    if links:
        cp = checkpoints.sign(checkpoints.CHECKPOINT, size, head, now)
        checkpoints.store(session, cp, now)
    if before_commit is not None:
        before_commit()
    session.commit()
    if cp is not None:
        checkpoints.append_witness(checkpoints.witness_path(), cp)
    return BatchResult(len(links), len(rejected), size, head, cp)


def sequence_pending(session: Session, *, limit: int = BATCH_LIMIT, max_batches: int = 1_000_000,
                     trusted: tuple[int, str] | None = None) -> BatchResult:
    """Batches until nothing is pending (or `max_batches`); the totals and the final state."""
    total = rejected = 0
    result = BatchResult(0, 0, 0, GENESIS)
    for _ in range(max_batches):
        result = sequence_batch(session, limit=limit, trusted=trusted)
        total += result.sequenced
        rejected += result.rejected
        trusted = (result.size, result.head) if result.checkpoint is not None else trusted
        if result.sequenced + result.rejected < limit:
            break
    return BatchResult(total, rejected, result.size, result.head, result.checkpoint)
