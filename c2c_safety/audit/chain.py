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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app

GENESIS = "0" * 64
VERSION = 1


def audit_key(app: Flask | None = None) -> bytes:
    cfg = (app or current_app).config["C2C"]
    if cfg.audit_key:
        return bytes(cfg.audit_key, "utf-8")
    return hashlib.sha256(b"c2c-audit-chain\x00" + cfg.secret_key.encode()).digest()


def new_uid() -> str:
    return secrets.token_hex(16)


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
