"""A second opinion on an item (issue 22.6): internal notes, and "ask a senior".

A note is for colleagues only: it is never sent to the author, never part of a statement
of reasons or a webhook (statements.py and the webhook payloads never read `ItemNote`).
"Ask a senior" is a note with a question addressed to another moderator: the asker gives the
item back, and it waits at the top of the senior's queue page ("Asked of you") until they
answer with a note of their own or decide it. The colleague also gets a notice ("you were asked
for a second opinion", a link to the item; the question only on the desk), resolved when
they answer or the item is decided. Every note and question is audited (ids only, never the
text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.notifications import resolution as notice_resolution
from c2c_safety.notifications import triggers as notify_triggers
from c2c_safety.review import claims
from models import ReviewItem, Role, User, UserRole, utcnow
from models.review import ItemNote

MAX_TEXT = 2000


class NoteError(ValueError):
    """Refused; the message is safe to show."""


@dataclass(frozen=True)
class NoteRow:
    at: datetime
    by: str
    text: str
    asked: str | None  # the colleague a question was put to
    answered: bool


@dataclass(frozen=True)
class Ask:
    item_id: int
    at: datetime
    by: str
    question: str


def _clean(text: str) -> str:
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise NoteError(_("Write a note of at most %(n)s characters.", n=MAX_TEXT))
    return text


def _require_moderator(user: User) -> None:
    if not user.has_role(Role.MODERATOR):
        raise NoteError(_("Only moderators add notes to items."))


def seniors(session: Session, asker: User) -> list[User]:
    """Colleagues a moderator can ask: the other active moderators, by name."""
    return [u for u in session.scalars(
        select(User).join(UserRole).where(UserRole.role == Role.MODERATOR, User.active.is_(True),
                                          User.id != asker.id).order_by(User.display_name, User.email)).unique()]


def add_note(session: Session, item_id: int, user: User, text: str) -> ItemNote:
    """An internal note; it also answers any open question put to `user` on this item."""
    _require_moderator(user)
    text = _clean(text)
    if session.get(ReviewItem, item_id) is None:
        raise LookupError(item_id)
    now = utcnow()
    note = ItemNote(item_id=item_id, author_id=user.id, at=now, text_sealed=seal_text(text))
    session.add(note)
    session.flush()
    answered = answer_asks(session, item_id, user, now)
    audit.record(session, "item.note_added", actor=user, target_type="review_item", target_id=item_id,
                 details={"note_id": note.id, "answered": answered})
    return note


def answer_asks(session: Session, item_id: int, user: User, now: datetime | None = None) -> int:
    """Close the questions put to `user` on this item (a note or a decision answers them),
    and their notices with them."""
    asked = list(session.scalars(select(ItemNote.id).where(
        ItemNote.item_id == item_id, ItemNote.asked_id == user.id, ItemNote.answered_at.is_(None))))
    if not asked:
        return 0
    session.execute(update(ItemNote).where(ItemNote.id.in_(asked))
                    .values(answered_at=now or utcnow()).execution_options(synchronize_session=False))
    for question_id in asked:
        notice_resolution.resolve_for(session, (notice_resolution.ASK, question_id), now)
    return len(asked)


def ask_senior(session: Session, item_id: int, user: User, senior_id: int, question: str) -> ItemNote:
    """Put a question to a colleague; the item goes back to the queue and waits in theirs."""
    _require_moderator(user)
    question = _clean(question)
    senior = session.get(User, senior_id)
    if senior is None or senior.id == user.id or not senior.active or not senior.has_role(Role.MODERATOR):
        raise NoteError(_("Choose a colleague who moderates."))
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise LookupError(item_id)
    if item.status not in claims.WAITING:
        raise NoteError(_("This item has already been decided."))
    note = ItemNote(item_id=item_id, author_id=user.id, at=utcnow(), text_sealed=seal_text(question),
                    asked_id=senior.id)
    session.add(note)
    session.flush()
    claims.release(session, item_id, user)
    notify_triggers.second_opinion(session, senior, item_id=item_id, question_id=note.id, now=note.at)
    audit.record(session, "item.senior_asked", actor=user, target_type="review_item", target_id=item_id,
                 details={"note_id": note.id, "asked_id": senior.id})
    return note


def notes_on(session: Session, item_id: int) -> list[NoteRow]:
    names = {u.id: u.display_name or u.email for u in session.scalars(
        select(User).where(User.id.in_(select(ItemNote.author_id).where(ItemNote.item_id == item_id).union(
            select(ItemNote.asked_id).where(ItemNote.item_id == item_id, ItemNote.asked_id.is_not(None))))))}
    return [NoteRow(n.at, names.get(n.author_id, "a colleague"), open_text(n.text_sealed) or "",
                    names.get(n.asked_id) if n.asked_id is not None else None, n.answered_at is not None)
            for n in session.scalars(select(ItemNote).where(ItemNote.item_id == item_id).order_by(ItemNote.at))]


def asked_of(session: Session, user: User) -> list[Ask]:
    """Open questions put to `user` on items still waiting: the top of their queue page."""
    rows = session.execute(
        select(ItemNote, User.display_name, User.email).join(User, User.id == ItemNote.author_id)
        .join(ReviewItem, ReviewItem.id == ItemNote.item_id)
        .where(ItemNote.asked_id == user.id, ItemNote.answered_at.is_(None), ReviewItem.status.in_(claims.WAITING))
        .order_by(ItemNote.at).limit(50))
    return [Ask(n.item_id, n.at, name or email, open_text(n.text_sealed) or "") for n, name, email in rows]
