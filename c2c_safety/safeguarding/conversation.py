"""The participants of a flagged chat message's conversation, for the referral's people.

The flags API's optional conversation context (issue 12) is stored by intake
(review/conversations.py, models ItemConversation / ConversationMessage); this module is
the one place the safeguarding desk reads it, and only who took part — pseudonym, platform
role and age band — never the messages' text.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ReviewItem
from models.intake import ConversationMessage

Participant = tuple[str, str, str]  # (pseudonym, platform role, age band)


def participants(session: Session, item: ReviewItem) -> list[Participant]:
    """Everyone who wrote in the item's conversation, in the order they first appear; the
    item's own author is included if they wrote in it too."""
    return participants_by_item(session, [item.id]).get(item.id, [])


def participants_by_item(session: Session, item_ids: list[int]) -> dict[int, list[Participant]]:
    """The same for many items in one query (the desk lists hundreds of referrals)."""
    if not item_ids:
        return {}
    rows = session.execute(
        select(ConversationMessage.item_id, ConversationMessage.author_pseudonym,
               ConversationMessage.author_role, ConversationMessage.author_age_band)
        .where(ConversationMessage.item_id.in_(item_ids))
        .order_by(ConversationMessage.item_id, ConversationMessage.position)).all()
    out: dict[int, dict[str, Participant]] = {}
    for item_id, pseudonym, role, band in rows:
        out.setdefault(item_id, {}).setdefault(pseudonym, (pseudonym, role or "unknown", band or "unknown"))
    return {k: list(v.values()) for k, v in out.items()}
