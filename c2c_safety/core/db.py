"""Engine and per-request session. Plain SQLAlchemy 2, no Flask-SQLAlchemy.

Services receive a `Session` explicitly, so the same functions serve views, CLI
commands and RQ jobs.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, poolclass=NullPool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling is off so that BEGIN IMMEDIATE below takes
            # the write lock up front: the audit chain reads the last hash and appends in one
            # transaction, which must not interleave with another writer.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    # No pre-ping: it cost a round trip on every checkout (every request). A connection is
    # pinged only when it sat idle in the pool long enough for the server to have gone away
    # meanwhile; one that dies under load fails its statement, which invalidates the pool
    # (callers that can, like ingest, run the transaction again on a fresh connection).
    engine = create_engine(url, pool_pre_ping=False, pool_size=5, max_overflow=10)

    @event.listens_for(engine, "checkin")
    def _mark_idle(_dbapi_conn: Any, record: Any) -> None:
        record.info["c2c_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("c2c_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            alive = False
            cause: BaseException | None = exc
        else:
            cause = None
        if not alive:
            # The pool discards this connection and checks out another (SQLAlchemy's
            # documented pessimistic-disconnect hook).
            raise DisconnectionError("idle connection is gone") from cause

    return engine


IDLE_PING_SECONDS = 10.0


def is_disconnect(exc: BaseException) -> bool:
    """The database connection was lost mid-transaction: safe to run it again on a new one."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def init_app(app: Flask, url: str) -> None:
    engine = make_engine(url)
    app.extensions["c2c_engine"] = engine
    app.extensions["c2c_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    # A forked RQ work horse must not reuse the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    app.teardown_appcontext(_close_session)


def engine_for(app: Flask) -> Engine:
    engine: Engine = app.extensions["c2c_engine"]
    return engine


def new_session(app: Flask | None = None) -> Session:
    """A fresh session outside the request cycle (CLI, jobs); the caller closes it."""
    factory: sessionmaker[Session] = (app or current_app).extensions["c2c_sessionmaker"]
    return factory()


def session() -> Session:
    """The session of the current request or app context, created on first use."""
    if "c2c_session" not in g:
        g.c2c_session = new_session()
    s: Session = g.c2c_session
    return s


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("c2c_session", None)
    if s is not None:
        s.close()
