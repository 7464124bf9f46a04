"""Listing, searching and counting cases for one viewer. Every query starts from
cases.access.visible_cases_query, so what a person cannot see they cannot count."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases.lifecycle import DeadlineView, deadline_view, deadline_view_of
from c2c_safety.core.crypto import open_text
from models import CaseFile, CaseStatus, ReviewNote, User, utcnow

SEARCH_LIMIT = 1000  # text search opens sealed bodies in memory; bound the work


@dataclass(frozen=True)
class CaseRow:
    case: CaseFile
    deadline: DeadlineView
    assignee: str


@dataclass
class Listing:
    rows: list[CaseRow]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ListFilter:
    show: str = "open"  # open | closed | all
    status: str = ""
    category: str = ""
    deadline: str = ""  # overdue | due_soon
    q: str = ""


def _matches(case: CaseFile, q: str) -> bool:
    needle = q.casefold()
    if needle in case.reference.casefold():
        return True
    if case.anonymised_at is not None:
        return False
    return any(needle in (open_text(blob) or "").casefold()
               for blob in (case.body_sealed, case.occurred_sealed, case.involved_sealed))


def listing(session: Session, viewer: User, f: ListFilter, *, now: datetime | None = None,
            limit: int = 500) -> Listing:
    now = now or utcnow()
    stmt = case_access.visible_cases_query(viewer)
    if f.show == "open":
        stmt = stmt.where(CaseFile.status != CaseStatus.CLOSED)
    elif f.show == "closed":
        stmt = stmt.where(CaseFile.status == CaseStatus.CLOSED)
    if f.status:
        stmt = stmt.where(CaseFile.status == f.status)
    if f.category:
        stmt = stmt.where(CaseFile.category == f.category)
    cases = list(session.scalars(stmt.order_by(CaseFile.received_at.desc(), CaseFile.id.desc())
                                 .limit(SEARCH_LIMIT if f.q else limit)))
    if f.q:
        cases = [c for c in cases if _matches(c, f.q.strip())][:limit]
    names = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_({c.assigned_to_id for c in cases if c.assigned_to_id}))).all())
    rows = [CaseRow(c, deadline_view(c, now), names.get(c.assigned_to_id or 0, "")) for c in cases]
    if f.deadline == "overdue":
        rows = [r for r in rows if _next_state(r.deadline) == "overdue"]
    elif f.deadline == "due_soon":
        rows = [r for r in rows if _next_state(r.deadline) == "due_soon"]
    return Listing(rows, counts(session, viewer, now=now))


def _next_state(d: DeadlineView) -> str:
    if d.next_label == "acknowledge":
        return d.ack_state
    if d.next_label == "feedback":
        return d.feedback_state
    return ""


def counts(session: Session, viewer: User, *, now: datetime | None = None) -> dict[str, int]:
    """Open / overdue / due soon / closed, over the viewer's visible cases."""
    now = now or utcnow()
    out = {"open": 0, "overdue": 0, "due_soon": 0, "closed": 0, "on_hold": 0}
    rows = session.execute(case_access.visible_cases_query(viewer).with_only_columns(
        CaseFile.status, CaseFile.received_at, CaseFile.acknowledged_at, CaseFile.feedback_at,
        CaseFile.legal_hold)).all()
    for status, received, acked, fed, held in rows:
        out["on_hold"] += bool(held)
        if status == CaseStatus.CLOSED:
            out["closed"] += 1
            continue
        out["open"] += 1
        state = _next_state(deadline_view_of(status, received, acked, fed, now))
        if state == "overdue":
            out["overdue"] += 1
        elif state == "due_soon":
            out["due_soon"] += 1
    return out


def record_list_view(session: Session, viewer: User, f: ListFilter) -> None:
    # The search words may themselves be personal data: record that a search ran, not what.
    audit.record(session, "view.case_list", actor=viewer, target_type="case",
                 details={"show": f.show, "searched": bool(f.q)})


def reviewer_notes(session: Session, case_id: int, limit: int = 100) -> list[tuple[ReviewNote, str]]:
    """The independent reviewer's notes on one case, newest first. The caller has already
    checked that the viewer may open the case (oversight/ lists notes across cases)."""
    rows = session.scalars(select(ReviewNote).where(ReviewNote.case_id == case_id)
                           .order_by(ReviewNote.id.desc()).limit(limit))
    return [(n, open_text(n.body_sealed) or "") for n in rows]
