"""The author's history on the desk: earlier items by the same pseudonym, with what was
decided about them and any appeals, so a moderator sees a pattern (or its absence) without
searching. Shown on the item page with links; the pseudonym itself is not printed there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ReviewItem
from models.review import RESTRICTIVE_ACTIONS, Appeal, Decision

LIMIT = 20


@dataclass(frozen=True)
class PastDecision:
    id: int
    kind: str
    action: str
    at: datetime


@dataclass(frozen=True)
class PastAppeal:
    id: int
    status: str
    received_at: datetime


@dataclass
class HistoryRow:
    item_id: int
    content_type: str
    first_flagged_at: datetime
    status: str
    flag_count: int
    decisions: list[PastDecision] = field(default_factory=list)
    appeals: list[PastAppeal] = field(default_factory=list)


@dataclass(frozen=True)
class AuthorHistory:
    rows: list[HistoryRow]
    total_items: int  # other items by this author on the desk, all of them
    restricted_items: int  # of the rows shown: items whose latest decision restricted something

    @property
    def more(self) -> bool:
        return self.total_items > len(self.rows)


def author_history(session: Session, item: ReviewItem, limit: int = LIMIT, *,
                   include_self: bool = False) -> AuthorHistory:
    """The `limit` latest other items by the author of `item` (three queries, all indexed);
    with `include_self`, every item of theirs (the account page, review/account_view.py)."""
    others = ReviewItem.author_pseudonym == item.author_pseudonym
    if not include_self:
        others = others & (ReviewItem.id != item.id)
    total = session.scalar(select(func.count()).select_from(ReviewItem).where(others)) or 0
    rows = {r.id: HistoryRow(r.id, r.content_type, r.first_flagged_at, r.status, r.flag_count)
            for r in session.execute(
                select(ReviewItem.id, ReviewItem.content_type, ReviewItem.first_flagged_at, ReviewItem.status,
                       ReviewItem.flag_count)
                .where(others).order_by(ReviewItem.id.desc()).limit(limit))}
    if rows:
        for d in session.execute(select(Decision.id, Decision.item_id, Decision.kind, Decision.action,
                                        Decision.created_at).where(Decision.item_id.in_(rows))
                                 .order_by(Decision.id)):
            rows[d.item_id].decisions.append(PastDecision(d.id, d.kind, d.action, d.created_at))
        for a in session.execute(select(Appeal.id, Appeal.item_id, Appeal.status, Appeal.received_at)
                                 .where(Appeal.item_id.in_(rows)).order_by(Appeal.id)):
            rows[a.item_id].appeals.append(PastAppeal(a.id, a.status, a.received_at))
    shown = list(rows.values())
    restricted = sum(1 for r in shown if r.decisions and r.decisions[-1].action in RESTRICTIVE_ACTIONS)
    return AuthorHistory(shown, total, restricted)
