"""Helpers for the case, retention, reviewer and exclusion tests: make cases directly."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from c2c_safety.cases import routing
from c2c_safety.core.crypto import seal_bytes, seal_text
from models import Attachment, CaseFile, CaseMessage, CaseSource, CaseStatus, utcnow

SECRET_BODY = "Synthetic report: Kim from class 7B was sent messages by an adult helper."


def make_case(app: Flask, db: Session, *, category: str = "ethical", status: str = CaseStatus.ACKNOWLEDGED,
              received_at: datetime | None = None, reporter: bool = True, body: str = SECRET_BODY,
              closed_at: datetime | None = None, assigned_to_id: int | None = None,
              with_attachment: bool = False, **extra: Any) -> int:
    """A case as intake (or an escalation) would leave it, optionally further along."""
    received = received_at or utcnow() - timedelta(days=1)
    with app.app_context():
        case = CaseFile(
            reference=f"T-{secrets.token_hex(4).upper()}",
            source=CaseSource.ANONYMOUS_REPORT if reporter else CaseSource.ESCALATION,
            category=category, routed_role=routing.route_case(category), status=status,
            received_at=received,
            acknowledged_at=received if status != CaseStatus.RECEIVED else None,
            body_sealed=seal_text(body), contact_sealed=seal_text("kim.parent@example.invalid"),
            receipt_lookup=secrets.token_hex(16) if reporter else None,
            receipt_hash="scrypt$test" if reporter else None,
            assigned_to_id=assigned_to_id, **extra,
        )
        if status in (CaseStatus.FEEDBACK_GIVEN, CaseStatus.CLOSED):
            case.feedback_at = received + timedelta(days=10)
        if status == CaseStatus.CLOSED:
            case.closed_at = closed_at or received + timedelta(days=20)
            case.outcome = "substantiated"
            case.retention_clock_from = case.closed_at
        db.add(case)
        db.flush()
        if reporter:
            db.add(CaseMessage(case_id=case.id, from_reporter=True, body_sealed=seal_text("More detail from me."),
                               created_at=received))
        if with_attachment:
            db.add(Attachment(case_id=case.id, from_reporter=True, media_type="text/plain", size=5,
                              filename_sealed=seal_text("evidence.txt"), data_sealed=seal_bytes(b"hello")))
        db.commit()
        return case.id


def get(db: Session, model: Any, ident: int) -> Any:
    """Fresh read that ends its transaction at once (SQLite: a reader must not hold the
    write lock the app's next request needs)."""
    db.expire_all()
    obj = db.get(model, ident)
    db.commit()
    return obj


def scalars(db: Session, stmt: Any) -> list[Any]:
    db.expire_all()
    out = list(db.scalars(stmt))
    db.commit()
    return out


def make_item(db: Session, *, author: str = "pupil-123", status: str = "decided", text: str = "Item text",
              decided_at: datetime | None = None, decider_id: int | None = None, flagger: str | None = None,
              reason: str = "bullying", automated: bool = False, ai_agreed: bool | None = None) -> int:
    """A moderation item, optionally decided (decision + statement) and flagged."""
    from models import Flag, ReviewItem
    from models.review import Decision, StatementOfReasons

    at = decided_at or utcnow() - timedelta(days=1)
    item = ReviewItem(content_type="chat_message", platform_content_id=secrets.token_hex(6), text=text,
                      author_pseudonym=author, author_age_band="13to15", author_role="pupil", status=status,
                      first_flagged_at=at - timedelta(hours=5), last_flagged_at=at - timedelta(hours=5),
                      created_at=at - timedelta(hours=5), decided_at=at if status != "open" else None)
    db.add(item)
    db.flush()
    if flagger:
        db.add(Flag(item_id=item.id, flagger_pseudonym=flagger, flagger_role="pupil", reason_category=reason,
                    comment="flag comment", flagged_at=at - timedelta(hours=5)))
    if status != "open" and decider_id is not None:
        dec = Decision(item_id=item.id, decided_by_id=decider_id, action="remove", reason_code=reason,
                       policy_reason_id=None, created_at=at, item_version=1, ai_agreed=ai_agreed,
                       time_on_item_seconds=40.0)
        db.add(dec)
        db.flush()
        db.add(StatementOfReasons(decision_id=dec.id, restriction="removed", duration="permanent",
                                  facts="Facts about pupil-123", source="notice", automated_detection=automated,
                                  automated_note="", policy_code=reason, policy_ground="ground",
                                  redress="appeal"))
    db.commit()
    return item.id
