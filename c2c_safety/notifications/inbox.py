"""The in-app inbox: every staff member's notices, newest first.

Notices about a case pass the case's visibility rule again when listed, so someone
excluded from (or recused on) a case after a notice was made never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.notifications import kinds
from models import Notice, NoticeEmail, User, utcnow

PAGE = 100


def _visible(user: User) -> ColumnElement[bool]:
    return or_(Notice.case_id.is_(None), Notice.case_id.in_(case_access.visible_case_ids(user)))


@dataclass(frozen=True)
class InboxRow:
    id: int
    category: str
    target_at: datetime | None
    link: str
    created_at: datetime
    read: bool
    emailed: str | None  # pending | sent | cancelled, or None (in-app only)


def rows(session: Session, user: User, limit: int = PAGE) -> list[InboxRow]:
    stmt = (select(Notice, NoticeEmail.status).outerjoin(NoticeEmail, NoticeEmail.notice_id == Notice.id)
            .where(Notice.user_id == user.id, _visible(user))
            .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit))
    return [InboxRow(n.id, kinds.label(n.kind), n.target_at, n.link, n.created_at, n.read_at is not None,
                     status) for n, status in session.execute(stmt)]


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notice).where(
        Notice.user_id == user.id, Notice.read_at.is_(None), _visible(user))) or 0


def open_notice(session: Session, user: User, notice_id: int) -> str | None:
    """Mark one of my notices read and return where it points (None: not mine or hidden)."""
    notice = session.scalars(select(Notice).where(Notice.id == notice_id, Notice.user_id == user.id,
                                                  _visible(user))).first()
    if notice is None:
        return None
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.flush()
        audit.record(session, "notifications.read", actor=user, target_type="notice", target_id=notice.id)
    return notice.link


def mark_all_read(session: Session, user: User) -> int:
    done = session.execute(
        update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None), _visible(user))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    n = int(getattr(done, "rowcount", 0) or 0)
    if n:
        audit.record(session, "notifications.all_read", actor=user, target_type="user", target_id=user.id,
                     details={"count": n})
    return n
