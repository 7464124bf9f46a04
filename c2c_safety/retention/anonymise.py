"""The irreversible part of retention: stripping personal data from a batch of records.

Set-based statements over a list of ids, so a batch of thousands costs a handful of
queries. Callers (retention.sweep) choose the ids, and commit after each batch.

What is kept of a case file (the statistical stub): reference, source, category, status,
routed role, language, received/acknowledged/feedback/closed dates, outcome, the
transitions' statuses and dates, and the exclusion rows (user ids only, so the person a case
concerned still cannot see even its stub). Everything else goes: the report's fields,
contact details, receipt hash and lookup, messages, attachments, notes, redaction records,
review notes, alerts, hold and reopening reasons, who handled it, AI scores of its text.

What is kept of a safeguarding referral: its id, reasons (rule labels), status, dates,
outcome, the kinds and dates of the lead's records and the authorities' names (public
bodies), cover steps and holds' dates. Everything else goes: the people (pseudonyms, parts,
ages), the child's pseudonym, notes, reference numbers, hold reasons, who handled it, the
webhook payloads naming a person, and the item with its conversation (review_items).
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
from models.media import HotlineRecord, MediaObject, ReportImage, ReportImageView
from models.review import (
    Appeal,
    Decision,
    SafeguardingAction,
    SafeguardingPerson,
    SafeguardingReferral,
    StatementOfReasons,
    WebhookDelivery,
)
from models.safeguarding_records import SafeguardingEscalation, SafeguardingHold

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
    # Reporters' images' hashes and who opened a restricted one go with the attachments.
    session.execute(delete(ReportImageView).where(ReportImageView.report_image_id.in_(
        select(ReportImage.id).where(_among(session, ReportImage.case_id, ids)))))
    for model in (ReportImage, CaseMessage, Attachment, CaseNote, CaseRedaction, CaseAlert, ReviewNote):
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


def safeguarding_referrals(session: Session, ids: list[int], now: datetime, *, policy: dict[str, Any]) -> int:
    """Anonymise these closed referrals (the caller selected them as due and not held)."""
    if not ids:
        return 0
    in_refs = _among(session, SafeguardingAction.referral_id, ids)
    deliveries = [d for row in session.execute(select(SafeguardingAction.delivery_id,
                                                      SafeguardingAction.withdrawal_delivery_id).where(in_refs))
                  for d in row if d is not None]
    if deliveries:
        session.execute(update(WebhookDelivery).where(_among(session, WebhookDelivery.id, deliveries))
                        .values(payload={"anonymised": True}).execution_options(synchronize_session=False))
    session.execute(update(SafeguardingAction).where(in_refs)
                    .values(detail_sealed=None, authority_ref_sealed=None, person_id=None,
                            child_pseudonym=ANONYMISED)
                    .execution_options(synchronize_session=False))
    session.execute(delete(SafeguardingPerson).where(_among(session, SafeguardingPerson.referral_id, ids))
                    .execution_options(synchronize_session=False))
    session.execute(update(SafeguardingHold).where(_among(session, SafeguardingHold.referral_id, ids))
                    .values(reason_sealed=None, release_reason_sealed=None, placed_by_id=None, released_by_id=None)
                    .execution_options(synchronize_session=False))
    # The hotline record keeps its reference, dates and which lists matched; hashes and references go.
    for record in session.scalars(select(HotlineRecord).where(_among(session, HotlineRecord.referral_id, ids))):
        record.entries = [{"image": "anonymised", "list": e.get("list", ""), "source": e.get("source", "")}
                          for e in record.entries]
        record.hotline_reference = None
        record.sent_by_id = None
    session.execute(update(SafeguardingEscalation).where(_among(session, SafeguardingEscalation.referral_id, ids))
                    .values(recipient_ids=[]).execution_options(synchronize_session=False))
    session.execute(update(SafeguardingReferral).where(_among(session, SafeguardingReferral.id, ids))
                    .values(child_pseudonym="anonymised-" + SafeguardingReferral.id.cast(String()),
                            assigned_to_id=None, deputy_id=None, closed_by_id=None)
                    .execution_options(synchronize_session=False))
    done_items = select(AnonymisedRecord.record_id).where(AnonymisedRecord.record_type == "review_item")
    items = [i for i in session.scalars(select(SafeguardingReferral.item_id).where(
        _among(session, SafeguardingReferral.id, ids), SafeguardingReferral.item_id.is_not(None),
        SafeguardingReferral.item_id.not_in(done_items))) if i is not None]
    review_items(session, items, now, policy=policy)
    session.add_all([AnonymisedRecord(record_type="safeguarding_referral", record_id=i,
                                      category="safeguarding_referrals", anonymised_at=now) for i in ids])
    audit.record_many(session, [
        {"action": "retention.referral_anonymised", "target_type": "safeguarding_referral", "target_id": i,
         "details": policy, "at": now} for i in ids
    ])
    session.flush()
    return len(ids)


def review_items(session: Session, ids: list[int], now: datetime, *, policy: dict[str, Any]) -> int:
    """Strip moderation items and their decisions' free text; keep what the transparency
    figures need (content type, categories, actions, grounds, dates, AI agreement)."""
    if not ids:
        return 0
    # Items collapsed into these (the same picture, review/collapse.py) follow them.
    merged = [i for i in session.scalars(select(ReviewItem.id).where(
        _among(session, ReviewItem.merged_into_id, ids), ReviewItem.id.not_in(ids),
        ReviewItem.id.not_in(select(AnonymisedRecord.record_id).where(AnonymisedRecord.record_type == "review_item"))))]
    if merged:
        review_items(session, merged, now, policy=policy)
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
    # Images (c2c_safety/media): the picture, its preview, address and hashes go; what the figures
    # need (that there was an image, whether a list matched) stays.
    session.execute(update(MediaObject).where(_among(session, MediaObject.item_id, ids))
                    .values(blob_sealed=None, preview_sealed=None, url_sealed=None, url_key="anonymised-"
                            + MediaObject.id.cast(String()), sha256=None, pdq=None, match_reference=None,
                            anonymised_at=now)
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

