"""The quarterly access review (issue 20, item 6): nobody else ever asks whether each person
still needs the roles they hold, so the independent reviewer does, every quarter.

They start a review, see every account with its roles and last sign-in, and confirm or flag
each (a flag carries a note for the admins, shown on the admin's accounts page). The review
is complete when every active account has a verdict; the next is due 91 days after the last
completed one (or after the first account was made), and an overdue review shows on
`/admin/jobs`. Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.accounts.users import AccountError
from c2c_safety.audit import log as audit
from models import AccessReview, AccessReviewEntry, Role, User, utcnow

PERIOD = timedelta(days=91)
VERDICTS = ("confirmed", "flagged")


def _require_reviewer(actor: User) -> None:
    if not (actor.active and actor.has_role(Role.INDEPENDENT_REVIEWER)):
        raise AccountError(_("Only the independent reviewer reviews access."))


def open_review(session: Session) -> AccessReview | None:
    return session.scalars(select(AccessReview).where(AccessReview.completed_at.is_(None))
                           .order_by(AccessReview.id.desc())).first()


def last_completed(session: Session) -> AccessReview | None:
    return session.scalars(select(AccessReview).where(AccessReview.completed_at.is_not(None))
                           .order_by(AccessReview.completed_at.desc())).first()


def start(session: Session, *, actor: User) -> AccessReview:
    _require_reviewer(actor)
    review = open_review(session)
    if review is not None:
        return review
    review = AccessReview(started_by_id=actor.id, started_at=utcnow())
    session.add(review)
    session.flush()
    audit.record(session, "access_review.started", actor=actor, target_type="access_review", target_id=review.id)
    return review


@dataclass(frozen=True)
class Row:
    user: User
    roles: str
    entry: AccessReviewEntry | None


def rows(session: Session, review: AccessReview | None) -> list[Row]:
    """Every account, active ones first, with its verdict in this review."""
    entries = {} if review is None else {e.user_id: e for e in session.scalars(
        select(AccessReviewEntry).where(AccessReviewEntry.review_id == review.id))}
    people = session.scalars(select(User).order_by(User.active.desc(), User.email))
    return [Row(u, ", ".join(sorted(u.role_names)) or "none", entries.get(u.id)) for u in people]


def mark(session: Session, review_id: int, user_id: int, verdict: str, note: str, *,
         actor: User) -> AccessReviewEntry:
    _require_reviewer(actor)
    review = session.get(AccessReview, review_id)
    if review is None or review.completed_at is not None:
        raise AccountError(_("This review is closed; start a new one."))
    person = session.get(User, user_id)
    if person is None:
        raise LookupError(user_id)
    if verdict not in VERDICTS:
        raise AccountError(_("Confirm the roles or flag them."))
    note = note.strip()[:500]
    if verdict == "flagged" and len(note) < 5:
        raise AccountError(_("Say what should change (a short note for the admins)."))
    entry = session.scalars(select(AccessReviewEntry).where(
        AccessReviewEntry.review_id == review.id, AccessReviewEntry.user_id == person.id)).first()
    if entry is None:
        entry = AccessReviewEntry(review_id=review.id, user_id=person.id, roles="", verdict=verdict)
        session.add(entry)
    entry.roles = ", ".join(sorted(person.role_names)) or "none"
    entry.verdict, entry.note, entry.decided_by_id, entry.decided_at = verdict, note, actor.id, utcnow()
    session.flush()
    audit.record(session, f"access_review.{verdict}", actor=actor, target_type="user", target_id=person.id,
                 details={"review": review.id, "roles": entry.roles})
    _complete_if_done(session, review, actor)
    return entry


def _complete_if_done(session: Session, review: AccessReview, actor: User) -> None:
    active = set(session.scalars(select(User.id).where(User.active.is_(True))))
    decided = set(session.scalars(select(AccessReviewEntry.user_id).where(AccessReviewEntry.review_id == review.id)))
    if active <= decided:
        review.completed_at = utcnow()
        session.flush()
        audit.record(session, "access_review.completed", actor=actor, target_type="access_review",
                     target_id=review.id,
                     details={"accounts": len(decided), "flagged": sum(1 for e in session.scalars(
                         select(AccessReviewEntry.verdict).where(AccessReviewEntry.review_id == review.id))
                         if e == "flagged")})


@dataclass(frozen=True)
class Status:
    due_at: datetime | None  # None: no account yet
    last_completed_at: datetime | None
    overdue: bool
    in_progress: bool


def status(session: Session, now: datetime | None = None) -> Status:
    now = now or utcnow()
    done = last_completed(session)
    since = done.completed_at if done is not None else session.scalar(select(func.min(User.created_at)))
    due = since + PERIOD if since is not None else None
    return Status(due, done.completed_at if done else None, due is not None and now > due,
                  open_review(session) is not None)


def flagged(session: Session) -> list[tuple[AccessReviewEntry, User]]:
    """Flags of the latest review (open or completed), for the admins."""
    latest = session.scalars(select(AccessReview).order_by(AccessReview.id.desc())).first()
    if latest is None:
        return []
    return [(e, u) for e, u in session.execute(
        select(AccessReviewEntry, User).join(User, User.id == AccessReviewEntry.user_id)
        .where(AccessReviewEntry.review_id == latest.id, AccessReviewEntry.verdict == "flagged")
        .order_by(User.email))]
