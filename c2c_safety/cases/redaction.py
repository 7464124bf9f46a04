"""Redaction: removing personal data that is manifestly not relevant to a case
(Whistleblower Directive Art. 17, GDPR Art. 5(1)(c)).

A handler replaces a whole field, message, note or attachment, or one exact span inside a
text, with "[redacted]". The removed text is not kept anywhere: the redaction row and the
audit entry record what was redacted (target and id), why (a reason code) and by whom.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases.lifecycle import CaseError, CaseForbiddenError
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.core.locale import N_
from models import Attachment, CaseFile, CaseMessage, CaseNote, CaseRedaction, User, utcnow

REDACTED = "[redacted]"
FIELD_TARGETS = {"body": "body_sealed", "occurred": "occurred_sealed", "involved": "involved_sealed",
                 "contact": "contact_sealed"}
TARGETS = (*FIELD_TARGETS, "message", "note", "attachment")
REASONS: dict[str, str] = {
    "not_relevant": N_("Personal data not relevant to the case"),
    "third_party": N_("Identifies an uninvolved third person"),
    "special_category": N_("Special-category data not needed for the case"),
    "reporter_identity": N_("Could identify the anonymous reporter"),
}


def _replace(text: str, span: str | None) -> str:
    if not span:
        return REDACTED
    if span not in text:
        raise CaseError(_("That exact text was not found in the chosen part of the case."))
    return text.replace(span, REDACTED)


def redact(session: Session, case: CaseFile, *, actor: User, target: str, reason_code: str,
           target_id: int | None = None, span: str | None = None) -> CaseRedaction:
    """Redact a field (`body`, `occurred`, `involved`, `contact`), or the message, note or
    attachment `target_id`. With `span`, only that exact text (every occurrence) goes."""
    if not case_access.can_handle(session, actor, case):
        raise CaseForbiddenError(case.id)
    if target not in TARGETS:
        raise CaseError(_("Choose what to redact."))
    if reason_code not in REASONS:
        raise CaseError(_("Choose a reason for the redaction."))
    span = (span or "").strip() or None
    if span is not None and len(span) < 2:
        raise CaseError(_("Give at least two characters of text to redact, or leave it empty "
                          "to redact the whole part."))
    if target in FIELD_TARGETS:
        column = FIELD_TARGETS[target]
        current = open_text(getattr(case, column))
        if current is None:
            raise CaseError(_("That part of the case is empty."))
        setattr(case, column, seal_text(_replace(current, span)))
    elif target in ("message", "note"):
        row: CaseMessage | CaseNote | None
        if target == "message":
            row = session.scalars(select(CaseMessage).where(CaseMessage.id == (target_id or 0),
                                                            CaseMessage.case_id == case.id)).first()
        else:
            row = session.scalars(select(CaseNote).where(CaseNote.id == (target_id or 0),
                                                         CaseNote.case_id == case.id)).first()
        if row is None:
            raise CaseError(_("No such message on this case.") if target == "message"
                            else _("No such note on this case."))
        row.body_sealed = seal_text(_replace(open_text(row.body_sealed) or "", span))
    else:
        att = session.scalars(select(Attachment).where(Attachment.id == (target_id or 0),
                                                       Attachment.case_id == case.id)).first()
        if att is None:
            raise CaseError(_("No such attachment on this case."))
        if span is not None:
            raise CaseError(_("Attachments are redacted whole."))
        if att.data_sealed is None:
            raise CaseError(_("That attachment is already redacted."))
        att.data_sealed = None
        att.filename_sealed = seal_text(REDACTED)
        att.size = 0
    row_r = CaseRedaction(case_id=case.id, target=target, target_id=target_id, whole=span is None,
                          reason_code=reason_code, actor_id=actor.id, at=utcnow())
    session.add(row_r)
    session.flush()
    audit.record(session, "case.redacted", actor=actor, target_type=target, target_id=target_id or "",
                 case_id=case.id, details={"reason": reason_code, "whole": span is None,
                                           "redaction_id": row_r.id})
    return row_r


def redactions(session: Session, case: CaseFile) -> list[CaseRedaction]:
    return list(session.scalars(select(CaseRedaction).where(CaseRedaction.case_id == case.id)
                                .order_by(CaseRedaction.id)))
