"""Revealing sensitive content: one recorded action, so the desk knows whether a moderator
looked at what they decided on.

Sensitive items (wellbeing.is_sensitive: sexual, self-harm, grooming) open with their
content, media links and flag comments hidden. "Show the content" is a POST (it works
without JavaScript and leaves a row and an audit entry); afterwards the page shows the
content to that person. A decision on a sensitive item that its decider never revealed is
refused until they confirm they decide without looking (decisions.py), and the
automation-bias report counts such decisions per moderator (wellbeing.py).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from models import ReviewItem, User, utcnow
from models.review import ContentReveal


class RevealError(LookupError):
    """No such item; safe to show."""


def revealed(session: Session, item_id: int, user_id: int, before: datetime | None = None) -> bool:
    """Has this person revealed this item's content (before `before`, if given)?"""
    stmt = select(ContentReveal.id).where(ContentReveal.item_id == item_id, ContentReveal.user_id == user_id)
    if before is not None:
        stmt = stmt.where(ContentReveal.at <= before)
    return session.scalar(stmt.limit(1)) is not None


def reveal(session: Session, user: User, item_id: int, now: datetime | None = None) -> bool:
    """Record that `user` chose to see the content (caller commits). Returns False when it
    was already revealed to them (nothing new is written)."""
    if session.get(ReviewItem, item_id) is None:
        raise RevealError(_("There is no such item."))
    if revealed(session, item_id, user.id):
        return False
    now = now or utcnow()
    session.add(ContentReveal(item_id=item_id, user_id=user.id, at=now))
    session.flush()
    audit.record(session, "view.content_revealed", actor=user, target_type="review_item",
                 target_id=item_id)
    return True
