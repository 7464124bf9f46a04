"""Who gets new work: round robin among the people who may take it.

A new case goes to the next person in its routed role who may see and handle it
(`cases.access.eligible_handlers`: active, holds the role, not excluded, never the CEO for
a case about the CEO); a new safeguarding referral goes to the next safeguarding lead
(review/referrals.py), with the one after them as deputy. The rotation's position is a row
per pool in `assignment_cursors`, so it is shared by every web process and worker and
survives restarts. Nobody eligible: the work stays unassigned and everyone in the routed
role sees it (and is alerted), as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from models import AssignmentCursor, CaseFile, utcnow


def _cursor(session: Session, pool: str) -> AssignmentCursor:
    """The pool's cursor, locked for this transaction (PostgreSQL; SQLite serialises writers)."""
    stmt = select(AssignmentCursor).where(AssignmentCursor.pool == pool).with_for_update()
    cursor = session.scalars(stmt).first()
    if cursor is not None:
        return cursor
    try:
        with session.begin_nested():
            cursor = AssignmentCursor(pool=pool, updated_at=utcnow())
            session.add(cursor)
    except IntegrityError:
        # Another transaction made the row first; use theirs.
        cursor = session.scalars(stmt).one()
    return cursor


def next_in_rotation(session: Session, pool: str, candidate_ids: Iterable[int]) -> int | None:
    """The candidate after the one last given work in this pool (by id, wrapping round),
    and move the cursor to them. None when there is nobody to give it to."""
    ids = sorted(set(candidate_ids))
    if not ids:
        return None
    cursor = _cursor(session, pool)
    last = cursor.last_user_id
    chosen = next((i for i in ids if last is None or i > last), ids[0])
    cursor.last_user_id, cursor.updated_at = chosen, utcnow()
    session.flush()
    return chosen


def following(candidate_ids: Iterable[int], after: int) -> int | None:
    """The candidate who comes after `after` in the rotation (a deputy), without moving it."""
    ids = sorted(set(candidate_ids) - {after})
    if not ids:
        return None
    return next((i for i in ids if i > after), ids[0])


def assign_new_case(session: Session, case: CaseFile) -> int | None:
    """Give a new case to the next eligible handler of its routed role (the caller commits)."""
    people = case_access.eligible_handlers(session, case)
    chosen = next_in_rotation(session, f"case:{case.routed_role}", (p.id for p in people))
    if chosen is None:
        return None
    case.assigned_to_id = chosen
    session.flush()
    audit.record(session, "case.assigned", actor_label="routing", target_type="user", target_id=chosen,
                 case_id=case.id, details={"assignee_id": chosen, "automatic": True})
    return chosen
