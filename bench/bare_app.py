"""The baseline for the ingest bench: a bare WSGI app that does one INSERT per request.

Served by the same gunicorn settings against the same PostgreSQL as the desk, it shows what
HTTP + one committed row costs on this machine; the desk's ingest divided by it is the
desk's own overhead (authentication, validation, triage, the audit chain, the enqueue).

    BENCH_BARE_DATABASE_URL=postgresql://... gunicorn bench.bare_app:app
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, text

TABLE = "bench_bare_flags"
DDL = (f"CREATE TABLE IF NOT EXISTS {TABLE} (id BIGSERIAL PRIMARY KEY, content_id TEXT NOT NULL, "
       "body TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())")

_engine: Engine | None = None


def engine() -> Engine:
    global _engine
    if _engine is None:
        from c2c_safety.core.db import make_engine  # the desk's own engine settings (pool, driver)

        _engine = make_engine(os.environ["BENCH_BARE_DATABASE_URL"])
    return _engine


def create_table(url: str) -> None:
    from c2c_safety.core.db import make_engine

    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text(DDL))
    eng.dispose()


StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"status":"ok"}']
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length)
    content_id = str(json.loads(raw)["content"]["id"])
    with engine().begin() as conn:
        row_id = conn.execute(text(f"INSERT INTO {TABLE} (content_id, body) VALUES (:c, :b) RETURNING id"),
                              {"c": content_id, "b": raw.decode()}).scalar_one()
    out = json.dumps({"item_id": row_id}).encode()
    start_response("202 Accepted", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]
