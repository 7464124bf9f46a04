"""Flags from the platform: one review item per piece of content, every flag joins it.

Rules (see docs/api.md):
- Idempotent: a delivery with an Idempotency-Key the client already used, or a second flag
  by the same flagger on the same content, creates nothing and reports the existing item.
- Aggregated: all flags on (content_type, platform_content_id) join ONE ReviewItem.
- Races: two deliveries at once are settled by the unique constraints. The losing insert
  fails inside a SAVEPOINT, which is rolled back, and the row the winner made is used. The
  item row is then locked (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises
  writers already) so concurrent flags count up correctly.
- Reopen: a new flag on a decided or closed item reopens it (status back to `open`) when the
  flag is news to the decision: raised after the decision, or carrying a reason the item
  had not had. A flag raised before the decision with a known reason only joins the item.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.review import triage
from models import ApiClient, Flag, ItemStatus, ReviewItem, ScoreStatus

log = logging.getLogger(__name__)

MAX_MEDIA_PER_ITEM = 50
DECIDED_STATES = frozenset({ItemStatus.DECIDED, ItemStatus.CLOSED})


@dataclass(frozen=True)
class FlagDelivery:
    """One flag as delivered by the platform, already validated."""

    content_type: str
    platform_content_id: str
    author_pseudonym: str
    author_age_band: str
    author_role: str
    flagger_pseudonym: str
    flagger_role: str
    reason_category: str
    flagged_at: datetime
    text: str = ""
    media_urls: list[str] = field(default_factory=list)
    posted_at: datetime | None = None
    project_id: str | None = None
    chat_kind: str | None = None
    audience_min_age_band: str | None = None
    school_country: str | None = None
    language_hint: str | None = None
    comment: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class IngestResult:
    item: ReviewItem
    duplicate: bool
    created: bool = False
    reopened: bool = False

    @property
    def needs_scoring(self) -> bool:
        # Only a new item has new text to score. Items left pending (Redis was down at
        # ingest) are the reconciler's job, not every later flag's.
        return self.created


class IdempotencyConflictError(ValueError):
    """The Idempotency-Key was already used by this client for a different flag."""


def find_item(session: Session, content_type: str, content_id: str) -> ReviewItem | None:
    """The item for this content, locked for the rest of the transaction."""
    return session.scalars(
        select(ReviewItem)
        .where(ReviewItem.content_type == content_type, ReviewItem.platform_content_id == content_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _flag_by_key(session: Session, client_id: int, key: str) -> Flag | None:
    return session.scalars(
        select(Flag).where(Flag.api_client_id == client_id, Flag.idempotency_key == key)
    ).first()


def _flag_by_flagger(session: Session, item_id: int, flagger: str) -> Flag | None:
    return session.scalars(
        select(Flag).where(Flag.item_id == item_id, Flag.flagger_pseudonym == flagger)
    ).first()


def _replay(prior: Flag, d: FlagDelivery) -> IngestResult:
    item = prior.item
    same = (item.content_type, item.platform_content_id, prior.flagger_pseudonym) == (
        d.content_type, d.platform_content_id, d.flagger_pseudonym)
    if not same:
        raise IdempotencyConflictError("this Idempotency-Key was already used for a different flag")
    return IngestResult(item, duplicate=True)


def _new_item(d: FlagDelivery) -> ReviewItem:
    return ReviewItem(
        content_type=d.content_type, platform_content_id=d.platform_content_id, text=d.text,
        media_urls=list(dict.fromkeys(d.media_urls)), author_pseudonym=d.author_pseudonym,
        author_age_band=d.author_age_band, author_role=d.author_role, project_id=d.project_id,
        chat_kind=d.chat_kind, audience_min_age_band=d.audience_min_age_band,
        school_country=d.school_country, language_hint=d.language_hint, posted_at=d.posted_at,
        status=ItemStatus.OPEN, flag_count=0, first_flagged_at=d.flagged_at,
        last_flagged_at=d.flagged_at, score_status=ScoreStatus.PENDING,
    )


def _get_or_create_item(session: Session, d: FlagDelivery) -> tuple[ReviewItem, bool]:
    item = find_item(session, d.content_type, d.platform_content_id)
    if item is not None:
        return item, False
    item = _new_item(d)
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        # Another delivery created the item between our look-up and our insert; use theirs.
        found = find_item(session, d.content_type, d.platform_content_id)
        if found is None:
            raise
        return found, False
    return item, True


def _fill_missing_context(item: ReviewItem, d: FlagDelivery) -> None:
    """Later flags may know more about where the content was posted; never overwrite."""
    for name in ("project_id", "chat_kind", "audience_min_age_band", "school_country",
                 "language_hint", "posted_at"):
        if getattr(item, name) is None and getattr(d, name) is not None:
            setattr(item, name, getattr(d, name))
    if d.media_urls:
        merged = list(dict.fromkeys([*item.media_urls, *d.media_urls]))[:MAX_MEDIA_PER_ITEM]
        if merged != item.media_urls:
            item.media_urls = merged


def _should_reopen(item: ReviewItem, d: FlagDelivery, known_reasons: set[str]) -> bool:
    if item.status not in DECIDED_STATES:
        return False
    if item.decided_at is None or d.flagged_at > item.decided_at:
        return True
    return d.reason_category not in known_reasons


def ingest_flag(session: Session, client: ApiClient, d: FlagDelivery) -> IngestResult:
    """Record one delivered flag (the caller commits, then enqueues scoring if needed)."""
    if d.idempotency_key:
        prior = _flag_by_key(session, client.id, d.idempotency_key)
        if prior is not None:
            return _replay(prior, d)
    item, created = _get_or_create_item(session, d)
    if not created:
        prior = _flag_by_flagger(session, item.id, d.flagger_pseudonym)
        if prior is not None:
            return IngestResult(item, duplicate=True)
    known_reasons = {f.reason_category for f in item.flags}
    flag = Flag(
        item_id=item.id, api_client_id=client.id, idempotency_key=d.idempotency_key,
        flagger_pseudonym=d.flagger_pseudonym, flagger_role=d.flagger_role,
        reason_category=d.reason_category, comment=d.comment, flagged_at=d.flagged_at,
        text_snapshot=None if created or d.text == item.text else d.text,
    )
    try:
        with session.begin_nested():
            session.add(flag)
            session.flush()
    except IntegrityError:
        # A concurrent delivery of this very flag (same key or same flagger) got in first.
        prior = (_flag_by_key(session, client.id, d.idempotency_key) if d.idempotency_key else None) \
            or _flag_by_flagger(session, item.id, d.flagger_pseudonym)
        if prior is None:
            raise
        return _replay(prior, d)

    reopened = _should_reopen(item, d, known_reasons)
    if reopened:
        item.status = ItemStatus.OPEN
    item.flag_count += 1
    item.first_flagged_at = min(item.first_flagged_at, d.flagged_at)
    item.last_flagged_at = max(item.last_flagged_at, d.flagged_at)
    if not created:
        _fill_missing_context(item, d)
    session.expire(item, ["flags"])  # triage reads the flags, the new one included
    triage.refresh(session, item)
    session.flush()
    audit.record(
        session, "intake.flag_received", actor_label=f"api:{client.name}", target_type="review_item",
        target_id=item.id,
        details={"flag_id": flag.id, "content_type": d.content_type, "reason": d.reason_category,
                 "flagger_role": d.flagger_role, "new_item": created, "reopened": reopened},
    )
    log.info("flag %s joined item %s (new=%s reopened=%s)", flag.id, item.id, created, reopened)
    return IngestResult(item, duplicate=False, created=created, reopened=reopened)


def item_for_client(session: Session, client: ApiClient, item_id: int) -> ReviewItem | None:
    """The item, if this client ever flagged it (a client sees only what it sent us)."""
    sent = select(Flag.id).where(Flag.item_id == item_id, Flag.api_client_id == client.id).exists()
    return session.scalars(select(ReviewItem).where(ReviewItem.id == item_id, sent)).first()
