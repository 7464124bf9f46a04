"""The irreversible part of retention: stripping personal data from a batch of records.

Set-based statements over a list of ids, so a batch of thousands costs a handful of
queries. Callers (retention.sweep) choose the ids, and commit after each batch.

What is kept of a case file (the statistical stub): reference, source, category, status,
routed role, language, received/acknowledged/feedback/closed dates, outcome, the
transitions' statuses and dates, and the exclusion rows (user ids only, so the person a case
concerned still cannot see even its stub). Everything else goes: the report's fields,
contact details, receipt hash and lookup, messages, attachments, notes, redaction records,
review notes, alerts, hold and reopening reasons, who handled it, AI scores of its text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, any_, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from models import (
    AnonymisedRecord,
    Attachment,
    CaseAlert,
    CaseExclusion,
    CaseFile,
    CaseMessage,
    CaseNote,
    CaseRedaction,
    CaseTransition,
    ConversationMessage,
    Flag,
    ItemConversation,
    ItemScore,
    LegalHold,
    ReviewItem,
    ReviewNote,
)
from models.review import Appeal, Decision, StatementOfReasons, WebhookDelivery

ANONYMISED = "[anonymised]"


def _among(session: Session, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """`column IN ids`, as one array parameter on PostgreSQL: a thousand separate bind
    parameters cost more to parse and plan than the statement costs to run."""
    if session.get_bind().dialect.name == "postgresql":
        clause: ColumnElement[bool] = column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
        return clause
    inlist: ColumnElement[bool] = column.in_(ids)
    return inlist


def case_files(session: Session, ids: list[int], now: datetime, *, policy: dict[str, Any]) -> int:
    """Anonymise these case files (the caller selected them as due). Returns how many."""
    if not ids:
        return 0
    for model in (CaseMessage, Attachment, CaseNote, CaseRedaction, CaseAlert, ReviewNote):
        session.execute(delete(model).where(_among(session, model.case_id, ids)))
    session.execute(delete(ItemScore).where(ItemScore.subject_type == "case",
                                            _among(session, ItemScore.subject_id, ids)))
    session.execute(update(CaseTransition).where(_among(session, CaseTransition.case_id, ids))
                    .values(reason_sealed=None, actor_id=None))
    session.execute(update(LegalHold).where(_among(session, LegalHold.case_id, ids))
                    .values(reason_sealed=None, placed_by_id=None, lifted_by_id=None))
    session.execute(update(CaseExclusion).where(_among(session, CaseExclusion.case_id, ids))
                    .values(reason_sealed=None, created_by_id=None))
    result = session.execute(
        update(CaseFile)
        .where(_among(session, CaseFile.id, ids), CaseFile.anonymised_at.is_(None), CaseFile.legal_hold.is_(False))
        .values(body_sealed=None, occurred_sealed=None, involved_sealed=None, contact_sealed=None,
                receipt_lookup=None, receipt_hash=None, assigned_to_id=None, closed_approved_by_id=None,
                findings_sealed=None, close_record_sealed=None, close_proposed_by_id=None,
                review_item_id=None, score_error=None, anonymised_at=now, version=CaseFile.version + 1)
        .execution_options(synchronize_session=False)
    )
    # One entry per case, tied to it, so the case's own trail ends with its anonymisation.
    audit.record_many(session, [
        {"action": "retention.case_anonymised", "target_type": "case", "target_id": cid,
         "case_id": cid, "details": policy, "at": now} for cid in ids
    ])
    return int(getattr(result, "rowcount", 0) or 0)


def review_items(session: Session, ids: list[int], now: datetime, *, policy: dict[str, Any]) -> int:
    """Strip moderation items and their decisions' free text; keep what the transparency
    figures need (content type, categories, actions, grounds, dates, AI agreement)."""
    if not ids:
        return 0
    session.execute(
        update(ReviewItem).where(_among(session, ReviewItem.id, ids))
        .values(text="", media_urls=[], author_pseudonym=ANONYMISED, project_id=None,
                platform_content_id="anonymised-" + ReviewItem.id.cast(String()),
                score_error=None, text_key=None, version=ReviewItem.version + 1)
        .execution_options(synchronize_session=False)
    )
    # The conversation around a flagged message (review/conversations.py) goes entirely: texts,
    # authors and times of people who were not even the subject of the item.
    session.execute(delete(ConversationMessage).where(_among(session, ConversationMessage.item_id, ids))
                    .execution_options(synchronize_session=False))
    session.execute(delete(ItemConversation).where(_among(session, ItemConversation.item_id, ids))
                    .execution_options(synchronize_session=False))
    session.execute(
        update(Flag).where(_among(session, Flag.item_id, ids))
        .values(flagger_pseudonym="anonymised-" + Flag.id.cast(String()), comment="", text_snapshot=None,
                idempotency_key=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(update(ItemScore).where(ItemScore.subject_type == "item",
                                            _among(session, ItemScore.subject_id, ids))
                    .values(reasons={}, extra={}).execution_options(synchronize_session=False))
    decision_ids = select(Decision.id).where(_among(session, Decision.item_id, ids))
    session.execute(update(StatementOfReasons).where(StatementOfReasons.decision_id.in_(decision_ids))
                    .values(facts=ANONYMISED).execution_options(synchronize_session=False))
    session.execute(update(WebhookDelivery).where(WebhookDelivery.decision_id.in_(decision_ids))
                    .values(payload={"anonymised": True}).execution_options(synchronize_session=False))
    session.execute(update(Appeal).where(_among(session, Appeal.item_id, ids))
                    .values(text_sealed=None, appellant_pseudonym=None, platform_ref=None)
                    .execution_options(synchronize_session=False))
    session.add_all([AnonymisedRecord(record_type="review_item", record_id=i, category="moderation",
                                      anonymised_at=now) for i in ids])
    audit.record_many(session, [
        {"action": "retention.item_anonymised", "target_type": "review_item", "target_id": i,
         "details": policy, "at": now} for i in ids
    ])
    session.flush()
    return len(ids)

