"""One-time recovery codes: a lost phone is not a lock-out.

Ten codes are made when two-factor is set up (and again on request, after proving the
factor); they are shown once and stored only as scrypt hashes (N=2^14, r=8, p=1, a salt each).
Each code is 12 characters of Crockford's base32 (60 random bits): guessing one online is
hopeless behind the sign-in throttle, and an offline attack on a stolen table costs
2^60 / 10 codes scrypt evaluations per account. A code works once: marking it used is a
conditional update, so two requests with the same code cannot both succeed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from models import RecoveryCode, User, utcnow

COUNT = 10
LENGTH = 12
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
# What people mistype for Crockford's letters.
_READ_AS = str.maketrans({"i": "1", "l": "1", "o": "0", "u": "v"})
_N, _R, _P = 2**14, 8, 1


def _hash(code: str, salt: bytes) -> bytes:
    return hashlib.scrypt(code.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32, maxmem=64 * 1024 * 1024)


def _stored(code: str) -> str:
    salt = secrets.token_bytes(16)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(_hash(code, salt)).decode()


def _matches(code: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
        return hmac.compare_digest(_hash(code, base64.b64decode(salt)), base64.b64decode(digest))
    except ValueError:
        return False


def normalise(code: str) -> str | None:
    """A code as typed ("ABCD-EFGH-JKMN", spaces, o for 0) in canonical form, or None."""
    flat = "".join(code.split()).replace("-", "").lower().translate(_READ_AS)
    if len(flat) != LENGTH or any(c not in ALPHABET for c in flat):
        return None
    return flat


def display(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def generate(session: Session, user: User) -> list[str]:
    """A fresh set of codes for display (once); earlier codes stop working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_stored(c)) for c in codes)
    session.flush()
    audit.record(session, "auth.recovery_codes_generated", actor=user, target_type="user",
                 target_id=user.id, details={"count": COUNT})
    return [display(c) for c in codes]


def remaining(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0


def use(session: Session, user: User, code: str) -> bool:
    """Spend one unused code of this account; True if `code` was one."""
    flat = normalise(code)
    if flat is None:
        return False
    rows = list(session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)).order_by(RecoveryCode.id)))
    match = next((row for row in rows if _matches(flat, row.code_hash)), None)
    if match is None:
        return False
    spent = session.execute(
        update(RecoveryCode).where(RecoveryCode.id == match.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if not spent.rowcount:  # type: ignore[attr-defined]
        return False
    session.expire(match)
    audit.record(session, "auth.recovery_code_used", actor=user, target_type="user",
                 target_id=user.id, details={"remaining": remaining(session, user.id)})
    return True
