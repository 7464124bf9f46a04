"""Signed checkpoints of the log, and the witness file they are appended to.

A checkpoint is one JSON line: what the log looked like after a sequencer batch (`size`
entries, the last one's hash `head`), or which prefix retention pruned (kind `pruned`),
signed with Ed25519 (C2C_AUDIT_SIGNING_KEY). The line is stored in the database *and*
appended to the witness file (C2C_AUDIT_WITNESS), which a database administrator cannot
rewrite. `audit verify` trusts a line only if its signature checks out, so a row forged in
`audit_checkpoints` is caught, and the witness keeps the log's length even if every row
of the database is deleted.

Anyone holding the public key (`flask audit public-key`, or the reviewer's checkpoint
download) can check a line's signature with any Ed25519 implementation: the signed message
is the line without its "sig" field, as compact JSON with sorted keys.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditCheckpoint

LOG_NAME = "c2c-safety-audit"
CHECKPOINT = "checkpoint"
PRUNED = "pruned"
# The sequencer could not vouch for the log for a while: it found the log forked (rows
# removed or its state rewritten) or it could not run for longer than the alarm bound.
# Signed and appended to the witness the moment it is seen, so restoring the database
# afterwards cannot make `audit verify` green again (docs/audit-log.md, "Stalls").
INCIDENT = "incident"
KINDS = (CHECKPOINT, PRUNED, INCIDENT)
MAX_LINE = 4096  # a checkpoint line is ~300 bytes; anything longer is not one of ours


class CheckpointError(ValueError):
    """A line is not a valid checkpoint (malformed or wrongly signed); safe to show."""


@dataclass(frozen=True)
class Checkpoint:
    kind: str
    size: int
    head: str
    at: str
    line: str  # the signed line, exactly as written
    first: int | None = None  # pruned: the first removed seq
    reason: str = ""
    wait: int = 0  # checkpoint: the longest any entry of its batch waited to be sequenced (s)

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self.line)
        return out


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def private_key(app: Flask | None = None) -> Ed25519PrivateKey:
    raw = (app or current_app).config["C2C"].audit_signing_key
    try:
        seed = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise CheckpointError("C2C_AUDIT_SIGNING_KEY must be 32 bytes, base64-encoded")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key(app: Flask | None = None) -> Ed25519PublicKey:
    return private_key(app).public_key()


def public_key_b64(app: Flask | None = None) -> str:
    raw = public_key(app).public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id(pub: Ed25519PublicKey) -> str:
    return hashlib.sha256(pub.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def sign(kind: str, size: int, head: str, at: datetime, *, first: int | None = None, reason: str = "",
         wait: int | None = None, extra: dict[str, Any] | None = None,
         app: Flask | None = None) -> Checkpoint:
    key = private_key(app)
    body: dict[str, Any] = {**(extra or {}), "log": LOG_NAME, "v": 1, "kind": kind, "size": size, "head": head,
                            "at": at.isoformat(timespec="seconds"), "key": key_id(key.public_key())}
    if kind in (PRUNED, INCIDENT):
        body["reason"] = reason
    if kind == PRUNED:
        body["first"] = first
    if wait is not None:
        body["wait"] = wait
    signature = base64.b64encode(key.sign(_canonical(body))).decode()
    line = _canonical({**body, "sig": signature}).decode()
    return Checkpoint(kind, size, head, body["at"], line, first, reason, wait or 0)


def parse(line: str, pub: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint in `line` if its signature is good under `pub`; CheckpointError if not."""
    line = line.strip()
    if not line or len(line) > MAX_LINE:
        raise CheckpointError("not a checkpoint line")
    try:
        body = json.loads(line)
        sig = base64.b64decode(str(body.pop("sig")), validate=True)
        kind, size, head, at = str(body["kind"]), body["size"], str(body["head"]), str(body["at"])
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise CheckpointError("not a checkpoint line") from exc
    if body.get("log") != LOG_NAME or kind not in KINDS or type(size) is not int or size < 0:
        raise CheckpointError("not a checkpoint of this log")
    try:
        pub.verify(sig, _canonical(body))
    except InvalidSignature as exc:
        raise CheckpointError("the signature does not match (forged, altered, or another key)") from exc
    first, wait = body.get("first"), body.get("wait")
    return Checkpoint(kind, size, head, at, line, first if type(first) is int else None,
                      str(body.get("reason", "")), wait if type(wait) is int else 0)


def store(session: Session, cp: Checkpoint, at: datetime) -> None:
    """In the caller's transaction; the witness is written only after it commits."""
    session.add(AuditCheckpoint(kind=cp.kind, size=cp.size, head=cp.head, at=at, body=cp.line))


# --- the witness file ---------------------------------------------------------------------

def witness_path(app: Flask | None = None) -> Path | None:
    path: Path | None = (app or current_app).config["C2C"].audit_witness
    return path


def append_witness(path: Path | None, cp: Checkpoint) -> None:
    """Append one line and fsync. O_APPEND: a write never lands anywhere but the end, and a
    file made append-only (`chattr +a`) cannot be rewritten even by its owner."""
    with witness_writer(path) as write:
        write(cp)


@contextlib.contextmanager
def witness_writer(path: Path | None) -> Iterator[Callable[[Checkpoint], None]]:
    """Hold the witness's lock while the caller commits, then append. Two sequencers that
    overlap commit in the database's order (the state row's lock) and, holding this lock
    from before their commit until after their append, write their lines in that same
    order: the witness's sizes only grow, which `audit verify` requires."""
    if path is None:
        yield lambda _cp: None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)

        def write(cp: Checkpoint) -> None:
            os.write(fd, (cp.line + "\n").encode())
            os.fsync(fd)

        yield write
    finally:
        os.close(fd)  # releases the lock


def _lines_backwards(path: Path, chunk: int = 8192) -> Iterator[str]:
    """The file's lines, last first, reading from the end (the witness only grows)."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        pos = fh.tell()
        rest = b""
        while pos > 0:
            step = min(chunk, pos)
            pos -= step
            fh.seek(pos)
            rest = fh.read(step) + rest
            parts = rest.split(b"\n")
            rest = parts[0]
            for part in reversed(parts[1:]):
                if part.strip():
                    yield part.decode("utf-8", errors="replace")
        if rest.strip():
            yield rest.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class WitnessRead:
    exists: bool
    latest: Checkpoint | None  # the last well-signed line of the kind asked for
    bad_lines: int  # lines after it that did not verify (a torn last write, or tampering)


def latest_witnessed(path: Path | None, pub: Ed25519PublicKey, kind: str = CHECKPOINT,
                     max_lines: int = 100_000) -> WitnessRead:
    if path is None or not path.exists():
        return WitnessRead(False, None, 0)
    bad = 0
    for n, line in enumerate(_lines_backwards(path)):
        if n >= max_lines:
            break
        try:
            cp = parse(line, pub)
        except CheckpointError:
            bad += 1
            continue
        if cp.kind == kind:
            return WitnessRead(True, cp, bad)
    return WitnessRead(True, None, bad)


def witnessed_prunes(path: Path | None, pub: Ed25519PublicKey) -> Iterator[Checkpoint]:
    """Every well-signed prune record in the witness (verify's fallback when the database's
    copies were deleted). Streams the file."""
    if path is None or not path.exists():
        return
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if f'"kind":"{PRUNED}"' not in line:
                continue
            with contextlib.suppress(CheckpointError):
                yield parse(line, pub)


def latest_stored(session: Session, pub: Ed25519PublicKey,
                  kind: str = CHECKPOINT) -> tuple[Checkpoint | None, int]:
    """The database's latest well-signed checkpoint of `kind`, and how many rows that claim
    to be newer failed their signature check (forged rows)."""
    forged = 0
    rows = session.scalars(select(AuditCheckpoint.body).where(AuditCheckpoint.kind == kind)
                           .order_by(AuditCheckpoint.size.desc(), AuditCheckpoint.id.desc()).limit(50))
    for body in rows:
        try:
            cp = parse(body, pub)
        except CheckpointError:
            forged += 1
            continue
        if cp.kind == kind:
            return cp, forged
        forged += 1
    return None, forged


def stored_prunes(session: Session, pub: Ed25519PublicKey) -> tuple[list[Checkpoint], int]:
    """All prune records in the database that verify, and how many did not (forged anchors)."""
    good: list[Checkpoint] = []
    forged = 0
    for body in session.scalars(select(AuditCheckpoint.body).where(AuditCheckpoint.kind == PRUNED)
                                .order_by(AuditCheckpoint.size)):
        try:
            cp = parse(body, pub)
        except CheckpointError:
            forged += 1
            continue
        if cp.kind == PRUNED:
            good.append(cp)
        else:
            forged += 1
    return good, forged
