"""Alembic migrations build the models' schema from an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, inspect, text

import models
from c2c_safety.core import migrations
from c2c_safety.core.db import make_engine

PG_URL = os.environ.get("C2C_TEST_PG_URL") or os.environ.get("C2C_TEST_DATABASE_URL")


def _check(engine) -> None:
    migrations.upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert set(models.Base.metadata.tables) <= names
    assert migrations.pending_model_changes(engine) == []
    migrations.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(engine)


def test_sqlite_migrations_from_empty(tmp_path):
    _check(make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}"))


@pytest.mark.skipif(not PG_URL, reason="set C2C_TEST_PG_URL (CI does) to check PostgreSQL")
def test_postgresql_migrations_from_empty():
    assert PG_URL
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    name = f"c2c_migration_check_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        _check(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
