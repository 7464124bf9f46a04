"""The log's hashes: what an entry's MAC covers and how entries are linked.

Two HMAC-SHA256 values under the audit key (C2C_AUDIT_KEY, else derived from the secret
key; never stored in the database):

- `mac` = HMAC(key, canonical content of the entry, its random `uid` included). Written with
  the entry, in the action's own transaction: nobody without the key can write an entry
  the sequencer or `audit verify` will accept, or change one unnoticed.
- `hash` = HMAC(key, "seq:prev_hash:mac"). Written by the sequencer: links entry `seq` to
  entry `seq - 1`, so removing, inserting or reordering entries breaks every later link.

Both are pure functions of the row, so the sequencer, `audit verify` and the benches share
them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app

GENESIS = "0" * 64
VERSION = 1
# While an entry is pending, someone with database access could delete it unseen, so how
# long that can last unnoticed is bounded (docs/audit-log.md, "Stalls"):
# - a sequencer that keeps trying but cannot complete a pass (errors, a lock) for longer
#   than STALL_ALARM_SECONDS signs a "stalled" incident (workers/audit.py);
# - an entry that waited longer than WAIT_ALARM_SECONDS to be sequenced (the wait is signed
#   in its checkpoint), or is pending that long now, is an alarm in `audit verify`. It is
#   larger because a sequencer that is simply not running yet (a worker host starting, a
#   deploy) makes entries wait too; the fault suite measured ~60-80 s on a loaded machine.
STALL_ALARM_SECONDS = 60
WAIT_ALARM_SECONDS = 300
_UID_TIME_HEX = 12  # milliseconds since 1970 in the uid's first 12 hex digits


def audit_key(app: Flask | None = None) -> bytes:
    cfg = (app or current_app).config["C2C"]
    if cfg.audit_key:
        return bytes(cfg.audit_key, "utf-8")
    return hashlib.sha256(b"c2c-audit-chain\x00" + cfg.secret_key.encode()).digest()


def new_uid(now: float | None = None) -> str:
    """32 hex digits: the writer's clock in milliseconds, then 80 random bits. The MAC covers
    the uid, so the time an entry was written is as tamper-proof as its content: the
    sequencer signs how long its entries waited, and `audit verify` sees pending entries
    that have waited too long, whatever the database says."""
    ms = int((time.time() if now is None else now) * 1000)
    return f"{ms:0{_UID_TIME_HEX}x}{secrets.token_hex(10)}"


def uid_time(uid: str) -> float | None:
    """When the entry with this uid was written (seconds since 1970), or None for a uid that
    does not carry a time (written by hand, or a forged row)."""
    try:
        ms = int(uid[:_UID_TIME_HEX], 16)
    except ValueError:
        return None
    return ms / 1000 if len(uid) == 32 else None


def normalise(details: dict[str, Any] | None) -> dict[str, Any]:
    """`details` as it will read back from the JSON column (tuples become lists, keys
    strings), so the MAC computed now matches the MAC recomputed from the stored row."""
    if not details:
        return {}
    out: dict[str, Any] = json.loads(json.dumps(details, default=str))
    return out


@dataclass(frozen=True)
class Content:
    """The fields an entry's MAC covers."""

    uid: str
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    case_id: int | None
    details: dict[str, Any]


def canonical(c: Content) -> bytes:
    payload = [VERSION, c.uid, c.at.isoformat(timespec="microseconds"), c.actor_id, c.actor_label,
               c.action, c.target_type, c.target_id, c.case_id, c.details]
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_mac(key: bytes, c: Content) -> str:
    return hmac.new(key, canonical(c), hashlib.sha256).hexdigest()


def link(key: bytes, seq: int, prev_hash: str, mac: str) -> str:
    return hmac.new(key, f"{seq}:{prev_hash}:{mac}".encode(), hashlib.sha256).hexdigest()
