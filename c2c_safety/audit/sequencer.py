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
   would claim a log that never existed). The checkpoint says how long the batch's oldest
   entry waited (`wait`, from the time in its MAC-covered uid): a wait past
   chain.WAIT_ALARM_SECONDS is an alarm `audit verify` reports.

A log that no longer extends its latest signed checkpoint is not signed over: the batch
stops, and a signed *incident* ("forked": the state found, the pending entries seen) goes to
the witness at once and to the database, so that putting the state back afterwards cannot
hide that the sequencer was stalled while pending entries could be deleted.

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
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select, text, update
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
    """The database no longer extends the latest signed checkpoint; nothing is signed.
    `incident` is the signed incident recorded for it (None if the same one already was)."""

    incident: checkpoints.Checkpoint | None = None


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
    if cp is None or cp.size < size:
        # Every batch commits its checkpoint row with the state it moves, so a state ahead of
        # every signed checkpoint means their rows were deleted and the witness emptied or
        # cut: signing on top would vouch for whatever the log holds now.
        if size > 0:
            raise LogForkedError(f"the log has {size} entries but the latest signed checkpoint has "
                                 f"{cp.size if cp is not None else 0}: checkpoints were deleted")
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
        try:
            check_extends(session, old_size, old_head)
        except LogForkedError as exc:
            exc.incident = _forked(session, old_size, old_head, str(exc), now)
            raise
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
    wall, wait = time.time(), 0.0
    for r in rows:
        content = chain.Content(r.uid, r.at, r.actor_id, r.actor_label, r.action, r.target_type, r.target_id,
                                r.case_id, r.details or {})
        if chain.entry_mac(key, content) != r.mac:
            rejected.append(r.id)
            continue
        written = chain.uid_time(r.uid)
        if written is not None:
            wait = max(wait, wall - written)
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
        _write_links(session, links, now)
    if rejected:
        # Kept as evidence, marked so no batch reads them again; `audit verify` reports them.
        session.execute(update(AuditEvent).where(AuditEvent.id.in_(rejected))
                        .values(sequenced_at=now).execution_options(synchronize_session=False))
        log.error("audit sequencer rejected %d pending entries whose MAC does not match", len(rejected))
    cp = None
    if links:
        cp = checkpoints.sign(checkpoints.CHECKPOINT, size, head, now, wait=int(wait))
        checkpoints.store(session, cp, now)
        if wait > chain.WAIT_ALARM_SECONDS:
            log.error("audit sequencer: an entry waited %d s to be sequenced (alarm)", int(wait))
    if before_commit is not None:
        before_commit()
    with checkpoints.witness_writer(checkpoints.witness_path() if cp is not None else None) as append:
        session.commit()
        if cp is not None:
            append(cp)
    return BatchResult(len(links), len(rejected), size, head, cp)


# PostgreSQL: the batch's links in ONE statement (arrays unnested into rows) instead of one
# UPDATE per entry: a 2,000-entry batch was 2,000 statements for the server to parse, plan
# and run, on the cores the web workers need (issue 24). SQLite (tests, demo): executemany.
_PG_LINKS = text(
    "UPDATE audit_events AS e SET seq = v.seq, prev_hash = v.prev, hash = v.hash, sequenced_at = :now "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:seqs AS bigint[]), CAST(:prevs AS varchar[]), "
    "CAST(:hashes AS varchar[])) AS v(id, seq, prev, hash) WHERE e.id = v.id AND e.seq IS NULL")


def _write_links(session: Session, links: list[dict[str, object]], now: datetime) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_PG_LINKS.bindparams(
            bindparam("now", type_=AuditEvent.__table__.c.sequenced_at.type)),
            {"now": now, "ids": [x["b_id"] for x in links], "seqs": [x["b_seq"] for x in links],
             "prevs": [x["b_prev"] for x in links], "hashes": [x["b_hash"] for x in links]})
        return
    session.execute(
        _EVENTS.update().where(_EVENTS.c.id == bindparam("b_id"), _EVENTS.c.seq.is_(None))
        .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash"),
                sequenced_at=now),
        links,
    )


INCIDENT_UIDS = 40  # pending uids named in an incident line (its count covers the rest)


def record_incident(session: Session, reason: str, note: str, *, size: int, head: str,
                    extra: dict[str, object] | None = None, now: datetime | None = None
                    ) -> checkpoints.Checkpoint | None:
    """Sign an incident and write it to the database and the witness, naming the entries
    pending right now. None when the witness's last lines already hold the same incident
    (a sequencer retrying every half second writes it once). Commits."""
    now = now or utcnow()
    uids = list(session.scalars(select(AuditEvent.uid).where(AuditEvent.seq.is_(None),
                                                             AuditEvent.sequenced_at.is_(None))
                                .order_by(AuditEvent.id).limit(INCIDENT_UIDS)))
    body: dict[str, object] = {**(extra or {}), "note": note[:300], "pending": pending_count(session),
                               "uids": uids}
    session.rollback()
    pub = checkpoints.public_key()
    last = checkpoints.latest_witnessed(checkpoints.witness_path(), pub, checkpoints.INCIDENT, max_lines=8).latest
    if last is not None and _same_incident(last, reason, size, head, body):
        return None
    cp = checkpoints.sign(checkpoints.INCIDENT, size, head, now, reason=reason, extra=body)
    checkpoints.store(session, cp, now)
    with checkpoints.witness_writer(checkpoints.witness_path()) as append:
        session.commit()
        append(cp)
    log.error("audit sequencer incident (%s): %s", reason, note)
    return cp


def _same_incident(cp: checkpoints.Checkpoint, reason: str, size: int, head: str, body: dict[str, object]) -> bool:
    seen = cp.public()
    return (cp.reason, cp.size, cp.head) == (reason, size, head) and all(
        seen.get(k) == body[k] for k in ("note", "pending", "uids"))


def _forked(session: Session, size: int, head: str, note: str, now: datetime) -> checkpoints.Checkpoint | None:
    cp = latest_signed(session)
    return record_incident(session, "forked", note, size=size, head=head, now=now,
                           extra={"signed": cp.size if cp is not None else 0})


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
