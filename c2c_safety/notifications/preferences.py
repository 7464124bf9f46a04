"""Each person's choice per kind of notice: e-mail too (the default), or in-app only.

Urgent safeguarding (kinds.ALWAYS_EMAIL) is always e-mailed: the page shows it as fixed.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.notifications import kinds
from models import NoticePreference, User, utcnow


def wants_email(session: Session, user_id: int, kind: str) -> bool:
    if kind in kinds.ALWAYS_EMAIL:
        return True
    row = session.get(NoticePreference, (user_id, kind))
    return True if row is None else row.email


def for_user(session: Session, user: User) -> dict[str, bool]:
    """{kind: e-mail?} for every kind this person can receive."""
    stored = {r.kind: r.email for r in session.scalars(
        select(NoticePreference).where(NoticePreference.user_id == user.id))}
    return {k: True if k in kinds.ALWAYS_EMAIL else stored.get(k, True)
            for k in kinds.kinds_for(user.role_names)}


def save(session: Session, user: User, choices: Mapping[str, bool]) -> list[str]:
    """Store this person's choices for the kinds they can receive (others are ignored, and
    the always-e-mailed kinds cannot be switched off). Returns the kinds that changed."""
    current = for_user(session, user)
    changed: list[str] = []
    now = utcnow()
    for kind, email in choices.items():
        if kind not in current or kind in kinds.ALWAYS_EMAIL or current[kind] == email:
            continue
        row = session.get(NoticePreference, (user.id, kind))
        if row is None:
            session.add(NoticePreference(user_id=user.id, kind=kind, email=email, updated_at=now))
        else:
            row.email, row.updated_at = email, now
        changed.append(kind)
    if changed:
        session.flush()
        audit.record(session, "notifications.preferences_changed", actor=user, target_type="user",
                     target_id=user.id, details={k: choices[k] for k in changed})
    return changed
