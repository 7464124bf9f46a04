"""Who is signed in, and role-based access for views.

`load_staff` is Flask-Login's user loader: a cookie opens a session only while its
StaffSession row is live, so revoking the row (sign-out, password or role change, two-factor
reset, disabling) ends that session on the next request, wherever the cookie was copied to.

`roles_required` both guards a view and records which roles it admits in ACCESS, so the
test suite can check every page against every role without a hand-kept list going stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, g, session
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from c2c_safety.core import db
from models import SessionStage, StaffSession, User, utcnow

F = TypeVar("F", bound=Callable[..., Any])

# endpoint function qualname -> roles allowed (empty set: any signed-in staff member)
ACCESS: dict[str, frozenset[str]] = {}


# The Flask session key that holds the random token of the browser's StaffSession.
SESSION_TOKEN_KEY = "sid"
_MAX_ROW_ID = 2**31 - 1


def token_hash(token: str) -> str:
    """What the database keeps of a session token (the cookie alone holds the token)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def load_staff(user_id: str) -> User | None:
    """The signed-in staff member with their roles, in one query, or None.

    Only a live full sign-in counts: not revoked, not expired, the account active and holding a
    second factor (a pending password step or an enrolment never opens a page)."""
    token = session.get(SESSION_TOKEN_KEY)
    if not isinstance(token, str) or not token or len(token) > 128:
        return None
    if not (user_id.isdigit() and len(user_id) <= 10 and int(user_id) <= _MAX_ROW_ID):
        return None
    row = db.session().execute(
        select(User, StaffSession.id)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.token_hash == token_hash(token),
               StaffSession.stage == SessionStage.FULL,
               StaffSession.revoked_at.is_(None),
               StaffSession.expires_at > utcnow(),
               User.id == int(user_id),
               User.active.is_(True),
               User.totp_secret.is_not(None))
        .options(joinedload(User.roles))
    ).unique().first()
    if row is None:
        return None
    g.staff_session_id = row[1]
    return row[0]


def current_session_id() -> int | None:
    """The StaffSession row of this request's signed-in user (after load_staff ran)."""
    _ = current_user.is_authenticated  # make Flask-Login run the loader if it has not yet
    sid = g.get("staff_session_id")
    return sid if isinstance(sid, int) else None


def staff() -> User:
    """The signed-in staff member (views behind roles_required only)."""
    return cast(User, current_user._get_current_object())


def roles_required(*roles: str) -> Callable[[F], F]:
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        ACCESS[f"{view.__module__}.{view.__name__}"] = allowed

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if allowed and not staff().has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, login_required(wrapper))

    return decorate
