"""Store the language a staff member reads the desk in, with its audit entry."""

from __future__ import annotations

from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.locale import STAFF_LANGUAGES
from models import User


class UnknownLanguageError(ValueError):
    pass


def choose(session: Session, user: User, code: str) -> bool:
    """Set `user`'s page language; False when it already was that one (nothing written).
    The audit entry is added in the caller's transaction."""
    if code not in STAFF_LANGUAGES:
        raise UnknownLanguageError(code)
    if user.language == code:
        return False
    before = user.language
    user.language = code
    audit.record(session, "user.language", actor=user, target_type="user", target_id=user.id,
                 details={"from": before or "", "to": code})
    return True
