"""Writing a new flag's rows: Core INSERTs with ON CONFLICT DO NOTHING, no ORM flush.

The hot path of ingest (docs/audit-log.md, "Speed"). A new flag on new content writes an
item, its first flag and its triage note. On PostgreSQL those three are ONE statement (data-
modifying CTEs: the flag and the note are inserted only from the item the first INSERT
returned, so when the content is known already nothing at all is written); on SQLite, which
has no INSERT in a CTE, they are three statements in the same transaction. Either way the
objects become persistent in the session as if loaded, with nothing left to read back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, cast, insert, select, true
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached

from models import Flag, ReviewItem
from models.review import ItemTriage


class IdempotencyConflictError(ValueError):
    """The Idempotency-Key was already used by this client for a different flag."""


_INSERTS: dict[tuple[str, str], Any] = {}
_NEW_ITEM: dict[tuple[tuple[str, ...], tuple[str, ...]], Select[Any]] = {}
_ITEM_CONFLICT = ["content_type", "platform_content_id"]
_NOTE = insert(ItemTriage.__table__)  # type: ignore[arg-type]


def insert_stmt(session: Session, table: Table, **conflict: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id for `table`, built once per dialect (both
    PostgreSQL and SQLite have it) and executed with a parameter dict, so each call costs a
    cached statement and its parameters, not a new statement object."""
    dialect = session.get_bind().dialect.name
    key = (dialect, table.name)
    stmt = _INSERTS.get(key)
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(table).on_conflict_do_nothing(**conflict).returning(table.c.id)
        _INSERTS[key] = stmt
    return stmt


def complete(obj: ReviewItem | Flag) -> dict[str, Any]:
    """Every column value of a transient object, its Python-side defaults filled in (and set
    on it), so that the object can become persistent after a Core INSERT with nothing left
    to load."""
    out: dict[str, Any] = {}
    mapper: Mapper[Any] = sa_inspect(type(obj))
    for prop in mapper.column_attrs:
        col = prop.columns[0]
        if prop.key == "id":
            continue
        if prop.key not in obj.__dict__:
            if col.server_default is not None:
                continue  # the database fills it; loaded on first access
            default = col.default
            value = None if default is None else (default.arg(None) if default.is_callable else default.arg)  # type: ignore[attr-defined]
            setattr(obj, prop.key, value)
        out[col.key] = obj.__dict__[prop.key]
    return out


def _param(table: Table, prefix: str, key: str) -> ColumnElement[Any]:
    # INSERT … SELECT gives PostgreSQL no target type for a bare parameter: cast each one.
    column = table.c[key]
    return cast(bindparam(f"{prefix}{key}", type_=column.type), column.type)


def _new_item_stmt(item_keys: tuple[str, ...], flag_keys: tuple[str, ...]) -> Select[Any]:
    """WITH item AS (INSERT … ON CONFLICT DO NOTHING RETURNING id),
            flag AS (INSERT … SELECT item.id, … FROM item ON CONFLICT DO NOTHING RETURNING id),
            note AS (INSERT … SELECT item.id, … FROM item)
       SELECT item.id, flag.id FROM item LEFT JOIN flag ON true"""
    items, flags = ReviewItem.__table__, Flag.__table__
    notes = ItemTriage.__table__
    assert isinstance(items, Table) and isinstance(flags, Table) and isinstance(notes, Table)
    item = (pg_insert(items).values({k: bindparam(f"i_{k}", type_=items.c[k].type) for k in item_keys})
            .on_conflict_do_nothing(index_elements=_ITEM_CONFLICT).returning(items.c.id).cte("new_item"))
    flag = (pg_insert(flags)
            .from_select(["item_id", *flag_keys], select(item.c.id, *[_param(flags, "f_", k) for k in flag_keys]))
            .on_conflict_do_nothing().returning(flags.c.id).cte("new_flag"))
    note_keys = ("components", "safeguarding_reasons", "computed_at")
    note = pg_insert(notes).from_select(["item_id", *note_keys],
                                        select(item.c.id, *[_param(notes, "n_", k) for k in note_keys])
                                        ).cte("new_note")
    return select(item.c.id, flag.c.id).select_from(item.outerjoin(flag, true())).add_cte(note)


def persist_new(session: Session, item: ReviewItem, flag: Flag, note: dict[str, Any]) -> bool:
    """INSERT the new item, its first flag and its triage note (`note`: components,
    safeguarding_reasons, computed_at) and attach item and flag to the session as if loaded.
    False when the content is known already: then nothing was written."""
    item_values, flag_values = complete(item), complete(flag)
    flag_values.pop("item_id", None)
    if session.get_bind().dialect.name == "postgresql":
        # NULLs are left to the table (psycopg caches the parsing of statements with at most
        # 50 parameters; a new item has about 40 columns, most of them still empty)
        item_values = {k: v for k, v in item_values.items() if v is not None}
        flag_values = {k: v for k, v in flag_values.items() if v is not None}
        key = (tuple(item_values), tuple(flag_values))
        stmt = _NEW_ITEM.get(key)
        if stmt is None:
            stmt = _NEW_ITEM[key] = _new_item_stmt(*key)
        params = {**{f"i_{k}": v for k, v in item_values.items()}, **{f"f_{k}": v for k, v in flag_values.items()},
                  **{f"n_{k}": v for k, v in note.items()}}
        row = session.execute(stmt, params).first()
        if row is None:
            return False
        item_id, flag_id = row
    else:
        item_id = session.execute(insert_stmt(session, ReviewItem.__table__,  # type: ignore[arg-type]
                                              index_elements=_ITEM_CONFLICT), item_values).scalar()
        if item_id is None:
            return False
        flag_id = session.execute(insert_stmt(session, Flag.__table__),  # type: ignore[arg-type]
                                  {**flag_values, "item_id": item_id}).scalar()
        if flag_id is not None:
            session.execute(_NOTE, {"item_id": item_id, **note})
    if flag_id is None:
        # New content, yet the flag collides: its Idempotency-Key was used for other content.
        raise IdempotencyConflictError("this Idempotency-Key was already used for a different flag")
    item.id = item_id
    flag.item_id = item_id
    flag.id = flag_id
    make_transient_to_detached(item)
    make_transient_to_detached(flag)
    session.add(item)  # the flag comes along (cascade); no SQL: both are as stored
    return True


def insert_flag(session: Session, flag: Flag) -> Flag | None:
    """INSERT a flag on an existing item unless it is a repeat (same key, or same flagger)."""
    flag_id = session.execute(insert_stmt(session, Flag.__table__), complete(flag)).scalar()  # type: ignore[arg-type]
    if flag_id is None:
        return None
    flag.id = flag_id
    make_transient_to_detached(flag)
    session.add(flag)
    return flag
