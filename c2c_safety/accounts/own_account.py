"""What a signed-in person changes on their own account: password, authenticator, recovery
codes, other sessions.

Each change proves the factor it touches (the current password, a current code), in a full
session; five wrong answers end that session, so a stolen cookie cannot be used to guess its
way to a new password or a new authenticator. A password or authenticator change ends every
other session of the account and re-issues this one under a new token.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from c2c_safety.accounts import recovery, sessions, totp, users
from c2c_safety.accounts.users import AccountError
from c2c_safety.audit import log as audit
from models import StaffSession, User


class SessionEndedError(AccountError):
    """Too many wrong answers: this session is over and the person must sign in again."""


def _wrong(session: Session, user: User, row: StaffSession, what: str, message: str) -> AccountError:
    ended = sessions.count_failure(session, row)
    audit.record(session, "auth.step_up_failed", actor=user, target_type="user", target_id=user.id,
                 details={"check": what, "session_ended": ended})
    if ended:
        return SessionEndedError(_("Too many wrong answers: you have been signed out. Please sign in again."))
    return AccountError(message)


def change_password(session: Session, user: User, row: StaffSession, current: str, new: str) -> str:
    """New password; returns the token of this browser's re-issued session."""
    if not users.check_password(user, current):
        raise _wrong(session, user, row, "password", _("Your current password is not right."))
    users.set_password(session, user, new)
    sessions.revoke_all(session, user.id, keep=row.id)
    return sessions.rotate(session, row, user)


def start_totp_replacement(session: Session, user: User, row: StaffSession) -> None:
    """Put a new key on this session for the person to scan (kept sealed until confirmed)."""
    row.new_totp_secret_sealed = totp.seal(totp.new_secret())
    session.flush()
    audit.record(session, "auth.totp_replacement_started", actor=user, target_type="user",
                 target_id=user.id)


def replacement_secret(row: StaffSession) -> str | None:
    return totp.open_sealed(row.new_totp_secret_sealed)


def replace_totp(session: Session, user: User, row: StaffSession, proof: str, new_code: str) -> str:
    """Swap the authenticator: `proof` is a current code or a recovery code, `new_code` one of
    the new key. Returns the token of this browser's re-issued session."""
    secret = replacement_secret(row)
    if secret is None:
        raise AccountError(_("Start again: choose “Set up a new authenticator”."))
    # The new code first: a typo there must not use up a recovery code.
    if totp.matching_step(secret, new_code, None) is None:
        raise AccountError(_("The code from the new authenticator does not match. Check the phone's clock."))
    if not (totp.check(session, user, proof) or recovery.use(session, user, proof)):
        raise _wrong(session, user, row, "totp_or_recovery_code",
                     _("That is not a current code or an unused recovery code."))
    totp.replace(session, user, secret, new_code)
    row.new_totp_secret_sealed = None
    sessions.revoke_all(session, user.id, keep=row.id)
    return sessions.rotate(session, row, user)


def regenerate_recovery_codes(session: Session, user: User, row: StaffSession, code: str) -> list[str]:
    """A new set of recovery codes after a current authenticator code; the old ones stop working."""
    if not totp.check(session, user, code):
        raise _wrong(session, user, row, "totp", _("That code is not right, or was already used."))
    return recovery.generate(session, user)


def end_other_sessions(session: Session, user: User, row: StaffSession) -> int:
    return sessions.end_others(session, user, row)
