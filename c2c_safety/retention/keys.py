"""Data-key rotation: re-seal everything sealed under a key that is no longer the current one.

C2C_DATA_KEY="new:...,old:..." makes `new` the sealing key while `old` still opens. The
rotation walks every sealed column of every table in id order, in batches that commit as
they go; a value already under the current key is left alone, so the command is idempotent
and a killed run is resumed by running it again. Afterwards the old key can be removed.

Sealed columns are found from the schema (LargeBinary columns named `*_sealed`, plus
`users.totp_secret`), so columns other areas add later are rotated too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Column, LargeBinary, Table, select, update
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import CryptoError, key_id, keyring
from models import Base

log = logging.getLogger(__name__)
EXTRA_SEALED = {("users", "totp_secret")}


def sealed_columns() -> list[tuple[Table, Column[int], list[Column[bytes]]]]:
    """(table, primary-key column, sealed columns) for every table holding sealed values."""
    out = []
    for table in Base.metadata.sorted_tables:
        cols = [c for c in table.columns if isinstance(c.type, LargeBinary)
                and (c.name.endswith("_sealed") or (table.name, c.name) in EXTRA_SEALED)]
        pks = list(table.primary_key.columns)
        if cols and len(pks) == 1:
            out.append((table, pks[0], cols))
    return out


@dataclass
class RotationResult:
    current_key: str
    resealed: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)  # values no key in the ring opens

    @property
    def total(self) -> int:
        return sum(self.resealed.values())


def pending(session: Session) -> dict[str, int]:
    """How many values per column are still sealed under a non-current key."""
    ring = keyring()
    counts: dict[str, int] = {}
    for table, pk, cols in sealed_columns():
        for row in session.execute(select(pk, *cols)).yield_per(1000):
            for col, blob in zip(cols, row[1:], strict=True):
                if blob is not None and _kid(blob) != ring.current:
                    counts[f"{table.name}.{col.name}"] = counts.get(f"{table.name}.{col.name}", 0) + 1
    return counts


def _kid(blob: bytes) -> str | None:
    try:
        return key_id(bytes(blob))
    except CryptoError:
        return None


def rotate(session: Session, *, batch_size: int = 500,
           after_batch: Callable[[int], None] | None = None) -> RotationResult:
    """Re-seal under the current key. Commits after every batch (a CLI job)."""
    ring = keyring()
    result = RotationResult(ring.current)
    batches = 0
    for table, pk, cols in sealed_columns():
        last_id = 0
        while True:
            rows = session.execute(select(pk, *cols).where(pk > last_id).order_by(pk).limit(batch_size)).all()
            if not rows:
                break
            last_id = rows[-1][0]
            changed = 0
            for row in rows:
                values: dict[str, bytes] = {}
                for col, blob in zip(cols, row[1:], strict=True):
                    name = f"{table.name}.{col.name}"
                    if blob is None or _kid(blob) == ring.current:
                        continue
                    try:
                        values[col.name] = ring.seal(ring.open(bytes(blob)))
                    except CryptoError:
                        # Unknown key or damaged value: leave it, report it, never crash halfway.
                        result.failed[name] = result.failed.get(name, 0) + 1
                        continue
                    result.resealed[name] = result.resealed.get(name, 0) + 1
                if values:
                    session.execute(update(table).where(pk == row[0]).values(**values))
                    changed += 1
            if changed:
                session.commit()
                batches += 1
                if after_batch is not None:
                    after_batch(batches)
    audit.record(session, "keys.rotated", actor_label="system",
                 details={"current_key": ring.current, "resealed": result.total,
                          "failed": sum(result.failed.values())})
    session.commit()
    log.info("key rotation: %d values re-sealed under %s", result.total, ring.current)
    return result
