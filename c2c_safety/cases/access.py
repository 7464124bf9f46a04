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
  handling role (least privilege). They can still mark an exclusion by case reference.

`visibility_clause(user)` is the rule as a SQL condition; every list, count and lookup
builds on it, and `can_view` asks the database the same question for one case, so the
rule exists exactly once.
"""

from __future__ import annotations

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
    ExclusionKind,
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


def audit_rows_clause(user: User) -> ColumnElement[bool]:
    """Audit entries a person may see: those not tied to a case, or tied to a visible one."""
    return or_(AuditEvent.case_id.is_(None), AuditEvent.case_id.in_(visible_case_ids(user)))


# --- administering exclusions without reading the case --------------------------------

def can_administer_exclusions(user: User) -> bool:
    return user.has_role(Role.ADMIN, Role.SAFEGUARDING_LEAD, Role.CASE_HANDLER, Role.CEO)


def find_for_exclusion(session: Session, user: User, reference: str) -> CaseFile:
    """A case by reference for marking an exclusion. Admins get the reference only, never the
    contents; someone excluded from the case (or the CEO for a CEO case) gets CaseNotFoundError,
    exactly as for a reference that does not exist."""
    if not can_administer_exclusions(user):
        raise CaseNotFoundError(reference)
    stmt = select(CaseFile).where(CaseFile.reference == reference.strip().upper(),
                                  ~_excluded(user.id), CaseFile.anonymised_at.is_(None))
    if user.has_role(Role.CEO):
        stmt = stmt.where(CaseFile.category != CaseCategory.CEO)
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


# --- marking exclusions and recusals ---------------------------------------------------

class ExclusionError(ValueError):
    """Safe to show."""


def _apply_exclusion(session: Session, case: CaseFile, person: User, *, actor: User, kind: str,
                     reason: str) -> CaseExclusion:
    reason = reason.strip()
    if len(reason) < 5:
        raise ExclusionError("Give a short reason (it is sealed and never shown to the person).")
    if is_excluded(session, person.id, case.id):
        raise ExclusionError("That account is already excluded from this case.")
    row = CaseExclusion(case_id=case.id, user_id=person.id, kind=kind, reason_sealed=seal_text(reason[:2000]),
                        created_by_id=actor.id)
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
    _reroute_if_nobody_left(session, case, actor)
    return row


def _reroute_if_nobody_left(session: Session, case: CaseFile, actor: User) -> None:
    """If the conflict leaves nobody in the routed role to handle the case, it goes to the
    independent reviewer, as a case about the CEO does (the contact table's last resort)."""
    if case.routed_role == Role.INDEPENDENT_REVIEWER or eligible_handlers(session, case):
        return
    old = case.routed_role
    case.routed_role = Role.INDEPENDENT_REVIEWER
    session.flush()
    audit.record(session, "case.rerouted", actor=actor, target_type="case", target_id=case.id,
                 case_id=case.id, details={"from": old, "to": case.routed_role,
                                           "why": "no_unconflicted_handler"})


def exclude(session: Session, case: CaseFile, person: User, *, actor: User, reason: str) -> CaseExclusion:
    """Mark `person` as excluded (the person the case concerns). Handlers of the case do it
    from the case page; admins and handlers by reference (find_for_exclusion)."""
    if not (can_handle(session, actor, case) or can_administer_exclusions(actor)):
        raise PermissionError(case.id)
    if person.id == actor.id:
        raise ExclusionError("To step back from a case yourself, use 'Recuse myself'.")
    return _apply_exclusion(session, case, person, actor=actor, kind=ExclusionKind.EXCLUDED, reason=reason)


def recuse(session: Session, case: CaseFile, *, actor: User, reason: str) -> CaseExclusion:
    """A handler steps back from a case; from then on they cannot see it either."""
    if not can_handle(session, actor, case):
        raise PermissionError(case.id)
    return _apply_exclusion(session, case, actor, actor=actor, kind=ExclusionKind.RECUSED, reason=reason)


def exclusions_made_by_or_visible(session: Session, user: User) -> list[tuple[CaseExclusion, str, str]]:
    """Exclusions to list on the exclusions page: (row, case reference, person's e-mail),
    only for cases the viewer is not excluded from themselves."""
    stmt = (select(CaseExclusion, CaseFile.reference, User.email)
            .join(CaseFile, CaseFile.id == CaseExclusion.case_id)
            .join(User, User.id == CaseExclusion.user_id)
            .where(~_excluded(user.id), CaseFile.anonymised_at.is_(None))
            .order_by(CaseExclusion.created_at.desc()).limit(200))
    if user.has_role(Role.CEO):
        stmt = stmt.where(CaseFile.category != CaseCategory.CEO)
    return [(r[0], r[1], r[2]) for r in session.execute(stmt)]
