"""One page per author (issue 22.5): every item of theirs on the desk with its decisions and
appeals, the safeguarding referrals they are in, the platform requests standing against
them, and the moderators' notes about the account. Reached from an item ("the author's
account"), so the URL carries an item id, never the platform pseudonym; the page does not
print the pseudonym either. Moderators and safeguarding leads only; every view is audited.

A referral shows only that it exists and its state: the lead's notes and actions stay on
the safeguarding desk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.review import history
from models import ReviewItem, Role, User, utcnow
from models.review import AccountNote, SafeguardingAction, SafeguardingReferral

LIMIT = 100
MAX_NOTE = 2000


class AccountError(ValueError):
    """Refused; the message is safe to show."""


@dataclass(frozen=True)
class ReferralRow:
    id: int
    status: str
    opened_at: datetime
    as_author: bool  # the account wrote the item; otherwise they are the child it is about


@dataclass(frozen=True)
class RequestRow:
    kind: str
    at: datetime
    withdrawable_until: datetime | None
    id: int = 0


@dataclass(frozen=True)
class NoteRow:
    at: datetime
    by: str
    text: str


@dataclass
class AccountPage:
    item: ReviewItem  # the item the page was opened from
    history: history.AuthorHistory
    referrals: list[ReferralRow] = field(default_factory=list)
    requests: list[RequestRow] = field(default_factory=list)
    notes: list[NoteRow] = field(default_factory=list)


def _require_reader(viewer: User) -> None:
    if not (viewer.has_role(Role.MODERATOR) or viewer.has_role(Role.SAFEGUARDING_LEAD)):
        raise AccountError(_("Only moderators and safeguarding leads see an account."))


def open_account(session: Session, item_id: int, viewer: User) -> AccountPage | None:
    """The account of `item_id`'s author, the view audited (caller commits)."""
    _require_reader(viewer)
    item = session.get(ReviewItem, item_id)
    if item is None:
        return None
    who = item.author_pseudonym
    page = AccountPage(item, history.author_history(session, item, LIMIT, include_self=True))
    for ref_id, status, opened_at, author in session.execute(
            select(SafeguardingReferral.id, SafeguardingReferral.status, SafeguardingReferral.opened_at,
                   ReviewItem.author_pseudonym)
            .join(ReviewItem, ReviewItem.id == SafeguardingReferral.item_id)
            .where(or_(ReviewItem.author_pseudonym == who, SafeguardingReferral.child_pseudonym == who))
            .order_by(SafeguardingReferral.id.desc()).limit(LIMIT)):
        page.referrals.append(ReferralRow(ref_id, status, opened_at, author == who))
    # Platform requests are the actions with a withdrawal window (safeguarding/requests.py,
    # review/hide.py); standing = not withdrawn.
    page.requests = [RequestRow(kind, at, until, action_id) for kind, at, until, action_id in session.execute(
        select(SafeguardingAction.kind, SafeguardingAction.at, SafeguardingAction.withdrawable_until,
               SafeguardingAction.id)
        .where(SafeguardingAction.child_pseudonym == who, SafeguardingAction.withdrawable_until.is_not(None),
               SafeguardingAction.withdrawn_at.is_(None))
        .order_by(SafeguardingAction.at.desc()).limit(LIMIT))]
    for note, name, email in session.execute(
            select(AccountNote, User.display_name, User.email).join(User, User.id == AccountNote.author_id)
            .where(AccountNote.pseudonym == who).order_by(AccountNote.at.desc()).limit(LIMIT)):
        page.notes.append(NoteRow(note.at, name or email, open_text(note.text_sealed) or ""))
    audit.record(session, "view.account", actor=viewer, target_type="review_item", target_id=item.id,
                 details={"items": page.history.total_items, "referrals": len(page.referrals)})
    return page


def add_note(session: Session, item_id: int, viewer: User, text: str) -> AccountNote:
    """A moderator's note on the account of `item_id`'s author (caller commits)."""
    if not viewer.has_role(Role.MODERATOR):
        raise AccountError(_("Only moderators add notes to an account."))
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise AccountError(_("Write a note of at most %(n)s characters.", n=MAX_NOTE))
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise LookupError(item_id)
    note = AccountNote(pseudonym=item.author_pseudonym, author_id=viewer.id, at=utcnow(), text_sealed=seal_text(text))
    session.add(note)
    session.flush()
    audit.record(session, "account.note_added", actor=viewer, target_type="review_item", target_id=item.id,
                 details={"note_id": note.id})
    return note
