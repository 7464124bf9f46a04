"""Who may see and handle a case file: the ONE place every case query goes through.

Rules (docs/cases.md explains why):

- A person EXCLUDED from a case (the person it concerns) or who RECUSED themselves never
  sees it, whatever roles they hold, admin and independent reviewer included: it is absent
  from lists, counts, search, alerts, audit rows and exports, and opening it is a 404.
- Staff holding the role the case was routed to (cases.routing) see it, and so does
  the assignee.
- The independent reviewer sees every case, CEO cases included, read-only; CEO cases are
  routed to them, so those they also handle.
- A case about the CEO is never visible to anyone holding the CEO role.
- Admins administer accounts and policies; they do not read cases unless they also hold a
  handling role (least privilege), and so cannot mark exclusions on them either.

Exclusions (docs/cases.md): only someone who can open a case marks one on it; the
independent reviewer is never excluded from a case about the CEO, and from any other case
only when a second person confirms (an `ExclusionRequest`: the CEO or the other reviewer,
cases.reviewer_oversight), after which they still see a stub of it and its exclusion's audit
rows; the independent reviewer lifts exclusions (and the CEO one of a reviewer's); and after
every exclusion, recusal, role change or disabling, every open case still has someone who
may handle it (`assert_no_orphans`).

`visibility_clause(user)` is the rule as a SQL condition; every list, count and lookup
builds on it, and `can_view` asks the database the same question for one case, so the
rule exists exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, Select, and_, delete, exists, false, or_, select, true
from sqlalchemy.orm import Session, aliased

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import seal_text
from models import (
    AuditEvent,
    CaseAlert,
    CaseCategory,
    CaseExclusion,
    CaseFile,
    CaseStatus,
    ExclusionKind,
    ExclusionRequest,
    Role,
    User,
    UserRole,
)

# Roles that receive cases through routing (cases.routing.ROUTES values).
ROUTED_ROLES = frozenset({Role.SAFEGUARDING_LEAD, Role.CASE_HANDLER, Role.CEO,
                          Role.INDEPENDENT_REVIEWER})
# Roles that may open the case pages at all.
CASE_ROLES = (Role.SAFEGUARDING_LEAD, Role.CASE_HANDLER, Role.CEO, Role.INDEPENDENT_REVIEWER)


class CaseNotFoundError(LookupError):
    """No such case, or the person may not know it exists (the same answer on purpose)."""


def _excluded(user_id: int) -> ColumnElement[bool]:
    # An alias, so the subquery still correlates when the outer query selects exclusions too.
    ex = aliased(CaseExclusion)
    return exists().where(ex.case_id == CaseFile.id, ex.user_id == user_id)


def visibility_clause(user: User) -> ColumnElement[bool]:
    """The visibility rule as a WHERE condition on CaseFile."""
    if not user.active:
        return false()
    roles = user.role_names
    grants: list[ColumnElement[bool]] = [CaseFile.assigned_to_id == user.id]
    if Role.INDEPENDENT_REVIEWER in roles:
        grants.append(true())
    held = sorted(roles & {Role.SAFEGUARDING_LEAD, Role.CASE_HANDLER, Role.CEO})
    if held:
        grants.append(CaseFile.routed_role.in_(held))
    clause = and_(~_excluded(user.id), or_(*grants))
    if Role.CEO in roles:
        clause = and_(clause, CaseFile.category != CaseCategory.CEO)
    return clause


def visible_cases_query(user: User) -> Select[CaseFile]:
    return select(CaseFile).where(visibility_clause(user))


def visible_case_ids(user: User) -> Select[int]:
    """For subqueries: `X.case_id.in_(visible_case_ids(user))`."""
    return select(CaseFile.id).where(visibility_clause(user))


def can_view(session: Session, user: User, case: CaseFile | int) -> bool:
    case_id = case if isinstance(case, int) else case.id
    found = session.scalar(select(CaseFile.id).where(CaseFile.id == case_id, visibility_clause(user)))
    return found is not None


def get_visible(session: Session, user: User, case_id: int) -> CaseFile:
    case = session.scalars(visible_cases_query(user).where(CaseFile.id == case_id)).first()
    if case is None:
        raise CaseNotFoundError(case_id)
    return case


def can_handle(session: Session, user: User, case: CaseFile) -> bool:
    """May change the case: sees it, it is not an anonymised stub, and holds the routed role
    or is the assignee. The reviewer only handles what is routed to them (CEO cases)."""
    if case.anonymised_at is not None or not can_view(session, user, case):
        return False
    if case.assigned_to_id == user.id:
        return True
    return case.routed_role in user.role_names


def is_excluded(session: Session, user_id: int, case_id: int) -> bool:
    return session.scalar(select(CaseExclusion.id).where(
        CaseExclusion.case_id == case_id, CaseExclusion.user_id == user_id)) is not None


# Entries about who is excluded from a case: they hold no case content, and an independent
# reviewer sees them on every case, also one they are excluded from (oversight of blinding).
EXCLUSION_ACTIONS = ("case.exclusion_requested", "case.exclusion_confirmed", "case.exclusion_rejected",
                     "case.exclusion_withdrawn", "case.exclusion_added", "case.exclusion_lifted", "case.recused")


def audit_rows_clause(user: User) -> ColumnElement[bool]:
    """Audit entries a person may see: those not tied to a case, or tied to a visible one
    (and, for an active independent reviewer, every exclusion entry)."""
    clause = or_(AuditEvent.case_id.is_(None), AuditEvent.case_id.in_(visible_case_ids(user)))
    if user.active and Role.INDEPENDENT_REVIEWER in user.role_names:
        clause = or_(clause, AuditEvent.action.in_(EXCLUSION_ACTIONS))
    return clause


# --- finding a case to mark an exclusion on ----------------------------------------------

def find_for_exclusion(session: Session, user: User, reference: str) -> CaseFile:
    """A case by reference, for someone who may mark an exclusion on it: only a person who can
    already open the case (the independent reviewer opens every case they are not excluded
    from). Anyone else gets CaseNotFoundError, exactly as for a reference that does not exist:
    the exclusions page never tells whether a case exists."""
    stmt = select(CaseFile).where(CaseFile.reference == reference.strip().upper()[:20],
                                  CaseFile.anonymised_at.is_(None), visibility_clause(user))
    case = session.scalars(stmt).first()
    if case is None:
        raise CaseNotFoundError(reference)
    return case


def may_receive(user: User, case: CaseFile, excluded_ids: set[int]) -> bool:
    """Could this person be assigned or alerted for this case? (In Python, for candidate
    lists; the same rule as visibility_clause plus holding the routed role.)"""
    if not user.active or user.id in excluded_ids:
        return False
    if case.category == CaseCategory.CEO and user.has_role(Role.CEO):
        return False
    return case.routed_role in user.role_names


def excluded_user_ids(session: Session, case_id: int) -> set[int]:
    return set(session.scalars(select(CaseExclusion.user_id).where(CaseExclusion.case_id == case_id)))


def eligible_handlers(session: Session, case: CaseFile) -> list[User]:
    """Active staff who may be assigned the case (hold its routed role, not excluded)."""
    excluded = excluded_user_ids(session, case.id)
    people = session.scalars(
        select(User).join(UserRole).where(UserRole.role == case.routed_role, User.active.is_(True))
        .order_by(User.display_name, User.id)
    ).unique()
    return [p for p in people if may_receive(p, case, excluded)]


# --- marking and lifting exclusions and recusals ----------------------------------------

class ExclusionError(ValueError):
    """Safe to show."""


class OrphanedCaseError(ExclusionError):
    """The change would leave an open case that nobody may handle. The message gives a count,
    never a reference: the person changing accounts may not know which cases exist."""

    def __init__(self, count: int) -> None:
        super().__init__(
            ngettext("Refused: this would leave %(num)d open case with nobody who may handle it, not even the "
                     "independent reviewer. Ask the independent reviewer to look first.",
                     "Refused: this would leave %(num)d open cases with nobody who may handle it, not even the "
                     "independent reviewer. Ask the independent reviewer to look first.", count))
        self.count = count


def apply_exclusion(session: Session, case: CaseFile, person: User, *, actor: User, kind: str,
                     reason: str, requested_by_id: int | None = None) -> CaseExclusion:
    reason = reason.strip()
    if len(reason) < 5:
        raise ExclusionError(_("Give a short reason (it is sealed and never shown to the person)."))
    if is_excluded(session, person.id, case.id):
        raise ExclusionError(_("That account is already excluded from this case."))
    row = CaseExclusion(case_id=case.id, user_id=person.id, kind=kind, reason_sealed=seal_text(reason[:2000]),
                        created_by_id=requested_by_id or actor.id,
                        confirmed_by_id=actor.id if requested_by_id else None)
    session.add(row)
    if case.assigned_to_id == person.id:
        case.assigned_to_id = None
    # Pending warnings would tell them the case exists.
    session.execute(delete(CaseAlert).where(CaseAlert.case_id == case.id,
                                            CaseAlert.user_id == person.id))
    session.flush()
    audit.record(session, "case.recused" if kind == ExclusionKind.RECUSED else "case.exclusion_added",
                 actor=actor, target_type="user", target_id=person.id, case_id=case.id,
                 details={"kind": kind})
    assert_no_orphans(session, actor=actor)
    return row


def exclude(session: Session, case: CaseFile, person: User, *, actor: User,
            reason: str) -> CaseExclusion | ExclusionRequest:
    """Mark `person` as excluded (the person the case concerns). Only someone who can already
    open the case may do it (so an exclusion can never hide a case its author could not
    see); the independent reviewer can never be excluded from a case about the CEO, and from
    another case only when a second person confirms (this returns the pending request); and
    the case must keep someone who may handle it (assert_no_orphans)."""
    if case.anonymised_at is not None or not can_view(session, actor, case):
        raise PermissionError(case.id)
    if person.id == actor.id:
        raise ExclusionError(_("To step back from a case yourself, use 'Recuse myself'."))
    if case.category == CaseCategory.CEO and person.has_role(Role.INDEPENDENT_REVIEWER):
        raise ExclusionError(_("The independent reviewer cannot be excluded from a case about the CEO: "
                               "they are the only person such a case goes to."))
    if person.has_role(Role.INDEPENDENT_REVIEWER):
        return _request_reviewer_exclusion(session, case, person, actor=actor, reason=reason)
    return apply_exclusion(session, case, person, actor=actor, kind=ExclusionKind.EXCLUDED, reason=reason)


def _request_reviewer_exclusion(session: Session, case: CaseFile, person: User, *, actor: User,
                                reason: str) -> ExclusionRequest:
    reason = reason.strip()
    if len(reason) < 5:
        raise ExclusionError(_("Give a short reason (the independent reviewer will see it)."))
    if is_excluded(session, person.id, case.id):
        raise ExclusionError(_("That account is already excluded from this case."))
    if session.scalar(select(ExclusionRequest.id).where(
            ExclusionRequest.case_id == case.id, ExclusionRequest.user_id == person.id,
            ExclusionRequest.status == "pending")) is not None:
        raise ExclusionError(_("Excluding that account already waits for a second person."))
    row = ExclusionRequest(case_id=case.id, user_id=person.id, reason_sealed=seal_text(reason[:2000]),
                           requested_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, "case.exclusion_requested", actor=actor, target_type="user", target_id=person.id,
                 case_id=case.id, details={"request": row.id})
    return row


def recuse(session: Session, case: CaseFile, *, actor: User, reason: str) -> CaseExclusion:
    """A handler steps back from a case; from then on they cannot see it either."""
    if not can_handle(session, actor, case):
        raise PermissionError(case.id)
    return apply_exclusion(session, case, actor, actor=actor, kind=ExclusionKind.RECUSED, reason=reason)


def can_lift(session: Session, user: User, row: CaseExclusion) -> bool:
    """The independent reviewer lifts an exclusion or recusal, and only on a case they can
    open themselves (so an excluded reviewer can never lift their own); the CEO who can open
    the case may also lift a reviewer's exclusion (with one reviewer, nobody else could)."""
    if not user.active or row.user_id == user.id or not can_view(session, user, row.case_id):
        return False
    if session.scalar(select(CaseFile.anonymised_at).where(CaseFile.id == row.case_id)) is not None:
        return False
    if user.has_role(Role.INDEPENDENT_REVIEWER):
        return True
    excluded = session.get(User, row.user_id)
    return (user.has_role(Role.CEO) and excluded is not None
            and excluded.has_role(Role.INDEPENDENT_REVIEWER))


def lift_exclusion(session: Session, exclusion_id: int, *, actor: User) -> CaseExclusion:
    """Undo an exclusion or recusal (LookupError when the viewer may not, as for none)."""
    row = session.get(CaseExclusion, exclusion_id)
    if row is None or not can_lift(session, actor, row):
        raise LookupError(exclusion_id)
    session.delete(row)
    session.flush()
    audit.record(session, "case.exclusion_lifted", actor=actor, target_type="user", target_id=row.user_id,
                 case_id=row.case_id, details={"kind": row.kind, "created_by": row.created_by_id})
    return row


@dataclass(frozen=True)
class ExclusionRow:
    exclusion: CaseExclusion
    reference: str
    email: str
    liftable: bool


def exclusions_visible_to(session: Session, user: User, limit: int = 200) -> list[ExclusionRow]:
    """Exclusions on the cases the viewer can open (none on a case they cannot: the page must
    not show that a case exists), newest first, with whether they may lift each."""
    stmt = (select(CaseExclusion, CaseFile.reference, User.email, User.display_name)
            .join(CaseFile, CaseFile.id == CaseExclusion.case_id)
            .join(User, User.id == CaseExclusion.user_id)
            .where(CaseFile.anonymised_at.is_(None), visibility_clause(user))
            .order_by(CaseExclusion.created_at.desc(), CaseExclusion.id.desc()).limit(limit))
    # Name and e-mail: a look-alike account cannot pass for someone else in the list.
    return [ExclusionRow(row, ref, f"{name} <{email}>", can_lift(session, user, row))
            for row, ref, email, name in session.execute(stmt)]


# --- the invariant: every open case has someone who may handle it --------------------------

def _may_handle_exists() -> ColumnElement[bool]:
    """SQL, correlated to CaseFile: some active person not excluded from the case may handle
    it (can_handle's rule: the assignee or a holder of the routed role, never someone holding
    the CEO role on a case about the CEO)."""
    held, ceo, ex = aliased(UserRole), aliased(UserRole), aliased(CaseExclusion)
    # Correlated by hand: SQLAlchemy correlates a subquery only to the statement directly
    # around it, and these sit two levels below the case row.
    return exists().where(
        User.active.is_(True),
        or_(User.id == CaseFile.assigned_to_id,
            exists().where(held.user_id == User.id, held.role == CaseFile.routed_role).correlate(CaseFile, User)),
        ~exists().where(ex.case_id == CaseFile.id, ex.user_id == User.id).correlate(CaseFile, User),
        or_(CaseFile.category != CaseCategory.CEO,
            ~exists().where(ceo.user_id == User.id, ceo.role == Role.CEO).correlate(User)),
    ).correlate(CaseFile)


def _open_cases() -> ColumnElement[bool]:
    return and_(CaseFile.status != CaseStatus.CLOSED, CaseFile.anonymised_at.is_(None))


def unhandled_case_ids(session: Session) -> list[int]:
    """Open cases that nobody may handle right now (should always be empty)."""
    return list(session.scalars(select(CaseFile.id).where(_open_cases(), ~_may_handle_exists())
                                .order_by(CaseFile.id)))


def assert_no_orphans(session: Session, *, actor: User | None) -> None:
    """Keep "every open case is visible to at least one active person who may handle it".

    Call it after any change to who may handle cases (an exclusion, a recusal, a role
    granted or removed, an account disabled), flushed, before the commit. A case the change
    left without a handler is re-routed to the independent reviewer, the contact table's
    last resort (audited `case.rerouted`); if even that leaves a case with nobody (no active,
    unexcluded reviewer), OrphanedCaseError is raised and the caller rolls back."""
    session.flush()
    stranded = session.scalars(select(CaseFile).where(_open_cases(), ~_may_handle_exists())
                               .order_by(CaseFile.id)).all()
    for case in stranded:
        if case.routed_role == Role.INDEPENDENT_REVIEWER:
            continue
        old, case.routed_role = case.routed_role, Role.INDEPENDENT_REVIEWER
        session.flush()
        audit.record(session, "case.rerouted", actor=actor, actor_label=None if actor else "system",
                     target_type="case", target_id=case.id, case_id=case.id,
                     details={"from": old, "to": case.routed_role, "why": "no_unconflicted_handler"})
    left = len(unhandled_case_ids(session)) if stranded else 0
    if left:
        raise OrphanedCaseError(left)
