"""Staff accounts: creation, e-mail, passwords (bcrypt).

Sign-in lives in signin.py, second factors in totp.py and recovery.py, sessions in
sessions.py, roles and disabling in grants.py.
"""

from __future__ import annotations

import functools
import hashlib

import bcrypt
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from c2c_safety.accounts import identity
from c2c_safety.audit import log as audit
from models import ROLES_REQUIRING_TOTP, Role, User, UserRole

BCRYPT_ROUNDS = 12
MIN_PASSWORD = 12
MAX_PASSWORD_BYTES = 72  # bcrypt ignores anything past 72 bytes; refuse rather than truncate
ALL_ROLES = tuple(r.value for r in Role)


class AccountError(ValueError):
    """A rule about accounts was broken; the message is safe to show."""


def normalise_email(email: str) -> str:
    return identity.normalise_email(email)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return f"Use at most {MAX_PASSWORD_BYTES} bytes (bcrypt's limit)."
    return None


def bcrypt_cost() -> int:
    """The cost every password hash is made (and every sign-in is checked) with."""
    return max(4, int(current_app.config["C2C"].bcrypt_rounds))


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(bcrypt_cost())).decode()


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"no account has this password", bcrypt.gensalt(rounds))


def hash_cost(password_hash: str) -> int | None:
    """The cost field of a bcrypt hash ("$2b$12$..." -> 12)."""
    parts = password_hash.split("$")
    return int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else None


def check_password(user: User | None, password: str) -> bool:
    """bcrypt-check a password. Unknown e-mails are checked against a dummy hash of the same
    cost as real ones (real hashes are brought to that cost at sign-in, see needs_rehash), so
    both answers take the same time and do not tell who has an account."""
    candidate = password.encode("utf-8")[:MAX_PASSWORD_BYTES]
    dummy = _dummy_hash(bcrypt_cost())  # made on the first check, known e-mail or not
    if user is None:
        bcrypt.checkpw(candidate, dummy)
        return False
    return bcrypt.checkpw(candidate, user.password_hash.encode())


def needs_rehash(user: User) -> bool:
    return hash_cost(user.password_hash) != bcrypt_cost()


def requires_totp(user: User) -> bool:
    """Every staff role needs a second factor (models.ROLES_REQUIRING_TOTP holds all roles);
    an account whose roles are all still pending grants is staff too."""
    return not user.roles or bool(user.role_names & {r.value for r in ROLES_REQUIRING_TOTP})


def account_key(email: str) -> str:
    """A hash naming an e-mail in throttles and audit rows without the address itself."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def validate_roles(roles: list[str], *, allow_empty: bool = False) -> list[str]:
    unknown = sorted(set(roles) - set(ALL_ROLES))
    if unknown:
        raise AccountError(_("Unknown role(s): %(unknown)s. Known: %(known)s.", unknown=", ".join(unknown),
                             known=", ".join(ALL_ROLES)))
    if not roles and not allow_empty:
        raise AccountError(_("Give at least one role."))
    return sorted(set(roles))


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalise_email(email))).first()


def get_for_sign_in(session: Session, email: str) -> User | None:
    """The account for a password step: one query, roles not loaded (not needed to check a
    password; the same work whether or not the account exists)."""
    return session.scalars(select(User).where(User.email == normalise_email(email)[:254])
                           .options(lazyload(User.roles))).first()


def create_user(
    session: Session,
    email: str,
    password: str,
    roles: list[str],
    *,
    display_name: str = "",
    actor: User | None = None,
    actor_label: str | None = None,
    allow_no_roles: bool = False,
) -> User:
    """Create an account with these roles, applied at once. Only the server's CLI (the trust
    root), the demo and tests call this directly; the admin pages go through
    grants.create_account, which turns privileged roles into pending grants."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(_("Give a valid e-mail address."))
    try:  # issue 20 item 5: no invisible characters, no look-alikes of an existing account
        identity.refuse_invisible(email)  # before any query: PostgreSQL refuses NUL in a parameter
        if get_by_email(session, email) is not None:
            raise AccountError(_("An account with that e-mail already exists."))
        email = identity.check_email(session, email)
        name = identity.check_name(session, display_name or email.split("@")[0])
    except identity.IdentityError as exc:
        raise AccountError(str(exc)) from None
    if len(name) > 120:
        raise AccountError(_("Give a shorter name (at most 120 characters)."))
    user = User(email=email, display_name=name, password_hash=hash_password(password))
    user.roles = [UserRole(role=r) for r in validate_roles(roles, allow_empty=allow_no_roles)]
    session.add(user)
    session.flush()
    audit.record(session, "account.created", actor=actor, actor_label=actor_label,
                 target_type="user", target_id=user.id, details={"roles": sorted(user.role_names)})
    return user


def set_password(session: Session, user: User, new: str) -> None:
    """Store a new password. The caller has checked the current one and ends the account's
    other sessions (own_account.change_password)."""
    user.password_hash = hash_password(new)
    audit.record(session, "account.password_changed", actor=user, target_type="user",
                 target_id=user.id)
