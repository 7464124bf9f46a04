"""Making notices: one inbox row per person and event, plus an e-mail outbox row when the
person wants e-mail for that kind. Written in the caller's transaction, so a notice exists
exactly when the event does.

A notice holds a kind, a target time and a link (ids only): no report or message text, no
names, no pseudonyms. After the transaction commits, the new e-mails are handed to the
worker (`workers.notifications.send_emails`); if Redis is down, the periodic tick sends
them, so nothing waits on the web request and nothing is lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.notifications import preferences
from c2c_safety.notifications.resolution import subject_from_link
from models import Notice, NoticeEmail, User, utcnow

log = logging.getLogger(__name__)

SEND_JOB = "workers.notifications.send_emails"
_PENDING = "c2c_notice_emails"  # session.info key: e-mail ids to hand over after commit


def notify(session: Session, users: Iterable[User], kind: str, *, link: str, target_at: datetime | None,
           event_key: str, case_id: int | None = None, subject: tuple[str, int] | None = None,
           now: datetime | None = None) -> int:
    """Give each active person one notice of `kind` for this event (idempotent: the same
    `event_key` again adds nothing). Returns how many notices were made.

    `subject` names the work the notice is about (e.g. ("referral", 12)); its resolver
    (notifications/resolution.py) takes the notice out of the inbox once the work is done."""
    now = now or utcnow()
    subject = subject or subject_from_link(link)
    made = emails = 0
    for user in {u.id: u for u in users if u.active}.values():
        key = f"{kind}:{event_key}:u{user.id}"[:160]
        if session.scalar(select(Notice.id).where(Notice.dedupe_key == key)) is not None:
            continue
        notice = Notice(user_id=user.id, kind=kind, link=link, target_at=target_at, case_id=case_id,
                        dedupe_key=key, created_at=now, subject_kind=subject[0] if subject else None,
                        subject_id=subject[1] if subject else None)
        try:
            with session.begin_nested():
                session.add(notice)
                session.flush()
        except IntegrityError:
            continue  # a concurrent trigger made it first
        made += 1
        if preferences.wants_email(session, user.id, kind):
            email = NoticeEmail(notice_id=notice.id, message_id=f"<{uuid.uuid4()}@c2c-safety>",
                                next_attempt_at=now, created_at=now)
            session.add(email)
            session.flush()
            session.info.setdefault(_PENDING, []).append(email.id)
            emails += 1
    if made:
        audit.record(session, "notifications.created", actor_label="system", target_type="notice",
                     target_id=kind, case_id=case_id,
                     details={"kind": kind, "link": link, "recipients": made, "emails": emails})
    return made


@event.listens_for(Session, "after_commit")
def _hand_over(session: Session) -> None:
    ids: list[int] | None = session.info.pop(_PENDING, None)
    if ids and has_app_context():
        from rq import Retry

        from c2c_safety.core.queueing import enqueue

        # Retries just after each outbox backoff step (mailer.backoff_seconds: 30 s, 1, 2 min).
        # Redis down: enqueue logs and returns None; the periodic sender sends them instead.
        enqueue(SEND_JOB, ids, queue_name="high", retry=Retry(max=3, interval=[31, 61, 121]))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def pending_handover(session: Session) -> list[int]:
    """E-mail ids this session will hand to the worker at commit (tests, diagnostics)."""
    return list(session.info.get(_PENDING, []))


def describe(notice: Notice) -> dict[str, Any]:
    """Everything a notice says, for the inbox and the e-mail: the category, the target time
    and the link. Nothing else exists to leak."""
    from c2c_safety.notifications.kinds import label

    return {"category": label(notice.kind), "target_at": notice.target_at, "link": notice.link}
