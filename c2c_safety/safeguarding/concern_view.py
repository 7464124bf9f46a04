"""What the referral page shows besides its people and actions: the concern itself (for a
referral that is an anonymous report: the report's text, its messages and attachments, a
reply form), the linked case, the risk level with its proposal and history, and the forms
that change them. Opening a report's referral marks the report as read by a person.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.cases import access as case_access
from c2c_safety.cases import lifecycle as case_lifecycle
from c2c_safety.core.crypto import open_text
from c2c_safety.media import report_images
from c2c_safety.media.viewing import VIEW_RESTRICTED_ROLES
from c2c_safety.safeguarding import concerns, risk
from c2c_safety.safeguarding.forms_concern import LinkForm, ReplyForm, RiskForm
from models import CaseFile, User
from models.review import SafeguardingPerson, SafeguardingReferral


def visible_case(session: Session, ref: SafeguardingReferral, viewer: User) -> CaseFile | None:
    """The referral's case file if the viewer may see it (conflict exclusions hold)."""
    if ref.case_id is None:
        return None
    return session.scalars(case_access.visible_cases_query(viewer).where(CaseFile.id == ref.case_id)).first()


def open_concern(session: Session, ref: SafeguardingReferral, case: CaseFile | None, *, viewer: User) -> None:
    """Audit the view of the report behind the referral; the first look marks it read."""
    if case is None:
        return
    if ref.item_id is None:
        concerns.mark_read(session, ref, case, actor=viewer)
    else:
        case_lifecycle.record_view(session, case, actor=viewer)


def context(session: Session, ref: SafeguardingReferral, case: CaseFile | None,
            people: list[SafeguardingPerson], *, reopened: bool, forms: dict[str, FlaskForm],
            viewer: User | None = None) -> dict[str, Any]:
    scores = risk.case_scores(session, [case.id]).get(case.id) if case is not None and ref.item_id is None else None
    proposal = risk.of_referral(ref, people, reopened=reopened, case=case, scores=scores)
    setting = risk.latest_settings(session, [ref.id]).get(ref.id)
    is_report = ref.item_id is None and case is not None
    concern: dict[str, Any] = {}
    if is_report and case is not None:
        concern = {
            "fields": case_lifecycle.report_fields(case) if case.anonymised_at is None else {},
            "messages": case_lifecycle.message_texts(case),
            "attachments": [(a, open_text(a.filename_sealed) or "attachment") for a in case.attachments],
            "can_reply": case_lifecycle.has_reporter_channel(case) and case.anonymised_at is None,
            # Images restricted by a hash-list match: only the lead opens them, after confirming why.
            "restricted": report_images.restricted_ids(session, case.id),
            "may_view_restricted": viewer is not None and bool(viewer.role_names & VIEW_RESTRICTED_ROLES),
        }
    names = {u.id: u.display_name or u.email for u in session.scalars(select(User))}
    return {
        "case": case, "is_report": is_report, "concern": concern, "proposal": proposal,
        "risk": risk.effective(proposal, setting), "risk_history": risk.history(session, ref),
        "risk_levels": {k: _(v) for k, v in risk.LEVELS.items()}, "names": names, "child": next(
            (p.pseudonym for p in people if p.part == "child_at_risk"), ""),
        "category_label": concerns.category_label(case.category) if case is not None else "",
        "risk_form": forms.get("risk") or RiskForm(prefix="risk"),
        "reply_form": forms.get("reply") or ReplyForm(prefix="reply"),
        "link_form": forms.get("link") or LinkForm(prefix="link"),
    }
