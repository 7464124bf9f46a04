"""Oversight cannot be removed or blinded (issue 20, item 2).

The invariant: at every moment there is at least one active independent reviewer (one who
does not also hold the CEO role, which hides cases about the CEO), and every open case is
readable by one, unless each reviewer's exclusion from it was confirmed by a second person
(or they recused themselves) — and then they still see a stub of it ("a case you are
excluded from, by whom, when, why") and the exclusion's audit rows.

- Role removals, disablings, and grants (the CEO role given to a reviewer) are checked
  against a `snapshot` taken before the change: the last reviewer cannot go, and no open
  case readable by a reviewer before may be readable by none after (accounts.grants).
- Excluding a reviewer from a case is an `ExclusionRequest` (cases.access.exclude) until the
  CEO or the other reviewer confirms it here; neither the requester nor the reviewer
  concerned decides, the requester may withdraw it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access
from c2c_safety.core.crypto import open_text
from models import (
    CaseCategory,
    CaseExclusion,
    CaseFile,
    CaseStatus,
    ExclusionKind,
    ExclusionRequest,
    Role,
    User,
    UserRole,
    utcnow,
)

REVIEWER = Role.INDEPENDENT_REVIEWER.value
CEO = Role.CEO.value


class OversightError(ValueError):
    """Safe to show: gives counts, never a case reference."""


def overseers(session: Session) -> list[User]:
    """Active independent reviewers who can read every case they are not excluded from."""
    people = session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                             .where(User.active.is_(True), UserRole.role == REVIEWER)
                             .order_by(User.id)).unique()
    return [u for u in people if CEO not in u.role_names]


def unread_case_ids(session: Session) -> set[int]:
    """Open cases that no active independent reviewer can read right now."""
    open_ids = set(session.scalars(select(CaseFile.id).where(
        CaseFile.status != CaseStatus.CLOSED, CaseFile.anonymised_at.is_(None))))
    for reviewer in overseers(session):
        if not open_ids:
            break
        open_ids -= set(session.scalars(access.visible_case_ids(reviewer)))
    return open_ids


@dataclass(frozen=True)
class Snapshot:
    had_overseer: bool
    unread: frozenset[int]


def snapshot(session: Session) -> Snapshot:
    """Taken before a change to roles or accounts, for `assert_kept`."""
    return Snapshot(bool(overseers(session)), frozenset(unread_case_ids(session)))


def assert_kept(session: Session, before: Snapshot) -> None:
    """Refuse (the caller rolls back) a change that removes the last reviewer or leaves an open
    case that a reviewer could read readable by none."""
    session.flush()
    session.expire_all()  # roles and flags changed through the ORM are read back from the database
    if before.had_overseer and not overseers(session):
        raise OversightError(
            _("Refused: this would leave the desk without an active independent reviewer. Appoint the "
              "new reviewer first (the current reviewer confirms and the new one accepts it), then change this."))
    newly = unread_case_ids(session) - before.unread
    if newly:
        raise OversightError(
            ngettext("Refused: %(num)d open case would be readable by no independent reviewer.",
                     "Refused: %(num)d open cases would be readable by no independent reviewer.", len(newly)))


# --- excluding a reviewer needs a second person ------------------------------------------

PENDING = "pending"


def may_see_request(session: Session, req: ExclusionRequest, actor: User) -> bool:
    """Who can open the case sees the request; so does the CEO, the second person with a single
    reviewer, on a case they are not excluded from and that is not about the CEO (they see the
    request, not the case: most cases are not routed to the CEO)."""
    if not actor.active:
        return False
    if access.can_view(session, actor, req.case_id):
        return True
    case = session.get(CaseFile, req.case_id)
    return (actor.has_role(CEO) and case is not None and case.category != CaseCategory.CEO
            and not access.is_excluded(session, actor.id, req.case_id))


def why_not_decide(session: Session, req: ExclusionRequest, actor: User, *, rejecting: bool = False) -> str | None:
    if req.status != PENDING:
        return str(_("This request has already been decided."))
    if actor.id == req.user_id:
        return str(_("You cannot decide on your own exclusion."))
    if not actor.has_role(CEO, REVIEWER) or not may_see_request(session, req, actor):
        return str(_("Only the CEO or the other independent reviewer can decide on this."))
    if not actor.has_role(CEO) and not access.can_view(session, actor, req.case_id):
        return str(_("Only the CEO or the other independent reviewer can decide on this."))
    if not rejecting and actor.id == req.requested_by_id:
        return str(_("A second person must confirm the exclusion you asked for."))
    return None


def _get(session: Session, request_id: int, actor: User) -> ExclusionRequest:
    req = session.scalars(select(ExclusionRequest).where(ExclusionRequest.id == request_id)
                          .with_for_update(of=ExclusionRequest)).first()
    # Someone who may not see it is told nothing about it (the same as no request).
    if req is None or not may_see_request(session, req, actor):
        raise LookupError(request_id)
    return req


def confirm(session: Session, request_id: int, *, actor: User) -> CaseExclusion:
    req = _get(session, request_id, actor)
    reason = why_not_decide(session, req, actor)
    if reason:
        raise access.ExclusionError(reason)
    case, person = session.get(CaseFile, req.case_id), session.get(User, req.user_id)
    if case is None or person is None or case.anonymised_at is not None:
        raise LookupError(request_id)
    row = access.apply_exclusion(session, case, person, actor=actor, kind=ExclusionKind.EXCLUDED,
                                 reason=open_text(req.reason_sealed) or "", requested_by_id=req.requested_by_id)
    req.status, req.decided_by_id, req.decided_at = "confirmed", actor.id, utcnow()
    audit.record(session, "case.exclusion_confirmed", actor=actor, target_type="user", target_id=person.id,
                 case_id=case.id, details={"request": req.id, "requested_by": req.requested_by_id})
    return row


def reject(session: Session, request_id: int, *, actor: User) -> ExclusionRequest:
    """Turn it down (the CEO or the other reviewer) or withdraw it (who asked)."""
    req = _get(session, request_id, actor)
    withdrawing = actor.id == req.requested_by_id and req.status == PENDING
    if not withdrawing:
        reason = why_not_decide(session, req, actor, rejecting=True)
        if reason:
            raise access.ExclusionError(reason)
    req.status = "withdrawn" if withdrawing else "rejected"
    req.decided_by_id, req.decided_at = actor.id, utcnow()
    audit.record(session, "case.exclusion_withdrawn" if withdrawing else "case.exclusion_rejected",
                 actor=actor, target_type="user", target_id=req.user_id, case_id=req.case_id,
                 details={"request": req.id})
    return req


@dataclass(frozen=True)
class RequestRow:
    request: ExclusionRequest
    reference: str
    person: str  # name and e-mail
    requested_by: str
    may_confirm: bool
    may_reject: bool


def _label(user: User | None) -> str:
    if user is None:
        return "(deleted account)"
    return f"{user.display_name} <{user.email}>" if user.display_name else user.email


def pending_visible_to(session: Session, user: User) -> list[RequestRow]:
    """Pending requests the viewer may see (`may_see_request`), with what they may do; the
    reference only where they can open the case."""
    stmt = (select(ExclusionRequest, CaseFile.reference).join(CaseFile, CaseFile.id == ExclusionRequest.case_id)
            .where(ExclusionRequest.status == PENDING)
            .order_by(ExclusionRequest.requested_at.desc(), ExclusionRequest.id.desc()))
    out = []
    for req, reference in session.execute(stmt):
        if not may_see_request(session, req, user):
            continue
        ref = reference if access.can_view(session, user, req.case_id) else "a case you cannot open"
        person = session.get(User, req.user_id)
        asker = session.get(User, req.requested_by_id) if req.requested_by_id else None
        may_reject = (req.requested_by_id == user.id
                      or why_not_decide(session, req, user, rejecting=True) is None)
        out.append(RequestRow(req, ref, _label(person), _label(asker),
                              why_not_decide(session, req, user) is None, may_reject))
    return out


@dataclass(frozen=True)
class Stub:
    """What an excluded reviewer sees of a case they cannot open."""

    exclusion_id: int
    kind: str
    by: str
    confirmed_by: str | None
    at: str
    why: str


def stubs_for(session: Session, user: User) -> list[Stub]:
    """Every case an independent reviewer is excluded from: by whom, when, why (no reference,
    nothing of the case itself)."""
    if not user.has_role(REVIEWER):
        return []
    rows = session.scalars(select(CaseExclusion).join(CaseFile, CaseFile.id == CaseExclusion.case_id)
                           .where(and_(CaseExclusion.user_id == user.id, CaseFile.anonymised_at.is_(None)))
                           .order_by(CaseExclusion.created_at.desc(), CaseExclusion.id.desc()))
    out = []
    for row in rows:
        by = session.get(User, row.created_by_id) if row.created_by_id else None
        confirmed = session.get(User, row.confirmed_by_id) if row.confirmed_by_id else None
        out.append(Stub(row.id, row.kind, _label(by), _label(confirmed) if confirmed else None,
                        row.created_at.strftime("%Y-%m-%d %H:%M UTC"), open_text(row.reason_sealed) or ""))
    return out
