"""Importing hash lists: PDQ (and SHA-256) hashes of known abuse imagery, with their source.

Formats read (CSV, UTF-8, one hash per row; blank lines and `#` comments skipped):

- with a header row naming the columns: the PDQ hash in `pdq`, `pdq_hash`, `hash` or
  `signal` (ThreatExchange / Hasher-Matcher-Actioner exports name it `signal`, with
  `signal_type` = `pdq`), an optional id in `id`, `external_id` or `signal_id`, an optional
  `sha256`; rows whose `signal_type` is present and not PDQ are skipped (counted);
- without a header: `<64 hex digits>[,<id>]`.

An import is all or nothing: one malformed row refuses the file, naming its line, so an
operator never ends up with half a list. Re-importing the same hashes adds nothing twice.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from models import utcnow
from models.media import HashList, ListAction, ListedHash

HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
PDQ_COLUMNS = ("pdq", "pdq_hash", "hash", "signal")
ID_COLUMNS = ("id", "external_id", "signal_id")
MAX_ROWS = 5_000_000  # one import; a larger list is split by the operator
MAX_ID = 120


class HashListError(ValueError):
    """A refused import, with the line that caused it."""


@dataclass(frozen=True)
class Entry:
    pdq: bytes
    sha256: str | None
    external_id: str


@dataclass(frozen=True)
class ImportResult:
    list_id: int
    added: int
    already_listed: int
    skipped_other_types: int


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def parse(lines: Iterable[str]) -> tuple[list[Entry], int]:
    """Entries of a CSV hash list and how many rows were of another signal type."""
    rows = csv.reader(line for line in lines if line.strip() and not line.lstrip().startswith("#"))
    entries: list[Entry] = []
    skipped = 0
    header: dict[str, int] | None = None
    for line_no, cells in enumerate(rows, start=1):
        if line_no == 1 and cells and not HEX64.match(cells[0].strip()):
            header = {_norm(c): i for i, c in enumerate(cells)}
            if not any(c in header for c in PDQ_COLUMNS):
                raise HashListError(f"row {line_no}: no PDQ column (expected one of {', '.join(PDQ_COLUMNS)})")
            continue
        if header is None:
            entries.append(_entry(line_no, cells[0], cells[1] if len(cells) > 1 else "", None))
        else:
            kind = _cell(cells, header, ("signal_type",))
            if kind and kind.strip().lower() not in {"pdq", "pdq_hash", "photo_pdq"}:
                skipped += 1
                continue
            entries.append(_entry(line_no, _cell(cells, header, PDQ_COLUMNS), _cell(cells, header, ID_COLUMNS),
                                  _cell(cells, header, ("sha256",)) or None))
        if len(entries) > MAX_ROWS:
            raise HashListError(f"more than {MAX_ROWS:,} hashes in one file: split it")
    return entries, skipped


def _cell(cells: list[str], header: dict[str, int], names: tuple[str, ...]) -> str:
    for name in names:
        i = header.get(name)
        if i is not None and i < len(cells):
            return cells[i].strip()
    return ""


def _entry(line_no: int, pdq: str, external_id: str, sha256: str | None) -> Entry:
    if not HEX64.match(pdq.strip()):
        raise HashListError(f"row {line_no}: a PDQ hash is 64 hexadecimal digits")
    if sha256 is not None and not HEX64.match(sha256):
        raise HashListError(f"row {line_no}: a SHA-256 is 64 hexadecimal digits")
    external_id = external_id.strip()
    if len(external_id) > MAX_ID or any(not ch.isprintable() for ch in external_id):
        raise HashListError(f"row {line_no}: the id is longer than {MAX_ID} characters or not printable")
    return Entry(bytes.fromhex(pdq.strip()), sha256.lower() if sha256 else None, external_id)


def get_or_create_list(session: Session, name: str, *, source: str, action: str, actor_label: str) -> HashList:
    name, source = name.strip(), source.strip()
    if not name or len(name) > 120:
        raise HashListError("give the list a name of at most 120 characters")
    if not source or len(source) > 200:
        raise HashListError("say where the list comes from (at most 200 characters)")
    if action not in set(ListAction):
        raise HashListError(f"the action is one of {', '.join(ListAction)}")
    found = session.scalar(select(HashList).where(HashList.name == name))
    if found is not None:
        if found.action != action:
            raise HashListError(f"the list {name!r} already exists with the action {found.action}")
        return found
    hash_list = HashList(name=name, source=source, action=action, created_by=actor_label)
    session.add(hash_list)
    session.flush()
    audit.record(session, "media.hash_list_created", actor_label=actor_label, target_type="hash_list",
                 target_id=hash_list.id, details={"name": name, "source": source, "action": action})
    return hash_list


def import_text(session: Session, text: str, *, name: str, source: str, action: str,
                actor_label: str) -> ImportResult:
    """Add a CSV's hashes to the named list (made if new); audited with counts, never hashes."""
    entries, skipped = parse(io.StringIO(text))
    hash_list = get_or_create_list(session, name, source=source, action=action, actor_label=actor_label)
    existing = set(session.scalars(select(ListedHash.pdq).where(ListedHash.list_id == hash_list.id)))
    fresh: dict[bytes, Entry] = {}
    for e in entries:
        if e.pdq not in existing and e.pdq not in fresh:
            fresh[e.pdq] = e
    if fresh:
        session.execute(insert(ListedHash), [
            {"list_id": hash_list.id, "pdq": e.pdq, "sha256": e.sha256, "external_id": e.external_id,
             "added_at": utcnow()} for e in fresh.values()])
    hash_list.updated_at = utcnow()
    session.flush()
    audit.record(session, "media.hash_list_imported", actor_label=actor_label, target_type="hash_list",
                 target_id=hash_list.id, details={"added": len(fresh), "already_listed": len(entries) - len(fresh),
                                                  "skipped_other_types": skipped})
    return ImportResult(hash_list.id, len(fresh), len(entries) - len(fresh), skipped)


def set_active(session: Session, list_id: int, active: bool, *, actor_label: str) -> None:
    hash_list = session.get(HashList, list_id)
    if hash_list is None:
        raise HashListError("no such list")
    hash_list.active = active
    hash_list.updated_at = utcnow()
    audit.record(session, "media.hash_list_" + ("activated" if active else "deactivated"), actor_label=actor_label,
                 target_type="hash_list", target_id=list_id)


@dataclass(frozen=True)
class ListSummary:
    id: int
    name: str
    source: str
    action: str
    active: bool
    hashes: int


def summaries(session: Session) -> list[ListSummary]:
    counts: dict[int, int] = {row[0]: row[1] for row in session.execute(
        select(ListedHash.list_id, func.count()).group_by(ListedHash.list_id))}
    return [ListSummary(h.id, h.name, h.source, h.action, h.active, int(counts.get(h.id, 0)))
            for h in session.scalars(select(HashList).order_by(HashList.id))]
