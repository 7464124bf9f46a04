"""The in-app inbox: every staff member's open notices, grouped by kind ("12 new urgent
safeguarding referrals", expandable to the list), and a "done" view of resolved ones.

Listing first resolves the person's notices whose work is done (resolution.py), so a
finished referral or case leaves the main list at once. Notices about a case pass the
case's visibility rule again when listed, so someone excluded from (or recused on) a case
after a notice was made never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.notifications import kinds, resolution
from models import Notice, NoticeEmail, User, utcnow

PAGE = 100
GROUP_ROWS = 50  # the newest of a group are listed; the count is always the whole group


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
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class Group:
    kind: str
    title: str  # "12 new urgent safeguarding referrals"
    count: int
    unread: int
    next_target: datetime | None  # the earliest target time in the group
    rows: list[InboxRow]


def _row(n: Notice, status: str | None) -> InboxRow:
    return InboxRow(n.id, kinds.label(n.kind), n.target_at, n.link, n.created_at, n.read_at is not None,
                    status, n.resolved_at)


def rows(session: Session, user: User, limit: int = PAGE, *, done: bool = False) -> list[InboxRow]:
    """Open notices newest first, or (done=True) resolved ones, most recently resolved first."""
    stmt = (select(Notice, NoticeEmail.status).outerjoin(NoticeEmail, NoticeEmail.notice_id == Notice.id)
            .where(Notice.user_id == user.id, _visible(user),
                   Notice.resolved_at.is_not(None) if done else Notice.resolved_at.is_(None)))
    order = (Notice.resolved_at.desc(), Notice.id.desc()) if done else (Notice.created_at.desc(), Notice.id.desc())
    return [_row(n, status) for n, status in session.execute(stmt.order_by(*order).limit(limit))]


def groups(session: Session, user: User) -> list[Group]:
    """The open notices by kind, most pressing group first (earliest target time)."""
    resolution.resolve_open(session, user_id=user.id)
    stats = session.execute(
        select(Notice.kind, func.count(), func.count(Notice.id).filter(Notice.read_at.is_(None)),
               func.min(Notice.target_at))
        .where(Notice.user_id == user.id, Notice.resolved_at.is_(None), _visible(user))
        .group_by(Notice.kind)).all()
    out: list[Group] = []
    for kind, count, unread, first_target in stats:
        listed = session.execute(
            select(Notice, NoticeEmail.status).outerjoin(NoticeEmail, NoticeEmail.notice_id == Notice.id)
            .where(Notice.user_id == user.id, Notice.kind == kind, Notice.resolved_at.is_(None), _visible(user))
            .order_by(Notice.target_at.is_(None), Notice.target_at, Notice.id.desc()).limit(GROUP_ROWS))
        out.append(Group(kind, kinds.counted(kind, count), count, unread, first_target,
                         [_row(n, st) for n, st in listed]))
    far = datetime.max.replace(tzinfo=None)
    return sorted(out, key=lambda g: (g.next_target.replace(tzinfo=None) if g.next_target else far, g.kind))


def open_counts(session: Session, user: User) -> dict[str, int]:
    """Open notices per kind (the home pages' "waiting for you")."""
    return {k: int(n) for k, n in session.execute(
        select(Notice.kind, func.count()).where(Notice.user_id == user.id, Notice.resolved_at.is_(None),
                                                _visible(user)).group_by(Notice.kind))}


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notice).where(
        Notice.user_id == user.id, Notice.read_at.is_(None), Notice.resolved_at.is_(None), _visible(user))) or 0


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
