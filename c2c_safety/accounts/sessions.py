"""Staff sessions kept on the server: created at the password step, checked on every request
(core.access.load_staff), revoked by sign-out, password change, role change, two-factor reset
and disabling.

The browser's cookie holds a random 256-bit token; the database keeps its SHA-256, so a copy
of the table opens no session. A session moves from a pending stage (second factor or
enrolment, 10 minutes, used once) to a full one (12 hours) with a new token each time, so a
token seen before a stage change is worth nothing after it.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.access import token_hash
from models import SessionStage, StaffSession, User, utcnow

PENDING_LIFETIME = timedelta(minutes=10)
# A working day; after it the person signs in again (password and second factor).
FULL_LIFETIME = timedelta(hours=12)
# Wrong answers (codes, current password) one session may give before it is ended.
MAX_FAILED_ATTEMPTS = 5


def start(session: Session, user: User, stage: SessionStage, *, throttle_key: str = "",
          new_totp_secret_sealed: bytes | None = None) -> tuple[StaffSession, str]:
    """A new session row and the token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = FULL_LIFETIME if stage is SessionStage.FULL else PENDING_LIFETIME
    row = StaffSession(token_hash=token_hash(token), user_id=user.id, stage=stage,
                       created_at=now, expires_at=now + lifetime, throttle_key=throttle_key,
                       new_totp_secret_sealed=new_totp_secret_sealed)
    session.add(row)
    session.flush()
    return row, token


def find(session: Session, token: object, stage: SessionStage) -> StaffSession | None:
    """The live session of this token at this stage, or None (expired, used, revoked, or the
    account disabled meanwhile)."""
    if not isinstance(token, str) or not token or len(token) > 128:
        return None
    row = session.scalars(
        select(StaffSession).join(User, User.id == StaffSession.user_id)
        .where(StaffSession.token_hash == token_hash(token), StaffSession.stage == stage,
               StaffSession.revoked_at.is_(None), StaffSession.expires_at > utcnow(),
               User.active.is_(True))
    ).first()
    return row


def by_token(session: Session, token: object) -> StaffSession | None:
    """The unrevoked session of this token at any stage (for signing out half-way)."""
    if not isinstance(token, str) or not token or len(token) > 128:
        return None
    return session.scalars(select(StaffSession).where(StaffSession.token_hash == token_hash(token),
                                                      StaffSession.revoked_at.is_(None))).first()


def get(session: Session, row_id: int | None) -> StaffSession | None:
    return session.get(StaffSession, row_id) if row_id is not None else None


def revoke(session: Session, row: StaffSession) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.new_totp_secret_sealed = None
    session.flush()


def revoke_all(session: Session, user_id: int, *, keep: int | None = None) -> int:
    """End every session of an account (pending ones included), except `keep`."""
    stmt = (update(StaffSession)
            .where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), new_totp_secret_sealed=None)
            .execution_options(synchronize_session="fetch"))
    if keep is not None:
        stmt = stmt.where(StaffSession.id != keep)
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def rotate(session: Session, row: StaffSession, user: User) -> str:
    """Replace a full session by a new one (new token) after a sensitive change on it."""
    revoke(session, row)
    _, token = start(session, user, SessionStage.FULL)
    return token


def count_failure(session: Session, row: StaffSession) -> bool:
    """One wrong answer given in this session; True when that ended it."""
    row.failed_attempts += 1
    if row.failed_attempts >= MAX_FAILED_ATTEMPTS:
        revoke(session, row)
        return True
    session.flush()
    return False


def sign_out(session: Session, user: User | None, row: StaffSession | None) -> None:
    """End this browser's session, signed in or half-way through signing in."""
    if row is not None and row.revoked_at is None:
        revoke(session, row)
        audit.record(session, "auth.logout", actor=user, actor_label=None if user else "anonymous",
                     target_type="user", target_id=row.user_id)


def end_others(session: Session, user: User, current: StaffSession) -> int:
    """"Sign out my other sessions": every session of the account but this one."""
    ended = revoke_all(session, user.id, keep=current.id)
    audit.record(session, "auth.other_sessions_ended", actor=user, target_type="user",
                 target_id=user.id, details={"ended": ended})
    return ended


def live_count(session: Session, user_id: int) -> int:
    """Full sessions of the account that still open pages."""
    rows = session.scalars(select(StaffSession.id).where(
        StaffSession.user_id == user_id, StaffSession.stage == SessionStage.FULL,
        StaffSession.revoked_at.is_(None), StaffSession.expires_at > utcnow()))
    return len(list(rows))


def prune(session: Session, user_id: int) -> None:
    """Forget the account's sessions that ended more than a day ago (a deleted row refuses a
    replayed cookie just as a revoked one does)."""
    cutoff = utcnow() - timedelta(days=1)
    session.execute(delete(StaffSession).where(
        StaffSession.user_id == user_id,
        (StaffSession.revoked_at < cutoff) | (StaffSession.expires_at < cutoff)))
