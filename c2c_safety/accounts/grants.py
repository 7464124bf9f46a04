"""Roles: nobody grants themselves power.

- No one changes their own roles (nor disables their own account).
- Moderator and case handler roles are given by an admin at once. Admin, CEO, safeguarding
  lead and independent reviewer are *requested* by an admin and take effect only when a
  second person confirms. A small organisation may have one admin, so the second person is
  (`confirmers`): for admin and CEO, another admin, the CEO or the independent reviewer; for
  the safeguarding lead (appointing a deputy lead), also a current safeguarding lead; for the
  independent reviewer, the current independent reviewer, and the incoming reviewer must
  accept the role themselves after signing in. Neither the requester nor the person
  concerned can confirm.
- Removing a role or disabling an account is not an escalation and happens at once, but
  the last active admin cannot lose the role or be disabled, and oversight cannot be
  removed or blinded (`cases.reviewer_oversight`): the last active independent reviewer
  cannot lose the role, be disabled or be made CEO, and no change may leave an open case
  that an independent reviewer could read unreadable by every reviewer.
- Every change (request, confirmation, rejection, withdrawal, grant, removal, disabling)
  is audited and listed on the independent reviewer's pages; each effective change ends
  the person's sessions so it applies at once.
- Trust root: on the server, `flask users create` and `flask users grant` apply roles
  directly (audited as "cli"). That is how the first admin and the first independent
  reviewer come to exist: whoever has a shell on the server already holds the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.accounts import invitations, sessions
from c2c_safety.accounts.users import AccountError, create_user, validate_roles
from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases import reviewer_oversight
from models import PRIVILEGED_ROLES, AuditEvent, GrantStatus, Role, RoleGrant, User, UserRole, utcnow

PRIVILEGED = frozenset(r.value for r in PRIVILEGED_ROLES)
ADMIN = Role.ADMIN.value
REVIEWER = Role.INDEPENDENT_REVIEWER.value
CEO = Role.CEO.value
LEAD = Role.SAFEGUARDING_LEAD.value
# Roles the incoming person must accept themselves (after signing in) before they apply.
NEEDS_ACCEPTANCE = frozenset({REVIEWER})
# A request nobody confirmed in two weeks is stale: ask again.
GRANT_LIFETIME = timedelta(days=14)
HISTORY_ACTIONS = (
    "account.created", "account.role_requested", "account.role_confirmed", "account.role_rejected",
    "account.role_withdrawn", "account.role_granted", "account.role_revoked", "account.enabled",
    "account.disabled", "account.totp_reset", "account.role_seconded", "account.role_accepted",
    "account.role_declined", "account.invited", "account.invitation_used",
)


@dataclass
class RoleChange:
    granted: list[str] = field(default_factory=list)  # applied at once
    requested: list[str] = field(default_factory=list)  # wait for a second person
    revoked: list[str] = field(default_factory=list)
    already_pending: list[str] = field(default_factory=list)


def _not_self(actor: User, user: User) -> None:
    if actor.id == user.id:
        raise AccountError(_("You cannot change your own roles; another admin must."))


def _keep_cases_handled(session: Session, actor: User | None) -> None:
    """Every open case must keep someone who may handle it (issue 10): cases the change left
    without one go to the independent reviewer, and if not even that is possible the change
    is refused (the caller rolls back)."""
    try:
        case_access.assert_no_orphans(session, actor=actor)
    except case_access.OrphanedCaseError as exc:
        raise AccountError(str(exc)) from None


def _keep_oversight(session: Session, before: reviewer_oversight.Snapshot) -> None:
    try:
        reviewer_oversight.assert_kept(session, before)
    except reviewer_oversight.OversightError as exc:
        raise AccountError(str(exc)) from None


def _require_admin(actor: User) -> None:
    if not (actor.active and actor.has_role(ADMIN)):
        raise AccountError(_("Only an admin can change roles."))


def other_active_admins(session: Session, user: User) -> int:
    # Locks the admins' rows: two admins disabling each other at once cannot both pass.
    ids = session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == ADMIN, User.active.is_(True), User.id != user.id)
        .with_for_update(of=User))
    return len(set(ids))


def _keep_an_admin(session: Session, user: User) -> None:
    if user.active and user.has_role(ADMIN) and other_active_admins(session, user) == 0:
        raise AccountError(_("This is the last active admin: make someone else admin first."))


def _add(session: Session, user: User, role: str) -> None:
    if role not in user.role_names:
        user.roles.append(UserRole(role=role))
        session.flush()


def _remove(session: Session, user: User, role: str) -> None:
    for row in [r for r in user.roles if r.role == role]:
        user.roles.remove(row)
    session.flush()


def _pending_grant(session: Session, user: User, role: str) -> RoleGrant | None:
    return session.scalars(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role,
        RoleGrant.status == GrantStatus.PENDING)).first()


def _request(session: Session, user: User, role: str, actor: User) -> RoleGrant:
    grant = RoleGrant(user_id=user.id, role=role, requested_by_id=actor.id, requested_at=utcnow())
    session.add(grant)
    session.flush()
    audit.record(session, "account.role_requested", actor=actor, target_type="user",
                 target_id=user.id, details={"role": role, "grant": grant.id})
    return grant


def change_roles(session: Session, user: User, wanted: list[str], *, actor: User) -> RoleChange:
    """An admin sets someone's roles: removals and ordinary roles apply now, privileged roles
    become pending grants."""
    new = set(validate_roles(wanted, allow_empty=True))
    old = set(user.role_names)
    change = RoleChange()
    if new == old:
        return change
    _not_self(actor, user)
    _require_admin(actor)
    before = reviewer_oversight.snapshot(session)
    if ADMIN in old - new:
        _keep_an_admin(session, user)
    for role in sorted(old - new):
        _remove(session, user, role)
        change.revoked.append(role)
        audit.record(session, "account.role_revoked", actor=actor, target_type="user",
                     target_id=user.id, details={"role": role})
    for role in sorted(new - old):
        if role not in PRIVILEGED:
            _add(session, user, role)
            change.granted.append(role)
            audit.record(session, "account.role_granted", actor=actor, target_type="user",
                         target_id=user.id, details={"role": role})
        elif _pending_grant(session, user, role) is not None:
            change.already_pending.append(role)
        else:
            _request(session, user, role, actor)
            change.requested.append(role)
    if change.granted or change.revoked:
        _keep_cases_handled(session, actor)
        _keep_oversight(session, before)
        sessions.revoke_all(session, user.id)  # the change applies at once
    return change


def create_account(session: Session, email: str, roles: list[str], *,
                   display_name: str, actor: User) -> tuple[User, RoleChange, str]:
    """An admin creates an account: ordinary roles at once, privileged ones as pending grants.
    The account has a password nobody knows; the person chooses theirs with the invitation
    link returned here (shown once to the admin, who sends it on)."""
    _require_admin(actor)
    wanted = validate_roles(roles)
    direct = [r for r in wanted if r not in PRIVILEGED]
    user = create_user(session, email, invitations.unusable_password(), direct, display_name=display_name,
                       actor=actor, allow_no_roles=True)
    token = invitations.issue(session, user, actor=actor)
    change = RoleChange(granted=direct)
    for role in wanted:
        if role in PRIVILEGED:
            _request(session, user, role, actor)
            change.requested.append(role)
    return user, change, token


def confirmers(session: Session, role: str) -> list[User]:
    """Who may be the second person for a grant of `role` (before excluding the requester and
    the person concerned): see the module's docstring."""
    if role == REVIEWER:
        wanted = {REVIEWER} if reviewer_oversight.overseers(session) else {ADMIN, CEO}
    elif role == LEAD:
        wanted = {ADMIN, CEO, REVIEWER, LEAD}
    else:
        wanted = {ADMIN, CEO, REVIEWER}
    return list(session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                .where(User.active.is_(True), UserRole.role.in_(sorted(wanted)))
                                .order_by(User.id)).unique())


def may_second(session: Session, role: str, actor: User) -> bool:
    return actor.active and any(u.id == actor.id for u in confirmers(session, role))


def why_not_confirm(session: Session, grant: RoleGrant, actor: User, *, rejecting: bool = False) -> str | None:
    """Why `actor` may not confirm (or reject) this grant as its second person, or None if they may."""
    if grant.status != GrantStatus.PENDING:
        return _("This request has already been decided.")
    if actor.id == grant.user_id:
        return _("You cannot decide on a role for yourself.")
    if not actor.active:
        return _("Your account is disabled.")
    if not may_second(session, grant.role, actor):
        if grant.role == REVIEWER:
            return _("Only the current independent reviewer can decide on this role.")
        return _("Only another admin, the CEO or the independent reviewer can decide on this role.")
    if rejecting:
        return None
    if actor.id == grant.requested_by_id:
        return _("A second person must confirm the role you asked for.")
    if grant.seconded_by_id is not None:
        return _("Already confirmed; it waits for the person to accept it.")
    return _still_valid(session, grant)


def _still_valid(session: Session, grant: RoleGrant) -> str | None:
    if utcnow() - grant.requested_at > GRANT_LIFETIME:
        return _("This request is more than 14 days old; ask for the role again.")
    asker = grant.requested_by
    if asker is None or not asker.active or not asker.has_role(ADMIN):
        # Two people must stand behind a grant; one who lost admin meanwhile no longer does.
        return _("The admin who asked for this role no longer is one; ask again.")
    user = session.get(User, grant.user_id)
    if user is None or not user.active:
        return _("That account is disabled.")
    return None


def why_not_accept(session: Session, grant: RoleGrant, actor: User) -> str | None:
    if grant.status != GrantStatus.PENDING or grant.role not in NEEDS_ACCEPTANCE:
        return _("There is nothing for you to accept.")
    if actor.id != grant.user_id:
        return _("Only the person asked can accept a role.")
    if grant.accepted_at is not None:
        return _("You have accepted it; it waits for the second person.")
    return _still_valid(session, grant)


def awaiting_acceptance(session: Session, user: User) -> list[RoleGrant]:
    """Grants the person themselves must accept (shown after they sign in)."""
    return list(session.scalars(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.status == GrantStatus.PENDING,
        RoleGrant.role.in_(sorted(NEEDS_ACCEPTANCE)), RoleGrant.accepted_at.is_(None))
        .order_by(RoleGrant.id)))


@dataclass(frozen=True)
class GrantOptions:
    """What one person may do with one pending grant (for the buttons on the pages)."""

    cannot_confirm: str | None  # why not; None: they may confirm
    may_reject: bool
    withdraws: bool  # rejecting it is withdrawing their own request


def options_for(session: Session, pending: list[RoleGrant], actor: User) -> dict[int, GrantOptions]:
    out = {}
    for g in pending:
        withdraws = g.requested_by_id == actor.id
        out[g.id] = GrantOptions(
            cannot_confirm=why_not_confirm(session, g, actor),
            may_reject=withdraws or why_not_confirm(session, g, actor, rejecting=True) is None,
            withdraws=withdraws)
    return out


def _get(session: Session, grant_id: int) -> RoleGrant:
    # Locked so that two people deciding at once cannot both act on a pending grant.
    grant = session.scalars(select(RoleGrant).where(RoleGrant.id == grant_id)
                            .with_for_update(of=RoleGrant)).first()
    if grant is None:
        raise LookupError(grant_id)
    return grant


def _apply(session: Session, grant: RoleGrant, actor: User) -> None:
    user = session.get(User, grant.user_id)
    assert user is not None  # _still_valid checked it
    before = reviewer_oversight.snapshot(session)
    _add(session, user, grant.role)
    _keep_cases_handled(session, actor)  # e.g. the CEO role given to the reviewer hides CEO cases from them
    _keep_oversight(session, before)
    grant.status, grant.decided_at = GrantStatus.CONFIRMED, utcnow()
    grant.decided_by_id = grant.seconded_by_id if grant.role in NEEDS_ACCEPTANCE else actor.id
    sessions.revoke_all(session, user.id)
    audit.record(session, "account.role_confirmed", actor=actor, target_type="user", target_id=user.id,
                 details={"role": grant.role, "grant": grant.id, "requested_by": grant.requested_by_id,
                          "confirmed_by": grant.decided_by_id,
                          "accepted": grant.accepted_at is not None})


def confirm(session: Session, grant_id: int, *, actor: User) -> RoleGrant:
    """The second person confirms. A role that needs the person's acceptance applies once they
    have accepted it too (in either order)."""
    grant = _get(session, grant_id)
    reason = why_not_confirm(session, grant, actor)
    if reason:
        raise AccountError(reason)
    if grant.role in NEEDS_ACCEPTANCE:
        grant.seconded_by_id, grant.seconded_at = actor.id, utcnow()
        session.flush()
        audit.record(session, "account.role_seconded", actor=actor, target_type="user",
                     target_id=grant.user_id, details={"role": grant.role, "grant": grant.id})
        if grant.accepted_at is None:
            return grant
    _apply(session, grant, actor)
    return grant


def accept(session: Session, grant_id: int, *, actor: User) -> RoleGrant:
    """The incoming independent reviewer accepts the role themselves."""
    grant = _get(session, grant_id)
    reason = why_not_accept(session, grant, actor)
    if reason:
        raise AccountError(reason)
    grant.accepted_at = utcnow()
    session.flush()
    audit.record(session, "account.role_accepted", actor=actor, target_type="user", target_id=actor.id,
                 details={"role": grant.role, "grant": grant.id})
    if grant.seconded_by_id is not None:
        _apply(session, grant, actor)
    return grant


def decline(session: Session, grant_id: int, *, actor: User) -> RoleGrant:
    grant = _get(session, grant_id)
    if grant.status != GrantStatus.PENDING or grant.user_id != actor.id or grant.role not in NEEDS_ACCEPTANCE:
        raise AccountError(_("There is nothing for you to decline."))
    grant.status, grant.decided_by_id, grant.decided_at = GrantStatus.REJECTED, actor.id, utcnow()
    audit.record(session, "account.role_declined", actor=actor, target_type="user", target_id=actor.id,
                 details={"role": grant.role, "grant": grant.id})
    return grant


def reject(session: Session, grant_id: int, *, actor: User) -> RoleGrant:
    """Turn a request down (someone who could confirm it) or withdraw it (who asked)."""
    grant = _get(session, grant_id)
    if grant.status != GrantStatus.PENDING:
        raise AccountError(_("This request has already been decided."))
    withdrawing = actor.id == grant.requested_by_id
    if not withdrawing:
        reason = why_not_confirm(session, grant, actor, rejecting=True)
        if reason:
            raise AccountError(reason)
    grant.status = GrantStatus.WITHDRAWN if withdrawing else GrantStatus.REJECTED
    grant.decided_by_id, grant.decided_at = actor.id, utcnow()
    audit.record(session, "account.role_withdrawn" if withdrawing else "account.role_rejected",
                 actor=actor, target_type="user", target_id=grant.user_id,
                 details={"role": grant.role, "grant": grant.id})
    return grant


def set_active(session: Session, user: User, active: bool, *, actor: User) -> None:
    if user.active == active:
        return
    if user.id == actor.id:
        raise AccountError(_("You cannot disable your own account."))
    _require_admin(actor)
    before = reviewer_oversight.snapshot(session)
    if not active:
        _keep_an_admin(session, user)
    user.active = active
    _keep_cases_handled(session, actor)
    _keep_oversight(session, before)
    sessions.revoke_all(session, user.id)
    audit.record(session, "account.enabled" if active else "account.disabled", actor=actor,
                 target_type="user", target_id=user.id)


def grant_from_server(session: Session, user: User, role: str) -> None:
    """`flask users grant`: the server's shell is the trust root."""
    validate_roles([role])
    _add(session, user, role)
    pending = _pending_grant(session, user, role)
    if pending is not None:
        pending.status, pending.decided_at = GrantStatus.CONFIRMED, utcnow()
    _keep_cases_handled(session, None)
    sessions.revoke_all(session, user.id)
    audit.record(session, "account.role_granted", actor_label="cli", target_type="user",
                 target_id=user.id, details={"role": role})


def pending_grants(session: Session) -> list[RoleGrant]:
    return list(session.scalars(select(RoleGrant).where(RoleGrant.status == GrantStatus.PENDING)
                                .order_by(RoleGrant.requested_at, RoleGrant.id)))


def has_active_reviewer(session: Session) -> bool:
    return bool(reviewer_oversight.overseers(session))


def thin_confirmers(session: Session, actor: User) -> dict[str, int]:
    """For the admin's warning: privileged roles for which fewer than two people other than
    `actor` (who would ask) could confirm a grant, with how many could."""
    out = {}
    for role in sorted(PRIVILEGED):
        n = sum(1 for u in confirmers(session, role) if u.id != actor.id)
        if n < 2:
            out[role] = n
    return out


def history(session: Session, limit: int = 300) -> list[AuditEvent]:
    """Every role and account-status change, newest first (from the audit trail)."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action.in_(HISTORY_ACTIONS))
                                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))
