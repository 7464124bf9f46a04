"""Staff accounts: passwords (bcrypt), roles, two-factor (TOTP) and the sign-in throttle."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import bcrypt
import pyotp
from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import keyring
from models import ROLES_REQUIRING_TOTP, LoginFailure, Role, User, UserRole, utcnow

BCRYPT_ROUNDS = 12
MIN_PASSWORD = 12
MAX_PASSWORD_BYTES = 72  # bcrypt ignores anything past 72 bytes; refuse rather than truncate
ALL_ROLES = tuple(r.value for r in Role)
# Checked against on unknown e-mails so that timing does not reveal which accounts exist.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(4))


class AccountError(ValueError):
    """A rule about accounts was broken; the message is safe to show."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return f"Use at most {MAX_PASSWORD_BYTES} bytes (bcrypt's limit)."
    return None


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    rounds = max(4, current_app.config["C2C"].bcrypt_rounds)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode()


def check_password(user: User | None, password: str) -> bool:
    candidate = password.encode("utf-8")[:MAX_PASSWORD_BYTES]
    if user is None:
        bcrypt.checkpw(candidate, _DUMMY_HASH)
        return False
    return bcrypt.checkpw(candidate, user.password_hash.encode())


def requires_totp(user: User) -> bool:
    return bool(user.role_names & {r.value for r in ROLES_REQUIRING_TOTP})


def _validate_roles(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ALL_ROLES))
    if unknown:
        raise AccountError(f"Unknown role(s): {', '.join(unknown)}. Known: {', '.join(ALL_ROLES)}.")
    if not roles:
        raise AccountError("Give at least one role.")
    return sorted(set(roles))


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalise_email(email))).first()


def create_user(
    session: Session,
    email: str,
    password: str,
    roles: list[str],
    *,
    display_name: str = "",
    actor: User | None = None,
) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("Give a valid e-mail address.")
    if get_by_email(session, email) is not None:
        raise AccountError("An account with that e-mail already exists.")
    user = User(email=email, display_name=display_name or email.split("@")[0],
                password_hash=hash_password(password))
    user.roles = [UserRole(role=r) for r in _validate_roles(roles)]
    session.add(user)
    session.flush()
    audit.record(session, "account.created", actor=actor, target_type="user", target_id=user.id,
                 details={"roles": sorted(user.role_names)})
    return user


def set_roles(session: Session, user: User, roles: list[str], *, actor: User) -> None:
    new = _validate_roles(roles)
    old = sorted(user.role_names)
    if new == old:
        return
    # Change only what differs: replacing the list would insert before the orphans are
    # deleted and trip the (user, role) unique constraint.
    for row in [r for r in user.roles if r.role not in new]:
        user.roles.remove(row)
    session.flush()
    user.roles.extend(UserRole(role=r) for r in new if r not in old)
    user.session_version += 1  # a changed role takes effect at once
    audit.record(session, "account.roles_changed", actor=actor, target_type="user",
                 target_id=user.id, details={"from": old, "to": new})


def set_active(session: Session, user: User, active: bool, *, actor: User) -> None:
    if user.id == actor.id and not active:
        raise AccountError("You cannot disable your own account.")
    if user.active == active:
        return
    user.active = active
    user.session_version += 1
    audit.record(session, "account.enabled" if active else "account.disabled", actor=actor,
                 target_type="user", target_id=user.id)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not check_password(user, current):
        raise AccountError("Your current password is not right.")
    user.password_hash = hash_password(new)
    user.session_version += 1
    audit.record(session, "account.password_changed", actor=user, target_type="user",
                 target_id=user.id)


# --- sign-in throttle -------------------------------------------------------------------

def _account_key(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def recent_failures(session: Session, email: str) -> int:
    cfg = current_app.config["C2C"]
    since = utcnow() - timedelta(minutes=cfg.login_window_minutes)
    return session.scalar(
        select(func.count()).select_from(LoginFailure).where(
            LoginFailure.account_key == _account_key(email), LoginFailure.at >= since
        )
    ) or 0


class SignIn(StrEnum):
    OK = "ok"
    NEEDS_TOTP = "needs_totp"
    NEEDS_TOTP_ENROLMENT = "needs_totp_enrolment"
    BAD = "bad"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    user: User | None = None


def authenticate(session: Session, email: str, password: str) -> SignInResult:
    """Check a password. Every attempt is audited; the caller commits."""
    cfg = current_app.config["C2C"]
    if recent_failures(session, email) >= cfg.login_max_failures:
        audit.record(session, "auth.login_throttled", actor_label="anonymous",
                     details={"account": _account_key(email)[:16]})
        return SignInResult(SignIn.THROTTLED)
    user = get_by_email(session, email)
    if not check_password(user, password) or user is None or not user.active:
        session.add(LoginFailure(account_key=_account_key(email)))
        audit.record(session, "auth.login_failed", actor_label="anonymous",
                     target_type="user", target_id=user.id if user else "",
                     details={"account": _account_key(email)[:16]})
        return SignInResult(SignIn.BAD)
    if user.totp_secret is not None:
        return SignInResult(SignIn.NEEDS_TOTP, user)
    if requires_totp(user):
        return SignInResult(SignIn.NEEDS_TOTP_ENROLMENT, user)
    complete_sign_in(session, user, second_factor=False)
    return SignInResult(SignIn.OK, user)


def complete_sign_in(session: Session, user: User, *, second_factor: bool) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.account_key == _account_key(user.email)))
    audit.record(session, "auth.login", actor=user, target_type="user", target_id=user.id,
                 details={"second_factor": second_factor})


# --- two-factor -------------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="c2c-safety")


def _check_code(user: User, secret: str, code: str) -> int | None:
    """The time step the code belongs to, or None. Each step is usable once (no replay)."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(utcnow().timestamp())
    for offset in (-1, 0, 1):  # allow one step of clock drift either way
        step = now // 30 + offset
        if totp.at(step * 30) == code and (user.totp_last_step is None or step > user.totp_last_step):
            return step
    return None


def enrol_totp(session: Session, user: User, secret: str, code: str) -> bool:
    step = _check_code(user, secret, code)
    if step is None:
        return False
    user.totp_secret = keyring().seal(secret.encode())
    user.totp_last_step = step
    audit.record(session, "auth.totp_enrolled", actor=user, target_type="user", target_id=user.id)
    return True


def verify_totp(session: Session, user: User, code: str) -> bool:
    cfg = current_app.config["C2C"]
    if recent_failures(session, user.email) >= cfg.login_max_failures:
        return False
    if user.totp_secret is None:
        return False
    secret = keyring().open(user.totp_secret).decode()
    step = _check_code(user, secret, code)
    if step is None:
        session.add(LoginFailure(account_key=_account_key(user.email)))
        audit.record(session, "auth.totp_failed", actor=user, target_type="user", target_id=user.id)
        return False
    user.totp_last_step = step
    return True
