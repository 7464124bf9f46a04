"""Flags from the platform: one review item per piece of content, every flag joins it.

Rules (see docs/api.md):
- Idempotent: a delivery with an Idempotency-Key the client already used, or a second flag
  by the same flagger on the same content, creates nothing and reports the existing item.
- Aggregated: all flags on (content_type, platform_content_id) join ONE ReviewItem.
- Races: two deliveries at once are settled by the unique constraints, with
  INSERT … ON CONFLICT DO NOTHING RETURNING (no savepoints): the losing insert returns no
  row and the row the winner made is used. An existing item is locked (FOR UPDATE on
  PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers already) so concurrent flags
  count up correctly.
- Cost: a new flag on new content is a fixed, short sequence (docs/audit-log.md, "Speed"):
  the flaggers' history (one read), INSERT item + flag + triage note (one statement on
  PostgreSQL, three on SQLite: persist.py), INSERT audit entry. Triage is computed in
  Python before the item is inserted, so nothing is read that cannot exist yet and nothing
  is updated after it was inserted.
- Reopen: a new flag on a decided or closed item reopens it (status back to `open`) when the
  flag is news to the decision: raised after the decision, or carrying a reason the item
  had not had. A flag raised before the decision with a known reason only joins the item.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from c2c_safety.audit import log as audit
from c2c_safety.intake import persist
from c2c_safety.intake.persist import IdempotencyConflictError as IdempotencyConflictError
from c2c_safety.media import intake as media_intake
from c2c_safety.review import collapse, conversations, triage
from models import ApiClient, Flag, ItemStatus, ReviewItem, ScoreStatus, utcnow

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
    conversation: conversations.ConversationIn | None = None  # chat messages and comments only


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


def _new_flag(client: ApiClient, d: FlagDelivery, item_id: int | None, snapshot: str | None) -> Flag:
    return Flag(item_id=item_id, api_client_id=client.id, idempotency_key=d.idempotency_key,
                flagger_pseudonym=d.flagger_pseudonym, flagger_role=d.flagger_role,
                reason_category=d.reason_category, comment=d.comment, flagged_at=d.flagged_at,
                text_snapshot=snapshot, received_at=utcnow())


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
    item = _new_item(d)
    item.flag_count = 1
    if d.conversation is not None and item.audience_min_age_band is None and d.conversation.participant_age_bands:
        # What conversations.store would fill in: triage must see it before the insert.
        item.audience_min_age_band = min(d.conversation.participant_age_bands,
                                         key=conversations.AGE_ORDER.index)
    flag = _new_flag(client, d, None, None)
    item.flags = [flag]  # transient: triage reads the flags
    found = triage.assess(session, item)
    if not persist.persist_new(session, item, flag, triage.note_values(found)):
        return _join(session, client, d)
    if d.conversation is not None:  # sealed
        conversations.store(session, item, d.conversation)
    triage.route(session, item, found)
    _record(session, client, d, item, flag, created=True, reopened=False)
    return IngestResult(item, duplicate=False, created=True)


def _join(session: Session, client: ApiClient, d: FlagDelivery) -> IngestResult:
    """The content is known already: the flag joins its item (or is a repeat)."""
    if d.idempotency_key:
        prior = _flag_by_key(session, client.id, d.idempotency_key)
        if prior is not None:
            return _replay(prior, d)
    item = find_item(session, d.content_type, d.platform_content_id)
    if item is None:  # gone between our insert and this read: let the caller start again
        raise StaleDataError("the item of this content disappeared; retry")
    if item.merged_into_id is not None:
        # The same picture as another item's (review/collapse.py): a repeat stays a repeat,
        # a new flag joins the item it was merged into.
        if _flag_by_flagger(session, item.id, d.flagger_pseudonym) is not None:
            return IngestResult(collapse.live(session, item), duplicate=True)
        item = collapse.live(session, item)
    prior = _flag_by_flagger(session, item.id, d.flagger_pseudonym)
    if prior is not None:
        return IngestResult(item, duplicate=True)
    known_reasons = {f.reason_category for f in item.flags}
    flag = persist.insert_flag(session, _new_flag(client, d, item.id, None if d.text == item.text else d.text))
    if flag is None:
        # A concurrent delivery of this very flag (same key or same flagger) got in first.
        prior = (_flag_by_key(session, client.id, d.idempotency_key) if d.idempotency_key else None) \
            or _flag_by_flagger(session, item.id, d.flagger_pseudonym)
        if prior is None:
            raise StaleDataError("the flag collided with one that is not visible yet; retry")
        return _replay(prior, d)
    reopened = _should_reopen(item, d, known_reasons)
    if reopened:
        item.status = ItemStatus.OPEN
    item.flag_count += 1
    item.first_flagged_at = min(item.first_flagged_at, d.flagged_at)
    item.last_flagged_at = max(item.last_flagged_at, d.flagged_at)
    _fill_missing_context(item, d)
    if d.conversation is not None:  # sealed; may fill the youngest audience band triage reads
        conversations.store(session, item, d.conversation)
    session.expire(item, ["flags"])  # triage reads the flags, the new one included
    triage.refresh(session, item)
    session.flush()
    _record(session, client, d, item, flag, created=False, reopened=reopened)
    return IngestResult(item, duplicate=False, created=False, reopened=reopened)


def _record(session: Session, client: ApiClient, d: FlagDelivery, item: ReviewItem, flag: Flag, *,
            created: bool, reopened: bool) -> None:
    audit.record(
        session, "intake.flag_received", actor_label=f"api:{client.name}", target_type="review_item",
        target_id=item.id,
        details={"flag_id": flag.id, "content_type": d.content_type, "reason": d.reason_category,
                 "flagger_role": d.flagger_role, "new_item": created, "reopened": reopened},
    )
    if item.media_urls:  # images on the platform's media host are fetched later by a worker
        media_intake.register(session, item)
    log.info("flag %s joined item %s (new=%s reopened=%s)", flag.id, item.id, created, reopened)


def item_for_client(session: Session, client: ApiClient, item_id: int) -> ReviewItem | None:
    """The item, if this client ever flagged it (a client sees only what it sent us)."""
    sent = select(Flag.id).where(Flag.item_id == item_id, Flag.api_client_id == client.id).exists()
    return session.scalars(select(ReviewItem).where(ReviewItem.id == item_id, sent)).first()
