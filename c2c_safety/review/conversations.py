"""The conversation around a flagged message: stored when the flags API sends it, shown to
the moderator as a thread with the flagged message marked, handed to the classifier.

The platform may send up to MAX_BEFORE messages before the flagged one and, for a late
flag, up to MAX_AFTER after it (validated in intake/schemas.py). Texts are sealed
(core.crypto) like every other personal text; pseudonyms, roles, age bands and times are
kept as they are on review items. A later flag on the same content may bring the
conversation again, or more of it: messages are merged (the same author, time and text is
the same message), keeping the ones nearest the flagged message.

Contract with the scoring workers (docs/scoring.md): `preceding_texts(session, ids)` gives,
per item, the texts of the messages before the flagged one, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from c2c_safety.core.crypto import open_text, seal_text
from models import ConversationMessage, ItemConversation, ReviewItem, utcnow

MAX_BEFORE = 20
MAX_AFTER = 20
MAX_MESSAGE_TEXT = 4000
KINDS = ("one_to_one", "group", "comment_thread")
AGE_ORDER = ("under13", "13to15", "16plus", "adult")


@dataclass(frozen=True)
class MessageIn:
    author_pseudonym: str
    author_role: str
    author_age_band: str
    sent_at: datetime
    text: str
    platform_message_id: str | None = None


@dataclass(frozen=True)
class ConversationIn:
    kind: str
    participant_age_bands: tuple[str, ...]
    before: tuple[MessageIn, ...] = ()
    after: tuple[MessageIn, ...] = ()
    participant_count: int | None = None


def _key(m: MessageIn) -> tuple[str, datetime, str]:
    return (m.author_pseudonym, m.sent_at, m.text)


def _stored(session: Session, item_id: int) -> list[tuple[int, MessageIn]]:
    rows = session.scalars(select(ConversationMessage).where(ConversationMessage.item_id == item_id)
                           .order_by(ConversationMessage.position))
    return [(r.position, MessageIn(r.author_pseudonym, r.author_role, r.author_age_band, r.sent_at,
                                   open_text(r.text_sealed) or "", r.platform_message_id)) for r in rows]


def _merge(old: Sequence[MessageIn], new: Sequence[MessageIn]) -> list[MessageIn]:
    seen: dict[tuple[str, datetime, str], MessageIn] = {}
    for m in [*old, *new]:
        seen.setdefault(_key(m), m)
    # Stable: messages sent in the same second keep the order the platform gave them.
    return sorted(seen.values(), key=lambda m: m.sent_at)


def store(session: Session, item: ReviewItem, conv: ConversationIn, now: datetime | None = None) -> bool:
    """Store or extend the item's conversation (caller commits). Returns True if anything
    changed. Fills the item's youngest-audience band from the participants when the item
    did not know it (never overwrites), before the caller re-triages the item."""
    now = now or utcnow()
    head = session.get(ItemConversation, item.id)
    changed = False
    bands = sorted(set(conv.participant_age_bands), key=AGE_ORDER.index)
    if head is None:
        head = ItemConversation(item_id=item.id, kind=conv.kind, participant_age_bands=bands,
                                participant_count=conv.participant_count, received_at=now, updated_at=now)
        session.add(head)
        changed = True
    else:
        merged = sorted(set(head.participant_age_bands) | set(bands), key=AGE_ORDER.index)
        if merged != head.participant_age_bands:
            head.participant_age_bands, changed = merged, True
        if conv.participant_count is not None and conv.participant_count > (head.participant_count or 0):
            head.participant_count, changed = conv.participant_count, True
    old = _stored(session, item.id)
    before = _merge([m for p, m in old if p < 0], conv.before)[-MAX_BEFORE:]
    after = _merge([m for p, m in old if p > 0], conv.after)[:MAX_AFTER]
    positioned = [(i - len(before), m) for i, m in enumerate(before)] + \
        [(i + 1, m) for i, m in enumerate(after)]
    if [(p, _key(m)) for p, m in positioned] != [(p, _key(m)) for p, m in old]:
        changed = True
        session.execute(delete(ConversationMessage).where(ConversationMessage.item_id == item.id))
        session.add_all(ConversationMessage(
            item_id=item.id, position=p, platform_message_id=m.platform_message_id,
            author_pseudonym=m.author_pseudonym, author_role=m.author_role,
            author_age_band=m.author_age_band, sent_at=m.sent_at, text_sealed=seal_text(m.text))
            for p, m in positioned)
    if changed:
        head.updated_at = now
    if item.audience_min_age_band is None and bands:
        item.audience_min_age_band = bands[0]
    session.flush()
    return changed


def preceding_texts(session: Session, item_ids: Sequence[int], limit: int = MAX_BEFORE) -> dict[int, list[str]]:
    """Per item id: the texts of the messages before the flagged one, oldest first (at most
    `limit`, the nearest ones). Items without a conversation are absent. Never logged."""
    if not item_ids:
        return {}
    out: dict[int, list[str]] = {}
    rows = session.execute(
        select(ConversationMessage.item_id, ConversationMessage.text_sealed)
        .where(ConversationMessage.item_id.in_(list(item_ids)), ConversationMessage.position < 0)
        .order_by(ConversationMessage.item_id, ConversationMessage.position))
    for item_id, sealed in rows:
        out.setdefault(item_id, []).append(open_text(sealed) or "")
    return {k: v[-limit:] for k, v in out.items()}


def conversation_for(session: Session, item: ReviewItem | int) -> list[str]:
    """The texts of the messages before the flagged one, oldest first ([] without any)."""
    item_id = item if isinstance(item, int) else item.id
    return preceding_texts(session, [item_id]).get(item_id, [])


def speaker_letters(n: int) -> str:
    """0 → A, 25 → Z, 26 → AA, 27 → AB … (spreadsheet columns): no two participants share a
    label however many there are (a class chat has more than 26)."""
    out = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


@dataclass(frozen=True)
class ThreadMessage:
    speaker: str  # "the author" or "participant B": letters, never the pseudonym
    role: str
    age_band: str
    sent_at: datetime | None
    text: str
    flagged: bool = False
    by_author: bool = False


@dataclass
class Thread:
    kind: str
    participant_age_bands: list[str]
    participant_count: int | None
    messages: list[ThreadMessage] = field(default_factory=list)


def thread(session: Session, item: ReviewItem) -> Thread | None:
    """The conversation as the item page shows it, or None. Speakers get letters in order of
    appearance (the flagged message's author is "the author"), so the moderator can follow
    who said what without the page showing platform pseudonyms."""
    head = session.get(ItemConversation, item.id)
    if head is None:
        return None
    stored = _stored(session, item.id)
    letters: dict[str, str] = {item.author_pseudonym: _("the author")}

    def speaker(pseudonym: str) -> str:
        if pseudonym not in letters:
            letters[pseudonym] = _("participant %(letter)s", letter=speaker_letters(len(letters) - 1))
        return letters[pseudonym]

    def view(m: MessageIn) -> ThreadMessage:
        return ThreadMessage(speaker(m.author_pseudonym), m.author_role, m.author_age_band, m.sent_at,
                             m.text, by_author=m.author_pseudonym == item.author_pseudonym)

    out = Thread(head.kind, list(head.participant_age_bands), head.participant_count)
    out.messages += [view(m) for p, m in stored if p < 0]
    out.messages.append(ThreadMessage(_("the author"), item.author_role, item.author_age_band, item.posted_at,
                                      item.text, flagged=True, by_author=True))
    out.messages += [view(m) for p, m in stored if p > 0]
    return out
