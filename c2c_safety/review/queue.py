"""The moderators' queue: filtered, keyset-paginated reads over waiting items.

Order: `queue_rank` (priority with waiting time folded in, see review/priority.py), then
id, both descending, served by the partial index `ix_review_items_queue`. Pages are cut by
the last row's (queue_rank, id), never by OFFSET, so page 1,000 costs what page 1 costs.
Rows are read as plain columns (no item text) to keep the list cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from redis import Redis
from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.orm import Session

from c2c_safety.review import priority, queue_count, wellbeing
from c2c_safety.review.queue_filters import (
    AGE_BANDS as AGE_BANDS,
)
from c2c_safety.review.queue_filters import (
    LANGUAGES as LANGUAGES,
)
from c2c_safety.review.queue_filters import (
    SOURCES as SOURCES,
)
from c2c_safety.review.queue_filters import (
    STATUSES as STATUSES,
)
from c2c_safety.review.queue_filters import (
    WAITING as WAITING,
)
from c2c_safety.review.queue_filters import (
    WAITING_STATES as WAITING_STATES,
)
from c2c_safety.review.queue_filters import (
    Cursor as Cursor,
)
from c2c_safety.review.queue_filters import (
    QueueFilters as QueueFilters,
)
from c2c_safety.review.queue_filters import (
    conditions,
)
from models import Flag, ItemScore, ItemStatus, ReviewItem, ScoreStatus, User, utcnow
from models.review import Appeal, AppealStatus, ContentReveal, Decision, ItemTriage

PAGE_SIZE = 50
_COLUMNS = (
    ReviewItem.id, ReviewItem.content_type, ReviewItem.author_age_band, ReviewItem.author_role,
    ReviewItem.chat_kind, ReviewItem.project_id, ReviewItem.school_country, ReviewItem.language,
    ReviewItem.language_hint, ReviewItem.language_reliable, ReviewItem.status, ReviewItem.flag_count,
    ReviewItem.score_status, ReviewItem.top_category, ReviewItem.top_score, ReviewItem.priority,
    ReviewItem.queue_rank, ReviewItem.minor_involved, ReviewItem.safeguarding,
    ReviewItem.claimed_by_id, ReviewItem.claim_expires_at, ReviewItem.waiting_since,
    ReviewItem.queue_level,
)


@dataclass
class QueueRow:
    id: int
    content_type: str
    author_age_band: str
    author_role: str
    chat_kind: str | None
    project_id: str | None
    school_country: str | None
    language: str | None
    language_reliable: bool | None
    status: str
    flag_count: int
    score_status: str
    top_category: str | None
    top_band: str | None
    priority: int
    effective_priority: int
    waited: timedelta
    overdue: bool
    minor_involved: bool
    safeguarding: bool
    claimed_by: str | None
    claimed_by_me: bool
    reasons: list[str] = field(default_factory=list)
    decided_original: bool = False  # the viewer made the decision now under appeal
    level: int = 0  # the severity level it is ranked at now (lifted one for waiting, at most)
    lifted: bool = False
    # The first PREVIEW_CHARS of the text (issue 22.3); None when sensitive and not revealed
    # by this viewer: such text is never sent to the browser from the list.
    preview: str | None = None
    sensitive: bool = False

    @property
    def waited_label(self) -> str:
        return waited_label(self.waited)

    @property
    def where_label(self) -> str:
        where = (_("%(kind)s chat", kind=self.chat_kind.replace("_", " ")) if self.chat_kind
                 else _("project") if self.project_id else self.content_type.replace("_", " "))
        return f"{where}, {self.school_country}" if self.school_country else str(where)


def waited_label(td: timedelta) -> str:
    mins = int(td.total_seconds() // 60)
    if mins < 60:
        return str(_("%(m)s min", m=mins))
    if mins < 2 * 24 * 60:
        return str(_("%(h)s h %(m)s min", h=mins // 60, m=mins % 60))
    return str(_("%(d)s days %(h)s h", d=mins // 1440, h=(mins % 1440) // 60))


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: Cursor | None
    prev_cursor: Cursor | None
    count: queue_count.WaitingCount | None


def count_waiting(session: Session, f: QueueFilters, viewer: User, now: datetime | None = None,
                  cap: int = queue_count.FILTERED_CAP) -> tuple[int, bool]:
    """Matches for these filters, exact up to `cap` ("more than cap" beyond): bounded work."""
    return queue_count.capped(session, list(conditions(f, viewer, now or utcnow())), cap)


def waiting_count(session: Session, f: QueueFilters, viewer: User, cache: Redis | None,
                  now: datetime | None = None) -> queue_count.WaitingCount:
    if not f.active():
        return queue_count.total(session, viewer, cache, now)
    # Filtered counts are shared for a short while, except those that depend on the viewer.
    shared = cache if f.status not in ("mine", "unclaimed") else None
    key = "&".join(f"{k}={v}" for k, v in sorted(f.active().items()))
    return queue_count.filtered(shared, key, lambda: count_waiting(session, f, viewer, now))


def page(session: Session, f: QueueFilters, viewer: User, *, after: Cursor | None = None,
         before: Cursor | None = None, limit: int = PAGE_SIZE, now: datetime | None = None,
         with_count: bool = True, cache: Redis | None = None,
         exclude: Sequence[ColumnElement[bool]] = ()) -> QueuePage:
    """`exclude`: the viewer's skip list (review/skips.py); the count ignores it."""
    now = now or utcnow()
    conds = [*conditions(f, viewer, now), *exclude]
    key = tuple_(ReviewItem.queue_rank, ReviewItem.id)
    stmt = select(*_COLUMNS).where(*conds)
    if before is not None:
        stmt = stmt.where(key > tuple_(before.rank, before.id)).order_by(
            ReviewItem.queue_rank.asc(), ReviewItem.id.asc())
    else:
        if after is not None:
            stmt = stmt.where(key < tuple_(after.rank, after.id))
        stmt = stmt.order_by(ReviewItem.queue_rank.desc(), ReviewItem.id.desc())
    raw = list(session.execute(stmt.limit(limit + 1)).all())
    more = len(raw) > limit
    raw = raw[:limit]
    if before is not None:
        raw.reverse()
    rows = _rows(session, raw, viewer, now)
    next_c = prev_c = None
    if raw:
        last, head = raw[-1], raw[0]
        if (before is not None) or more:
            next_c = Cursor(last.queue_rank, last.id)
        if (before is not None and more) or (before is None and after is not None):
            prev_c = Cursor(head.queue_rank, head.id)
    count = waiting_count(session, f, viewer, cache, now) if with_count else None
    return QueuePage(rows, next_c, prev_c, count)


PREVIEW_CHARS = 180


def _previews(session: Session, raw: list[Any], reasons: dict[int, list[str]],
              viewer: User) -> dict[int, tuple[str | None, bool]]:
    """Per row: (preview, sensitive). Sensitivity as on the item page (any flag reason, any AI
    category at band medium or high, from the latest scores), so the list never shows what the
    item page would hide; the viewer's own reveals count."""
    ids = [r.id for r in raw]
    if not ids:
        return {}
    scored = [r.id for r in raw if r.score_status == ScoreStatus.SCORED]
    latest: dict[int, dict[str, float]] = {}
    if scored:
        for subject_id, scores in session.execute(
                select(ItemScore.subject_id, ItemScore.scores)
                .where(ItemScore.subject_type == "item", ItemScore.subject_id.in_(scored))
                .order_by(ItemScore.created_at, ItemScore.id)):
            latest[subject_id] = scores
    sensitive = {i for i in ids if wellbeing.sensitive_from(reasons.get(i, []), latest.get(i))}
    seen = set(session.scalars(select(ContentReveal.item_id).where(
        ContentReveal.item_id.in_(sorted(sensitive)), ContentReveal.user_id == viewer.id))) if sensitive else set()
    shown = [i for i in ids if i not in sensitive or i in seen]
    texts: dict[int, str] = {i: t for i, t in session.execute(
        select(ReviewItem.id, func.substr(ReviewItem.text, 1, PREVIEW_CHARS + 1)).where(ReviewItem.id.in_(shown)))
    } if shown else {}
    out: dict[int, tuple[str | None, bool]] = {}
    for i in ids:
        text = texts.get(i)
        if text is not None and len(text) > PREVIEW_CHARS:
            text = text[:PREVIEW_CHARS].rstrip() + "…"
        out[i] = (text, i in sensitive)
    return out


def _rows(session: Session, raw: list[Any], viewer: User, now: datetime) -> list[QueueRow]:
    ids = [r.id for r in raw]
    reasons: dict[int, list[str]] = {}
    claimers: dict[int, str] = {}
    mine_appealed: set[int] = set()
    if ids:
        for item_id, reason in session.execute(
                select(Flag.item_id, Flag.reason_category).where(Flag.item_id.in_(ids))):
            got = reasons.setdefault(item_id, [])
            if reason not in got:
                got.append(reason)
        claimer_ids = {r.claimed_by_id for r in raw if r.claimed_by_id is not None}
        if claimer_ids:
            for uid, name, email in session.execute(
                    select(User.id, User.display_name, User.email).where(User.id.in_(claimer_ids))):
                claimers[uid] = name or email
        appealed = [r.id for r in raw if r.status == ItemStatus.APPEALED]
        if appealed:
            mine_appealed = set(session.scalars(select(Appeal.item_id).where(
                Appeal.item_id.in_(appealed), Appeal.status == AppealStatus.OPEN,
                Appeal.original_decider_id == viewer.id)))
    previews = _previews(session, raw, reasons, viewer)
    out = []
    for r in raw:
        waited = max(timedelta(0), now - (r.waiting_since or now))
        level = priority.effective_level(r.queue_rank)
        live = (r.claimed_by_id is not None and r.claim_expires_at is not None
                and r.claim_expires_at > now)
        scored = r.score_status == ScoreStatus.SCORED and r.top_category and r.top_score is not None
        out.append(QueueRow(
            id=r.id, content_type=r.content_type, author_age_band=r.author_age_band,
            author_role=r.author_role, chat_kind=r.chat_kind, project_id=r.project_id,
            school_country=r.school_country, language=r.language or r.language_hint,
            language_reliable=r.language_reliable, status=r.status, flag_count=r.flag_count,
            score_status=r.score_status, top_category=r.top_category if scored else None,
            top_band=priority.band(r.top_category, r.top_score) if scored else None,
            priority=r.priority, effective_priority=r.priority + priority.aging_points(waited),
            waited=waited, overdue=waited > priority.QUEUE_TARGET,
            minor_involved=r.minor_involved, safeguarding=r.safeguarding,
            claimed_by=claimers.get(r.claimed_by_id) if live else None,
            claimed_by_me=live and r.claimed_by_id == viewer.id,
            reasons=reasons.get(r.id, []),
            decided_original=r.id in mine_appealed,
            level=level, lifted=level > r.queue_level,
            preview=previews.get(r.id, (None, False))[0], sensitive=previews.get(r.id, (None, False))[1],
        ))
    return out


@dataclass
class ItemView:
    item: ReviewItem
    scores: dict[str, float]
    bands: dict[str, str]
    model: str | None
    components: list[tuple[str, int]]
    safeguarding_reasons: list[str]
    sensitive: bool
    waited: timedelta
    overdue: bool
    effective_priority: int
    decisions: list[Decision]
    appeal: Appeal | None
    appeal_text: str
    claimed_by: User | None
    claim_live: bool
    excluded_decider_id: int | None
    level: int = 0  # ranked at now
    lifted: bool = False  # lifted one level for waiting
    score_extra: dict[str, Any] = field(default_factory=dict)  # the worker's evidence (docs/scoring.md)


def item_view(session: Session, item_id: int, viewer: User, now: datetime | None = None) -> ItemView | None:
    """Everything the item page shows. The caller records the view (audit) and exposure."""
    from c2c_safety.core.crypto import open_text
    from c2c_safety.review import claims, triage, wellbeing

    now = now or utcnow()
    item = session.get(ReviewItem, item_id)
    if item is None:
        return None
    score = triage.latest_score(session, item.id)
    scores = {k: float(v) for k, v in (score.scores if score is not None else {}).items()}
    note = session.get(ItemTriage, item.id)
    if note is not None:
        components = [(str(c[0]), int(c[1])) for c in note.components]
        sg_reasons = list(note.safeguarding_reasons)
    else:
        components = priority.compute(session, item, scores or None).components
        sg_reasons = priority.safeguarding_reasons(item, scores or None)
    waited = max(timedelta(0), now - (item.waiting_since or now))
    level = priority.effective_level(item.queue_rank)
    appeal = session.scalars(select(Appeal).where(Appeal.item_id == item.id)
                             .order_by(Appeal.id.desc()).limit(1)).first()
    live = item.claimed_by_id is not None and item.claim_expires_at is not None \
        and item.claim_expires_at > now
    return ItemView(
        item=item, scores=scores, bands=priority.bands(scores),
        model=f"{score.model_name} {score.model_version}" if score is not None else None,
        components=components, safeguarding_reasons=sg_reasons,
        sensitive=wellbeing.is_sensitive(item, scores or None),
        waited=waited, overdue=item.status in WAITING_STATES and waited > priority.QUEUE_TARGET,
        effective_priority=item.priority + priority.aging_points(waited),
        decisions=list(session.scalars(select(Decision).where(Decision.item_id == item.id)
                                       .order_by(Decision.id))),
        appeal=appeal,
        appeal_text=(open_text(appeal.text_sealed) or "") if appeal is not None else "",
        claimed_by=session.get(User, item.claimed_by_id) if live and item.claimed_by_id else None,
        claim_live=live, excluded_decider_id=claims.excluded_decider(session, item.id),
        level=level, lifted=level > item.queue_level,
        score_extra=dict(score.extra or {}) if score is not None else {},
    )


def record_view(session: Session, item: ReviewItem, *, actor: User) -> None:
    from c2c_safety.audit import log as audit

    audit.record(session, "view.review_item", actor=actor, target_type="review_item",
                 target_id=item.id, details={"status": item.status})
