"""Listing, searching and counting cases for one viewer. Every query starts from
cases.access.visible_cases_query, so what a person cannot see they cannot count."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases.lifecycle import DeadlineView, deadline_view_of
from c2c_safety.core.crypto import open_text
from models import CaseFile, CaseRegime, CaseStatus, ReviewNote, User, utcnow

SEARCH_LIMIT = 1000  # text search opens sealed bodies in memory; bound the work


@dataclass(frozen=True)
class CaseRow:
    case: CaseFile
    deadline: DeadlineView
    assignee: str
    summary: str = ""  # one line of what happened (the handler's screen only; never logged)


SUMMARY_CHARS = 110


def summary(case: CaseFile) -> str:
    """One line for the list: the start of the reporter's account, or where an escalation
    came from."""
    if case.anonymised_at is not None:
        return str(_("Anonymised"))
    text = " ".join((open_text(case.body_sealed) or "").split()) if case.body_sealed else ""
    if not text and case.review_item_id is not None:
        return str(_("Escalated from the moderators' queue (item %(id)s)", id=case.review_item_id))
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1].rstrip() + "…"


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
    mine: bool = False  # only cases assigned to the viewer


def _matches(case: CaseFile, q: str) -> bool:
    needle = q.casefold()
    if needle in case.reference.casefold():
        return True
    if case.anonymised_at is not None:
        return False
    return any(needle in (open_text(blob) or "").casefold()
               for blob in (case.body_sealed, case.occurred_sealed, case.involved_sealed))


def _urgency(status: str, next_due: datetime | None, received_at: datetime,
             closed_at: datetime | None) -> tuple[int, float]:
    """Sort key, most urgent first: open cases by the deadline that is next due (so the most
    overdue come first, then those due soonest); then open cases waiting for no deadline,
    newest first; closed cases last, most recently closed first."""
    if status == CaseStatus.CLOSED:
        return (2, -(closed_at or received_at).timestamp())
    if next_due is not None:
        return (0, next_due.timestamp())
    return (1, -received_at.timestamp())


def listing(session: Session, viewer: User, f: ListFilter, *, now: datetime | None = None,
            limit: int = 500) -> Listing:
    """The viewer's cases, filtered and sorted by urgency. Deadlines are worked out from the
    dates and `now` (not from the daily alerts), over every matching visible case before the
    limit is applied, so the most overdue case is never cut off the first page."""
    now = now or utcnow()
    # Reports about a child are referrals on the safeguarding desk, with its clock (issue 19).
    stmt = case_access.visible_cases_query(viewer).where(CaseFile.regime == CaseRegime.WHISTLEBLOWING)
    if f.show == "open":
        stmt = stmt.where(CaseFile.status != CaseStatus.CLOSED)
    elif f.show == "closed":
        stmt = stmt.where(CaseFile.status == CaseStatus.CLOSED)
    if f.status:
        stmt = stmt.where(CaseFile.status == f.status)
    if f.category:
        stmt = stmt.where(CaseFile.category == f.category)
    if f.mine:
        stmt = stmt.where(CaseFile.assigned_to_id == viewer.id)
    light = session.execute(stmt.with_only_columns(
        CaseFile.id, CaseFile.status, CaseFile.received_at, CaseFile.acknowledged_at, CaseFile.feedback_at,
        CaseFile.reopened_at, CaseFile.reopen_feedback_at, CaseFile.closed_at, CaseFile.source)).all()
    keyed: list[tuple[tuple[int, float], int, DeadlineView]] = []
    for cid, status, received, acked, fed, reopened, refed, closed, source in light:
        d = deadline_view_of(status, received, acked, fed, now, reopened_at=reopened, reopen_feedback_at=refed,
                             source=source, closed_at=closed)
        if f.deadline and d.next_state != f.deadline:
            continue
        keyed.append((_urgency(status, d.next_due, received, closed), cid, d))
    keyed.sort(key=lambda k: (k[0], k[1]))
    if f.q:
        keyed = keyed[:SEARCH_LIMIT]
    by_id = {c.id: c for c in session.scalars(select(CaseFile).where(
        CaseFile.id.in_([cid for _, cid, _ in keyed[:SEARCH_LIMIT if f.q else limit]])))}
    ordered = [(by_id[cid], d) for _, cid, d in keyed if cid in by_id]
    if f.q:
        ordered = [(c, d) for c, d in ordered if _matches(c, f.q.strip())]
    ordered = ordered[:limit]
    names = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_({c.assigned_to_id for c, _ in ordered if c.assigned_to_id}))).all())
    rows = [CaseRow(c, d, names.get(c.assigned_to_id or 0, ""), summary(c)) for c, d in ordered]
    return Listing(rows, counts(session, viewer, now=now))


def counts(session: Session, viewer: User, *, now: datetime | None = None) -> dict[str, int]:
    """Open / overdue / due soon / closed, over the viewer's visible cases, as of `now`."""
    now = now or utcnow()
    out = {"open": 0, "overdue": 0, "due_soon": 0, "closed": 0, "on_hold": 0}
    rows = session.execute(case_access.visible_cases_query(viewer).where(
        CaseFile.regime == CaseRegime.WHISTLEBLOWING).with_only_columns(
        CaseFile.status, CaseFile.received_at, CaseFile.acknowledged_at, CaseFile.feedback_at,
        CaseFile.legal_hold, CaseFile.reopened_at, CaseFile.reopen_feedback_at, CaseFile.source)).all()
    for status, received, acked, fed, held, reopened, refed, source in rows:
        out["on_hold"] += bool(held)
        if status == CaseStatus.CLOSED:
            out["closed"] += 1
            continue
        out["open"] += 1
        state = deadline_view_of(status, received, acked, fed, now, reopened_at=reopened,
                                 reopen_feedback_at=refed, source=source).next_state
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
