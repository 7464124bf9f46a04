"""Reporters' images: an anonymous report's image attachments, hashed and matched like a flag's.

Every image a reporter attaches gets a `ReportImage` row in the report's transaction
(cases/attachments.py); a worker (workers/media_reports.py) hashes the stored attachment (PDQ +
SHA-256) and matches it against the active lists. These typed functions hold the rules and the
audit entries, in the worker's transaction; each is safe to run twice.

A child-abuse match restricts the attachment exactly like a matched flag image (media/viewing.py):
only `VIEW_RESTRICTED_ROLES` may open it, after confirming and writing why, for `REVEAL_WINDOW`,
audited and counted; everyone else sees that it is restricted, never the file.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.media.store import BACKOFF, MAX_ATTEMPTS
from c2c_safety.media.viewing import MIN_REASON, REVEAL_WINDOW, VIEW_RESTRICTED_ROLES, MediaAccessError
from models import User, utcnow
from models.media import ListAction, MediaStatus, ReportImage, ReportImageView

WORKER = "worker"


def due(session: Session, now: datetime | None = None, limit: int = 20) -> list[int]:
    return list(session.scalars(
        select(ReportImage.id).where(ReportImage.status == MediaStatus.PENDING,
                                     ReportImage.next_attempt_at <= (now or utcnow()))
        .order_by(ReportImage.next_attempt_at, ReportImage.id).limit(limit)))


def of_case(session: Session, case_id: int) -> list[int]:
    return list(session.scalars(select(ReportImage.id).where(ReportImage.case_id == case_id,
                                                             ReportImage.status == MediaStatus.PENDING)))


def pending(session: Session, image_id: int) -> ReportImage | None:
    row = session.get(ReportImage, image_id, with_for_update=True)
    return row if row is not None and row.status == MediaStatus.PENDING else None


def fail(session: Session, row: ReportImage, code: str, *, final: bool, now: datetime | None = None) -> None:
    """Not hashed: retried with backoff, or failed for good (a redacted file, a broken one)."""
    now = now or utcnow()
    row.attempts += 1
    row.error = code[:40]
    if final or row.attempts >= MAX_ATTEMPTS:
        row.status = MediaStatus.FAILED
    else:
        row.next_attempt_at = now + BACKOFF * (2 ** (row.attempts - 1))
    audit.record(session, "media.report_image_failed", actor_label=WORKER, target_type="attachment",
                 target_id=row.attachment_id, case_id=row.case_id,
                 details={"code": row.error, "attempts": row.attempts, "status": row.status})


def store(session: Session, row: ReportImage, *, sha256: str, pdq: bytes, quality: int,
          now: datetime | None = None) -> None:
    row.status, row.error = MediaStatus.STORED, None
    row.attempts += 1
    row.sha256, row.pdq, row.pdq_quality, row.hashed_at = sha256, pdq, quality, now or utcnow()
    audit.record(session, "media.report_image_hashed", actor_label=WORKER, target_type="attachment",
                 target_id=row.attachment_id, case_id=row.case_id, details={"report_image_id": row.id})


def record_match(session: Session, row: ReportImage, *, list_id: int, action: str, distance: int, reference: str,
                 source: str) -> None:
    """Keep the nearest match; a child-abuse list restricts the attachment (the caller refers the case)."""
    row.match_list_id, row.match_distance, row.match_reference = list_id, distance, reference[:120]
    if action == ListAction.CHILD_ABUSE:
        row.restricted = True
    audit.record(session, "media.report_image_matched", actor_label=WORKER, target_type="attachment",
                 target_id=row.attachment_id, case_id=row.case_id,
                 details={"list_id": list_id, "list_source": source, "action": action, "distance": distance})


# --- viewing a restricted attachment ------------------------------------------------------

def restricted_ids(session: Session, case_id: int) -> set[int]:
    """The case's attachments restricted by a match (their ids)."""
    return set(session.scalars(select(ReportImage.attachment_id).where(
        ReportImage.case_id == case_id, ReportImage.restricted.is_(True))))


def _restricted(session: Session, attachment_id: int) -> ReportImage | None:
    return session.scalars(select(ReportImage).where(ReportImage.attachment_id == attachment_id,
                                                     ReportImage.restricted.is_(True))).first()


def may_open(session: Session, user: User, attachment_id: int, now: datetime | None = None) -> bool:
    """An unrestricted attachment: yes (the case's own access rules apply). A restricted one:
    only a viewer of the named role who revealed it within the window."""
    row = _restricted(session, attachment_id)
    if row is None:
        return True
    if not user.role_names & VIEW_RESTRICTED_ROLES:
        return False
    since = (now or utcnow()) - REVEAL_WINDOW
    return session.scalar(select(ReportImageView.id).where(
        ReportImageView.report_image_id == row.id, ReportImageView.user_id == user.id,
        ReportImageView.at >= since).limit(1)) is not None


def reveal(session: Session, user: User, attachment_id: int, *, confirmed: bool, reason: str,
           now: datetime | None = None) -> ReportImage:
    """The lead opens a restricted attachment on purpose: confirmed, with a reason, audited."""
    row = _restricted(session, attachment_id)
    if row is None or not user.role_names & VIEW_RESTRICTED_ROLES:
        raise MediaAccessError("not allowed")
    reason = " ".join(reason.split())
    if not confirmed or len(reason) < MIN_REASON:
        raise ValueError(_("Confirm, and say why you need to see it (at least %(n)s characters).", n=MIN_REASON))
    session.add(ReportImageView(report_image_id=row.id, user_id=user.id, at=now or utcnow()))
    audit.record(session, "view.attachment_restricted_revealed", actor=user, target_type="attachment",
                 target_id=attachment_id, case_id=row.case_id, details={"reason_length": len(reason)})
    session.flush()
    return row
