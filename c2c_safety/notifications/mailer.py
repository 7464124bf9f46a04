"""Sending notice e-mails through SMTP from the outbox, idempotently, with retries.

`send(app, email_id)` (run by the worker job `workers.notifications.send_emails` and by the
periodic tick) takes a short lease on the outbox row and commits, talks to the SMTP server
outside any transaction, then marks the row sent, or counts the failure and sets the next
attempt (30 s doubling to 1 h). A row is never deleted, so an SMTP outage only delays it.
Before sending, the notice is checked again: a disabled account, or someone excluded from
the case since, gets nothing (the row is cancelled).

C2C_SMTP_URL: `smtp://[user:password@]host[:port]` (plain, e.g. a local relay),
`smtp+starttls://…` (STARTTLS, port 587) or `smtps://…` (TLS, port 465). Unset: rows wait,
kept, and go out once it is set. The URL (it may hold a password) is never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from c2c_safety.cases import access as case_access
from c2c_safety.core.db import new_session
from c2c_safety.notifications import kinds
from models import Notice, NoticeEmail, User, utcnow
from models.notifications import EmailStatus

LEASE = timedelta(seconds=60)
TIMEOUT_SECONDS = 10
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 3600
SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # plain | starttls | ssl
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpSettings:
    """Raises ValueError (without echoing the URL: it may hold a password)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError("C2C_SMTP_URL must look like smtp://host:port, smtp+starttls://… or smtps://…")
    security, default_port = SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError("C2C_SMTP_URL has an invalid port") from None
    return SmtpSettings(parts.hostname, port, security,
                        unquote(parts.username) if parts.username else None,
                        unquote(parts.password) if parts.password else None)


def backoff_seconds(attempts: int) -> int:
    return int(min(BASE_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_DELAY_SECONDS))


def build_message(notice: Notice, to: str, sender: str, public_url: str, message_id: str) -> EmailMessage:
    """The whole e-mail: a category, a target time and a link. No content, no names."""
    with force_locale("en"):  # the e-mail is English, whoever's request happens to send it
        category = kinds.label(notice.kind)
    target = (notice.target_at.strftime("%Y-%m-%d %H:%M UTC") if notice.target_at is not None
              else "as soon as you can")
    msg = EmailMessage()
    msg["Subject"] = f"[Class2Class safety desk] {category}"
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(notice.created_at)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"{category}\n\nTarget time: {target}\nOpen it on the desk (sign-in needed): "
        f"{public_url}{notice.link}\n\nThis notice carries no details on purpose; everything is on the desk.\n"
        "You can choose e-mail or in-app only per kind of notice under Notices > Preferences.\n")
    return msg


def _deliver(settings: SmtpSettings, msg: EmailMessage) -> None:
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(msg)


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | retry | cancelled | not_configured | skipped
    retry_in: int | None = None


def _lease(session: Session, email_id: int, now: datetime) -> bool:
    taken = session.execute(
        update(NoticeEmail)
        .where(NoticeEmail.id == email_id, NoticeEmail.status == EmailStatus.PENDING,
               NoticeEmail.next_attempt_at <= now,
               or_(NoticeEmail.lease_until.is_(None), NoticeEmail.lease_until < now))
        .values(lease_until=now + LEASE).execution_options(synchronize_session=False))
    return getattr(taken, "rowcount", 0) == 1


def _still_due(session: Session, notice: Notice) -> User | None:
    """The recipient, if they should still get it: active, and (for a case) still allowed
    to see the case (an exclusion or recusal since cancels the e-mail)."""
    user = session.get(User, notice.user_id)
    if user is None or not user.active:
        return None
    if notice.case_id is not None and not case_access.can_view(session, user, notice.case_id):
        return None
    return user


def send(app: Flask, email_id: int, now: datetime | None = None) -> Outcome:
    """One attempt for one outbox row (lease, commit; SMTP; record, commit)."""
    cfg = app.config["C2C"]
    s = new_session(app)
    try:
        now = now or utcnow()
        if not cfg.smtp_url:
            return Outcome("not_configured")
        if not _lease(s, email_id, now):
            s.rollback()
            return Outcome("skipped")  # sent, cancelled, not due, or another worker has it
        row = s.get(NoticeEmail, email_id)
        notice = s.get(Notice, row.notice_id) if row is not None else None
        assert row is not None and notice is not None
        user = _still_due(s, notice)
        if user is None:
            row.status, row.lease_until = EmailStatus.CANCELLED, None
            s.commit()
            return Outcome("cancelled")
        msg = build_message(notice, user.email, cfg.smtp_from, cfg.public_url, row.message_id)
        s.commit()  # the lease is visible to other workers while we talk to the server
        error: str | None = None
        try:
            _deliver(parse_smtp_url(cfg.smtp_url), msg)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            error = type(exc).__name__  # the type only: a message may echo an address or the URL
        row = s.get(NoticeEmail, email_id)
        assert row is not None
        row.attempts += 1
        row.lease_until = None
        if error is None:
            row.status, row.sent_at, row.last_error = EmailStatus.SENT, utcnow(), None
            s.commit()
            return Outcome("sent")
        delay = backoff_seconds(row.attempts)
        row.last_error, row.next_attempt_at = error, utcnow() + timedelta(seconds=delay)
        s.commit()
        return Outcome("retry", retry_in=delay)
    finally:
        s.close()


def due(session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Outbox rows whose next attempt is due and that no worker holds, oldest first."""
    now = now or utcnow()
    return list(session.scalars(
        select(NoticeEmail.id)
        .where(NoticeEmail.status == EmailStatus.PENDING, NoticeEmail.next_attempt_at <= now,
               or_(NoticeEmail.lease_until.is_(None), NoticeEmail.lease_until < now))
        .order_by(NoticeEmail.id).limit(limit)))
