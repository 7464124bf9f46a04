"""Saved queue views (issue 22.3): a moderator names the filters they use often ("German,
not claimed", "appeals") and opens them from the queue page in one click. Only the filter
values are stored, cleaned the same way as the query string; at most MAX_VIEWS each."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.review.queue_filters import QueueFilters
from models import User, utcnow
from models.review import SavedQueueView

MAX_VIEWS = 20
MAX_NAME = 60


class SavedViewError(ValueError):
    """Refused; the message is safe to show."""


def views_of(session: Session, user: User) -> list[SavedQueueView]:
    return list(session.scalars(select(SavedQueueView).where(SavedQueueView.user_id == user.id)
                                .order_by(SavedQueueView.name)))


def save(session: Session, user: User, name: str, filters: QueueFilters) -> SavedQueueView:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise SavedViewError(_("Give the view a name of at most %(n)s characters.", n=MAX_NAME))
    active = filters.cleaned().active()
    if not active:
        raise SavedViewError(_("Choose some filters first; the whole queue needs no saved view."))
    count = session.scalar(select(func.count()).select_from(SavedQueueView).where(SavedQueueView.user_id == user.id))
    if (count or 0) >= MAX_VIEWS:
        raise SavedViewError(_("You have %(n)s saved views; delete one first.", n=MAX_VIEWS))
    row = SavedQueueView(user_id=user.id, name=name, filters=active, created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise SavedViewError(_("You already have a view with that name.")) from None
    audit.record(session, "queue.view_saved", actor=user, target_type="saved_queue_view", target_id=row.id)
    return row


def remove(session: Session, user: User, view_id: int) -> bool:
    done = session.execute(delete(SavedQueueView).where(SavedQueueView.id == view_id,
                                                        SavedQueueView.user_id == user.id))
    removed = bool(getattr(done, "rowcount", 0))
    if removed:
        audit.record(session, "queue.view_deleted", actor=user, target_type="saved_queue_view", target_id=view_id)
    return removed
