"""A valid, sequenced and signed audit log of any size, written with COPY (bench only).

The entries, hashes and checkpoint are made with the desk's own functions
(c2c_safety/audit/chain.py and checkpoints.py), so `flask audit verify` accepts the log
exactly as it would one the sequencer wrote; the checkpoint goes to the database and to
the witness file named in `env` (C2C_AUDIT_WITNESS).
"""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime, timedelta
from typing import Any

SIGNING_KEY = base64.b64encode(b"s" * 32).decode()  # bench only
AUDIT_KEY = "bench-audit-key"


def _ts(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds")


def write_log(conn: Any, env: dict[str, str], n: int, start: datetime, step: timedelta) -> tuple[int, str]:
    """COPY `n` sequenced entries (seq 1..n, no case), the state row and one signed checkpoint
    into the database of the psycopg connection `conn` (the caller commits). Returns
    (size, head)."""
    from c2c_safety import create_app
    from c2c_safety.audit import chain, checkpoints
    from c2c_safety.core.config import Config

    key = env["C2C_AUDIT_KEY"].encode()
    prev = chain.GENESIS
    cols = ("uid, seq, at, actor_id, actor_label, action, target_type, target_id, case_id, details, mac, "
            "prev_hash, hash, sequenced_at")
    with conn.cursor() as cur, cur.copy(f"COPY audit_events ({cols}) FROM STDIN") as copy:
        buf = io.StringIO()
        for seq in range(1, n + 1):
            at = start + step * seq
            c = chain.Content(f"{seq:032x}", at, None, "bench", "bench.event", "thing", str(seq), None, {})
            mac = chain.entry_mac(key, c)
            digest = chain.link(key, seq, prev, mac)
            buf.write(f"{c.uid}\t{seq}\t{_ts(at)}\t\\N\tbench\tbench.event\tthing\t{seq}\t\\N\t{{}}\t{mac}\t"
                      f"{prev}\t{digest}\t{_ts(at)}\n")
            prev = digest
            if seq % 50_000 == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())
    app = create_app(Config.from_env(env))
    now = start + step * (n + 1)
    cp = checkpoints.sign(checkpoints.CHECKPOINT, n, prev, now, app=app)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO audit_log_state (id, size, head, updated_at) VALUES (1, %s, %s, %s)", (n, prev, now))
        cur.execute("INSERT INTO audit_checkpoints (kind, size, head, at, body) VALUES (%s, %s, %s, %s, %s)",
                    (cp.kind, cp.size, cp.head, now, cp.line))
    checkpoints.append_witness(checkpoints.witness_path(app), cp)
    app.extensions["c2c_engine"].dispose()
    json.dumps(cp.public())  # a well-formed line
    return n, prev
