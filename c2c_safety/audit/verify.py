"""`audit verify`: check the database's log against its signed checkpoints.

It walks every sequenced entry in order (streaming: memory stays flat at any size) and
recomputes each MAC and hash link, then compares the log with
- the largest checkpoint in the witness file (which the database administrator cannot
  rewrite): a log shorter than it, or with a different entry at its size, was cut short;
- the largest well-signed checkpoint in the database;
- optionally a checkpoint the independent reviewer kept (`--checkpoint FILE`).
The log may start after 1 only where a signed prune record says retention removed the
entries before it, and its first entry must chain from that record's hash.

Beyond the chain, nothing a database administrator can do without the keys may leave it
green: a missing or emptied witness, witness lines that go backwards (a replayed older
line) or do not verify, a log with entries and no checkpoint anywhere, every signed
incident (the sequencer found the log forked or could not run), any batch whose entries
waited past the alarm bound, and pending entries waiting past it now. Pending entries are
checked against their MACs too.

It reports every problem it finds (up to MAX_PROBLEMS), not only the first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from c2c_safety.audit import chain, checkpoints, witness
from c2c_safety.audit.chain import GENESIS
from c2c_safety.audit.checkpoints import Checkpoint
from models import AuditCheckpoint, AuditEvent, AuditLogState

MAX_PROBLEMS = 20
MAX_INCIDENT_UIDS = 200  # an incident names at most 40 pending uids; never look up more
STREAM_ROWS = 5000
_COLS = (AuditEvent.seq, AuditEvent.uid, AuditEvent.at, AuditEvent.actor_id, AuditEvent.actor_label,
         AuditEvent.action, AuditEvent.target_type, AuditEvent.target_id, AuditEvent.case_id,
         AuditEvent.details, AuditEvent.mac, AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.id)


@dataclass(frozen=True)
class Problem:
    seq: int | None
    text: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int  # sequenced entries whose MAC and link were recomputed
    first_bad_seq: int | None = None
    problem: str = ""  # the first problem, in words
    problems: tuple[Problem, ...] = ()
    size: int = 0  # the last sequence number in the database
    starts_after: int = 0  # entries before this were pruned under a signed record
    pending: int = 0
    compared: tuple[str, ...] = ()  # the checkpoints the log was compared with
    incidents: int = 0  # signed incidents: the sequencer found the log forked or could not run
    witness_lines: int = 0


@dataclass
class _Walk:
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS

    def add(self, seq: int | None, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(seq, text))

    @property
    def full(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS


def _stream(session: Session, where: Any, order: Any) -> Iterator[Row[Any]]:
    stmt = select(*_COLS).where(where).order_by(order)
    result = session.execute(stmt, execution_options={"yield_per": STREAM_ROWS})
    try:
        yield from result
    finally:
        result.close()  # verify may stop early; close the server-side cursor


def _mac_ok(key: bytes, r: Row[Any]) -> bool:
    content = chain.Content(r.uid, r.at, r.actor_id, r.actor_label, r.action, r.target_type, r.target_id,
                            r.case_id, r.details or {})
    return bool(chain.entry_mac(key, content) == r.mac)


def _anchor(first_seq: int | None, prunes: list[Checkpoint], witnessed: list[Checkpoint],
            w: _Walk) -> tuple[int, str]:
    """Where the kept log starts: (entries pruned before it, the hash it chains from)."""
    if first_seq is None:
        latest = max(prunes + witnessed, key=lambda p: p.size, default=None)
        return (latest.size, latest.head) if latest else (0, GENESIS)
    if first_seq == 1:
        return 0, GENESIS
    want = first_seq - 1
    for p in prunes + witnessed:
        if p.size == want:
            return p.size, p.head
    w.add(first_seq, f"entries 1-{want} are missing and no signed prune record covers them "
                     "(deleted, or a forged prune anchor)")
    return want, ""


def _check_witness(wr: witness.WitnessReport, w: _Walk, *, sequenced: bool,
                   stored_rows: int) -> None:
    """What the witness file says on its own: missing or emptied, lines that do not verify,
    replayed lines, incidents, and batches that waited past the alarm bound."""
    path = checkpoints.witness_path()
    if not wr.exists and (sequenced or stored_rows):
        w.add(None, f"the witness file {path} is missing: the log's length cannot be checked "
                    "(C2C_AUDIT_WITNESS; deleted?)")
    elif wr.exists and wr.largest is None and sequenced:
        w.add(None, f"the witness file {path} holds no signed checkpoint although the log has entries "
                    "(emptied or replaced)")
    if wr.bad_count:
        w.add(None, f"{wr.bad_count} line(s) of the witness do not verify (forged, altered or torn), "
                    f"e.g. line {', '.join(map(str, wr.bad[:5]))}")
    for n, size, before in wr.shrinking:
        w.add(None, f"witness line {n} signs size {size} after a line that signed {before}: "
                    "an older line was replayed or lines were reordered")
    if wr.unstored_count:
        w.add(None, f"{wr.unstored_count} witnessed checkpoint(s) no longer have their row in the database "
                    f"(checkpoint rows deleted), e.g. witness line {', '.join(map(str, wr.unstored[:5]))}")
    if wr.shrinking_count > len(wr.shrinking):
        w.add(None, f"{wr.shrinking_count - len(wr.shrinking)} more witness line(s) go backwards")
    for n, cp in wr.long_waits:
        w.add(None, f"ALARM: an entry waited {cp.wait} s to be sequenced (checkpoint {cp.size}, {cp.at}, "
                    f"witness line {n}): entries removed while pending in that window leave no trace")
    if wr.long_wait_count > len(wr.long_waits):
        w.add(None, f"ALARM: {wr.long_wait_count - len(wr.long_waits)} more batches waited too long")


def _check_incidents(session: Session, wr: witness.WitnessReport, pub: Any, w: _Walk) -> int:
    """Every signed incident, from the witness and from the database (the same line once).
    Names the entries that were pending at the incident and are gone now."""
    seen: dict[str, Checkpoint] = {cp.line: cp for _n, cp in wr.incidents}
    for body in session.scalars(select(AuditCheckpoint.body).where(AuditCheckpoint.kind == checkpoints.INCIDENT)
                                .order_by(AuditCheckpoint.id).limit(witness.KEEP)):
        try:
            cp = checkpoints.parse(body, pub)
        except checkpoints.CheckpointError:
            continue  # counted with the forged rows
        seen.setdefault(cp.line, cp)
    for cp in sorted(seen.values(), key=lambda c: c.at):
        fields = cp.public()
        uids = [u for u in fields.get("uids", []) if isinstance(u, str)][:MAX_INCIDENT_UIDS]
        found = set(session.scalars(select(AuditEvent.uid).where(AuditEvent.uid.in_(uids)))) if uids else set()
        gone = len(uids) - len(found)
        what = ("the sequencer found the log forked and refused to sign" if cp.reason == "forked"
                else "the sequencer could not run")
        w.add(None, f"INCIDENT {cp.at}: {what} ({str(fields.get('note', ''))[:200]}); "
                    f"{fields.get('pending', '?')} entries were pending, which could be removed unseen"
                    + (f"; {gone} of those it named are gone now" if gone else ""))
    return max(len(seen), wr.incident_count)


def verify(session: Session, *, kept: Checkpoint | None = None, now: float | None = None) -> VerifyResult:
    key = chain.audit_key()
    pub = checkpoints.public_key()
    w = _Walk()
    rows = session.execute(select(AuditCheckpoint.size, AuditCheckpoint.body)
                           .where(AuditCheckpoint.kind == checkpoints.CHECKPOINT)
                           .order_by(AuditCheckpoint.size), execution_options={"yield_per": STREAM_ROWS})
    try:
        wr = witness.read(checkpoints.witness_path(), pub, ((r.size, r.body) for r in rows))
    finally:
        rows.close()
    stored, forged = checkpoints.latest_stored(session, pub)
    prunes, forged_prunes = checkpoints.stored_prunes(session, pub)
    if forged:
        w.add(None, f"{forged} checkpoint row(s) in the database do not carry a valid signature (forged)")
    if forged_prunes:
        w.add(None, f"{forged_prunes} prune record(s) in the database do not carry a valid signature "
                    "(forged prune anchor)")
    stored_rows = session.scalar(select(func.count()).select_from(AuditCheckpoint)) or 0
    first_seq = session.scalar(select(func.min(AuditEvent.seq)))
    _check_witness(wr, w, sequenced=first_seq is not None, stored_rows=stored_rows)
    incidents = _check_incidents(session, wr, pub, w)

    targets: list[tuple[str, Checkpoint]] = []
    for label, cp in (("witnessed", wr.largest), ("stored", stored), ("kept", kept)):
        if cp is not None:
            targets.append((f"{label} checkpoint {cp.size} ({cp.at})", cp))
    if wr.largest is not None and stored is not None and stored.size > wr.largest.size:
        w.add(None, f"the witness ends at checkpoint {wr.largest.size} but the database holds a signed "
                    f"checkpoint {stored.size}: witness lines were removed (or the sequencer died between "
                    "its commit and its append; then the next batch clears this)")
    if first_seq is not None and not targets:
        w.add(None, "the log has entries but no signed checkpoint exists anywhere (witness and "
                    "checkpoint rows emptied?): its length cannot be vouched for")
    by_size: dict[int, list[tuple[str, Checkpoint]]] = {}
    for label, cp in targets:
        by_size.setdefault(cp.size, []).append((label, cp))

    starts_after, anchor_hash = _anchor(first_seq, prunes, wr.prunes, w)
    w.last_seq, w.last_hash = starts_after, anchor_hash
    for r in _stream(session, AuditEvent.seq.is_not(None), AuditEvent.seq):
        if w.full:
            break
        w.checked += 1
        if r.seq != w.last_seq + 1:
            w.add(r.seq, f"entries {w.last_seq + 1}-{r.seq - 1} are missing (deleted)")
        elif anchor_hash != "" and r.prev_hash != w.last_hash:
            w.add(r.seq, "does not link to the previous entry (an entry was removed, inserted or reordered)")
        if not _mac_ok(key, r):
            w.add(r.seq, "content does not match its MAC (edited, or written without the audit key)")
        if r.hash != chain.link(key, r.seq, r.prev_hash or "", r.mac):
            w.add(r.seq, "hash link does not match (sequence numbers or links rewritten)")
        for label, cp in by_size.get(r.seq, ()):
            if r.hash != cp.head:
                w.add(r.seq, f"differs from the {label}")
        w.last_seq, w.last_hash, anchor_hash = r.seq, r.hash or "", r.hash or ""

    compared: list[str] = []
    for label, cp in targets:
        compared.append(label)
        if cp.size > w.last_seq and not w.full:
            w.add(w.last_seq + 1, f"the log ends at {w.last_seq} but the {label} has {cp.size} entries: "
                                  f"{cp.size - w.last_seq} missing at the end (truncated)")
    st = session.get(AuditLogState, 1)
    if st is not None and not w.full and (st.size, st.head) != (w.last_seq, w.last_hash) and w.checked:
        w.add(None, f"the sequencer's state ({st.size}) disagrees with the log's last entry ({w.last_seq})")

    pending = stale = 0
    oldest: float | None = None
    wall = time.time() if now is None else now
    for r in _stream(session, AuditEvent.seq.is_(None), AuditEvent.id):
        pending += 1
        if not _mac_ok(key, r):
            w.add(None, f"unsequenced entry #{r.id} does not match its MAC (written without the audit key; "
                        "the sequencer refuses it)")
            continue
        written = chain.uid_time(r.uid)
        if written is not None and wall - written > chain.WAIT_ALARM_SECONDS:
            stale += 1
            oldest = written if oldest is None else min(oldest, written)
    if stale and oldest is not None:
        w.add(None, f"ALARM: {stale} entries have waited more than {chain.WAIT_ALARM_SECONDS} s to be "
                    f"sequenced (the oldest {int(wall - oldest)} s): the sequencer is stopped or stalled, "
                    "and pending entries can be removed unseen")
    first = w.problems[0] if w.problems else None
    return VerifyResult(ok=not w.problems, checked=w.checked, first_bad_seq=first.seq if first else None,
                        problem=first.text if first else "", problems=tuple(w.problems), size=w.last_seq,
                        starts_after=starts_after, pending=pending, compared=tuple(compared),
                        incidents=incidents, witness_lines=wr.lines)


def describe(result: VerifyResult) -> list[str]:
    """The verdict in words, one line each (the CLI and the reviewer's page)."""
    lines = [f"{result.checked} sequenced entries checked (log size {result.size}"
             + (f", entries 1-{result.starts_after} pruned under a signed record" if result.starts_after else "")
             + f"), {result.pending} waiting to be sequenced"]
    lines += [f"compared with the {c}" for c in result.compared] or ["no signed checkpoint to compare with yet"]
    lines += [f"PROBLEM{f' at seq {p.seq}' if p.seq is not None else ''}: {p.text}" for p in result.problems]
    return lines
