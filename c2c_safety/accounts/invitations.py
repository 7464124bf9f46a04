"""Invitations: a new colleague chooses their own password, and then their second factor at
their first sign-in; no admin ever types, sees or passes on a colleague's password (issue 20,
item 6).

- The admin creates the account (without a password: it gets a random one nobody knows) and
  is shown, once, a link holding a 256-bit random token; the database keeps its SHA-256.
- The link works once (a conditional update: two browsers racing cannot both use it), for
  72 hours, and only while the account is active and has never been signed into. Issuing a
  new one revokes the old.
- Using it sets the password; the person then signs in and sets up their authenticator (the
  ordinary first sign-in). If someone else used the link first, the colleague finds it dead
  and tells the admin; the use is audited (`account.invitation_used`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from c2c_safety.accounts import sessions, users
from c2c_safety.accounts.users import AccountError
from c2c_safety.audit import log as audit
from models import Invitation, User, utcnow

LIFETIME = timedelta(hours=72)
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unusable_password() -> str:
    """A password nobody knows, for an account waiting for its invitation."""
    return secrets.token_urlsafe(32)


def may_invite(user: User) -> bool:
    """Only an account nobody has signed into yet: a fresh link must never let an admin set the
    password of an account someone already uses."""
    return user.active and user.last_sign_in_at is None and user.totp_secret is None


def issue(session: Session, user: User, *, actor: User | None) -> str:
    """A new invitation for `user` (earlier unused ones are revoked); returns the token, to
    be shown once."""
    if not may_invite(user):
        raise AccountError(_("This account is already in use: it needs no invitation. If its owner "
                           "forgot the password, they ask for a reset of their second factor instead."))
    now = utcnow()
    session.execute(update(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None),
                                             Invitation.revoked_at.is_(None)).values(revoked_at=now))
    token = secrets.token_urlsafe(32)
    row = Invitation(user_id=user.id, token_hash=_hash(token), created_by_id=actor.id if actor else None,
                     created_at=now, expires_at=now + LIFETIME)
    session.add(row)
    session.flush()
    audit.record(session, "account.invited", actor=actor, actor_label=None if actor else "cli",
                 target_type="user", target_id=user.id,
                 details={"invitation": row.id, "expires_at": row.expires_at.isoformat()})
    return token


def find(session: Session, token: str) -> Invitation | None:
    """The invitation if it can still be used (the same None for unknown, used, expired)."""
    # Only what token_urlsafe makes (no NUL or other bytes PostgreSQL would refuse as a parameter).
    if not token or len(token) > 100 or not _TOKEN_CHARS.issuperset(token):
        return None
    row = session.scalars(select(Invitation).where(Invitation.token_hash == _hash(token))).first()
    if row is None or row.used_at is not None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not may_invite(user):
        return None
    return row


def accept(session: Session, token: str, password: str) -> User:
    """Set the password chosen by the invited person; the link is spent."""
    row = find(session, token)
    if row is None:
        raise LookupError("invitation")
    problem = users.password_problem(password)
    if problem:
        raise AccountError(problem)
    # Single use even under a race: only one update finds used_at still empty.
    spent = session.execute(update(Invitation).where(Invitation.id == row.id, Invitation.used_at.is_(None))
                            .values(used_at=utcnow()))
    if getattr(spent, "rowcount", 0) != 1:
        raise LookupError("invitation")
    user = session.get(User, row.user_id)
    assert user is not None  # find() checked it
    user.password_hash = users.hash_password(password)
    sessions.revoke_all(session, user.id)
    session.flush()
    audit.record(session, "account.invitation_used", actor=user, target_type="user", target_id=user.id,
                 details={"invitation": row.id})
    return user


def outstanding(session: Session) -> dict[int, Invitation]:
    """Live invitations by account, for the admin's list."""
    now = utcnow()
    rows = session.scalars(select(Invitation).where(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None),
                                                    Invitation.expires_at > now))
    return {r.user_id: r for r in rows}
