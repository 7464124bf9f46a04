"""Matching an image's PDQ hash against the active hash lists, in the worker.

The index (workers/media_index.py) lives in the worker process and is rebuilt only when the
lists change: a cheap fingerprint query (count and largest id of the active lists' hashes, and
the lists' last update) is compared before each use, so a list imported or switched off on
the web side is honoured by the next match without a restart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.media import HashList, ListedHash
from workers.media_index import DEFAULT_THRESHOLD, PdqIndex

# Loading a million hashes reads ~40 MB from the database; do it in slices.
LOAD_BATCH = 50_000


@dataclass(frozen=True)
class ListMatch:
    list_id: int
    list_name: str
    source: str
    action: str
    distance: int
    external_id: str


@dataclass(frozen=True)
class _Loaded:
    fingerprint: tuple[int, int, datetime | None, int]
    index: PdqIndex
    rows: list[tuple[int, str]]  # per index row: (list id, external id)
    lists: dict[int, HashList]


_lock = threading.Lock()
_cache: _Loaded | None = None


def _fingerprint(session: Session) -> tuple[int, int, datetime | None, int]:
    count, top = session.execute(
        select(func.count(ListedHash.id), func.coalesce(func.max(ListedHash.id), 0))
        .join(HashList, HashList.id == ListedHash.list_id).where(HashList.active.is_(True))).one()
    changed, lists = session.execute(select(func.max(HashList.updated_at), func.count(HashList.id))).one()
    return int(count), int(top), changed, int(lists)


def _load(session: Session, fingerprint: tuple[int, int, datetime | None, int]) -> _Loaded:
    lists = {h.id: h for h in session.scalars(select(HashList).where(HashList.active.is_(True)))}
    for h in lists.values():
        session.expunge(h)
    hashes: list[bytes] = []
    rows: list[tuple[int, str]] = []
    last = 0
    while True:
        batch = session.execute(
            select(ListedHash.id, ListedHash.list_id, ListedHash.pdq, ListedHash.external_id)
            .where(ListedHash.id > last, ListedHash.list_id.in_(list(lists)))
            .order_by(ListedHash.id).limit(LOAD_BATCH)).all()
        if not batch:
            break
        for row_id, list_id, pdq, external_id in batch:
            hashes.append(bytes(pdq))
            rows.append((list_id, external_id))
            last = row_id
    return _Loaded(fingerprint, PdqIndex(hashes), rows, lists)


def index_for(session: Session) -> _Loaded:
    """The current index, rebuilt if the active lists changed since it was built."""
    global _cache
    fingerprint = _fingerprint(session)
    with _lock:
        if _cache is None or _cache.fingerprint != fingerprint:
            _cache = _load(session, fingerprint)
        return _cache


def match(session: Session, pdq: bytes, threshold: int = DEFAULT_THRESHOLD) -> list[ListMatch]:
    """Listed hashes within `threshold` bits of `pdq`, nearest first, with their list."""
    loaded = index_for(session)
    out = []
    for m in loaded.index.search(pdq, threshold):
        list_id, external_id = loaded.rows[m.row]
        hl = loaded.lists[list_id]
        out.append(ListMatch(list_id, hl.name, hl.source, hl.action, m.distance, external_id))
    return out
