"""Case handling (`/cases`): the handlers' desk for whistleblowing reports and escalations.

Case pages that read: the list, one case, attachments, alerts, and the exclusions page.
Every lookup goes through services.case_access; a case someone may not see is a 404.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response as WResponse

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases import alerts as case_alerts
from c2c_safety.cases import attachments, closing, message_templates, reviewer_oversight
from c2c_safety.cases import lifecycle as cases
from c2c_safety.cases import queries as case_queries
from c2c_safety.cases import redaction as case_redaction
from c2c_safety.cases.access import CASE_ROLES, CaseNotFoundError
from c2c_safety.cases.forms import (
    AssignForm,
    CloseForm,
    ExcludeByReferenceForm,
    ExcludeForm,
    FeedbackForm,
    MessageForm,
    NoteForm,
    ReasonForm,
    RecuseForm,
    RedactForm,
    StepForm,
    choices,
)
from c2c_safety.core import db, params
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.crypto import open_text
from c2c_safety.core.locale import translated
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.media import report_images, viewing
from c2c_safety.media.forms import RestrictedRevealForm
from models import Attachment, CaseCategory, CaseExclusion, CaseFile, CaseRegime, CaseStatus, User
from models.review import SafeguardingReferral

bp = Blueprint("cases", __name__, url_prefix="/cases")
NAV.append(NavLink("cases.index", _l("Cases"), frozenset(CASE_ROLES)))
NAV.append(NavLink("cases.alerts", _l("Deadline alerts"), frozenset(CASE_ROLES)))
NAV.append(NavLink("cases.exclusions", _l("Case conflicts"), frozenset(CASE_ROLES)))

# One wording for "no such case" and "a case you may not open" (issue 10: no existence oracle).
NO_SUCH_CASE = _l("No case with that reference that you can open.")


def visible_or_404(case_id: int) -> CaseFile:
    try:
        return case_access.get_visible(db.session(), staff(), case_id)
    except CaseNotFoundError:
        abort(404)


@bp.route("/")
@roles_required(*CASE_ROLES)
def index() -> str:
    s = db.session()
    f = case_queries.ListFilter(
        show=params.arg_choice("show", ("open", "closed", "all"), "open"),
        status=params.arg_choice("status", [str(s) for s in CaseStatus], ""),
        category=params.arg_choice("category", [str(c) for c in CaseCategory], ""),
        deadline=params.arg_choice("deadline", ("overdue", "due_soon"), ""),
        q=params.arg_text("q", 200),
        mine=params.arg_choice("mine", ("", "1"), "") == "1",
    )
    result = case_queries.listing(s, staff(), f)
    case_queries.record_list_view(s, staff(), f)
    s.commit()
    return render_template("cases/index.html", listing=result, f=f, status_labels=translated(cases.STATUS_LABELS),
                           categories=list(CaseCategory), stubs=reviewer_oversight.stubs_for(s, staff()))


def detail_context(case: CaseFile, **forms: Any) -> dict[str, Any]:
    s = db.session()
    user = staff()
    handler = case_access.can_handle(s, user, case)
    assign = forms.get("assign_form") or AssignForm(assignee=case.assigned_to_id or 0)
    assign.assignee.choices = choices([(0, _("Nobody"))] + [(p.id, f"{p.display_name} <{p.email}>")
                                                          for p in case_access.eligible_handlers(s, case)])
    exclude = forms.get("exclude_form") or ExcludeForm()
    excluded = case_access.excluded_user_ids(s, case.id)
    exclude.person.choices = choices((p.id, f"{p.display_name} <{p.email}>") for p in s.scalars(
        select(User).where(User.active.is_(True)).order_by(User.email)) if p.id not in excluded and p.id != user.id)
    people = {u.id: u for u in s.scalars(select(User))}
    exclusions = list(s.scalars(select(CaseExclusion).where(CaseExclusion.case_id == case.id)))
    return {
        "case": case, "handler": handler, "deadline": cases.deadline_view(case),
        "fields": cases.report_fields(case) if case.anonymised_at is None else {},
        "messages": cases.message_texts(case), "notes": cases.notes(s, case),
        "attachments": [(a, open_text(a.filename_sealed) or _("attachment")) for a in case.attachments],
        "transitions": cases.transitions(s, case), "redactions": case_redaction.redactions(s, case),
        "hold": cases.open_hold(s, case), "people": people, "exclusions": exclusions,
        "reporter_channel": cases.has_reporter_channel(case),
        "status_labels": translated(cases.STATUS_LABELS), "outcome_labels": translated(cases.OUTCOME_LABELS),
        "redaction_reasons": translated(case_redaction.REASONS),
        # A safeguarding referral about the same matter (issue 19: linked records show each other).
        "linked_referral_id": s.scalar(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == case.id)),
        "case_roles_lead": user.has_role("safeguarding_lead"),
        "review_notes": case_queries.reviewer_notes(s, case.id) if user.has_role("independent_reviewer") else [],
        "step_form": StepForm(), "feedback_form": forms.get("feedback_form") or FeedbackForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "findings": closing.findings(case) if case.anonymised_at is None else "",
        "second_people": closing.second_people(s, case, user) if handler else [],
        "reopen_form": forms.get("reopen_form") or ReasonForm(prefix="reopen"),
        "hold_form": forms.get("hold_form") or ReasonForm(prefix="hold"),
        "message_form": forms.get("message_form") or MessageForm(prefix="msg"),
        "note_form": forms.get("note_form") or NoteForm(prefix="note"),
        "assign_form": assign, "exclude_form": exclude,
        "recuse_form": forms.get("recuse_form") or RecuseForm(prefix="recuse"),
        "redact_form": forms.get("redact_form") or RedactForm(prefix="redact"),
        "message_templates": message_templates.TEMPLATES,
        # Images restricted by a hash-list match (media/report_images.py): only the lead opens them.
        "restricted_attachments": report_images.restricted_ids(s, case.id),
        "may_view_restricted": bool(user.role_names & viewing.VIEW_RESTRICTED_ROLES),
    }


@bp.route("/<int:case_id>")
@roles_required(*CASE_ROLES)
def detail(case_id: int) -> str | WResponse:
    case = visible_or_404(case_id)
    if case.regime == CaseRegime.SAFEGUARDING:
        # A report about a child is a safeguarding referral: one record, one clock (issue 19).
        ref_id = db.session().scalar(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == case.id))
        if ref_id is not None:
            return redirect(url_for("safeguarding.referral", referral_id=ref_id))
    key = params.arg_choice("template", list(message_templates.TEMPLATES), "")
    start = message_templates.text(key)
    # A template fills the message box (and, for feedback, the feedback box); nothing is sent.
    ctx = detail_context(case, **({"message_form": MessageForm(prefix="msg", data={"text": start}),
                                   "feedback_form": FeedbackForm(data={"text": start})} if start else {}))
    cases.record_view(db.session(), case, actor=staff(), handler=bool(ctx.get("handler")))
    db.session().commit()
    return render_template("cases/detail.html", **ctx)


@bp.route("/<int:case_id>/attachments/<int:attachment_id>")
@roles_required(*CASE_ROLES)
def attachment(case_id: int, attachment_id: int) -> Response:
    case = visible_or_404(case_id)
    s = db.session()
    att = s.get(Attachment, attachment_id)
    if att is None or att.case_id != case.id:
        abort(404)
    if not report_images.may_open(s, staff(), att.id):
        abort(403)  # matched a known abuse list: only the lead, after confirming why (attachment_reveal)
    try:
        media_type, filename, data = attachments.open_attachment(s, att.id)
    except LookupError:
        abort(410, _("This attachment was redacted."))
    audit.record(s, "case.attachment_downloaded", actor=staff(), target_type="attachment", target_id=att.id,
                 case_id=case.id)
    s.commit()
    safe = "".join(ch for ch in filename if ch.isalnum() or ch in "._- ")[:100].strip() or "attachment"
    resp = Response(data, mimetype=media_type or "application/octet-stream")
    resp.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


@bp.route("/<int:case_id>/attachments/<int:attachment_id>/reveal", methods=["POST"])
@roles_required(*viewing.VIEW_RESTRICTED_ROLES)  # the reviewer reads, and never opens one
def attachment_reveal(case_id: int, attachment_id: int) -> WResponse:
    """The lead opens an image restricted by a hash-list match: confirmed, with a reason,
    audited; then it downloads (for REVEAL_WINDOW) like any attachment."""
    case = visible_or_404(case_id)
    s = db.session()
    att = s.get(Attachment, attachment_id)
    form = RestrictedRevealForm()
    if att is None or att.case_id != case.id or not form.validate_on_submit():
        abort(404 if att is None or att.case_id != case.id else 400)
    try:
        report_images.reveal(s, staff(), att.id, confirmed=bool(form.confirm.data), reason=str(form.reason.data or ""))
    except viewing.MediaAccessError:
        s.rollback()
        abort(404)
    except ValueError as exc:
        s.rollback()
        flash(str(exc), "error")
        referral_id = s.scalar(select(SafeguardingReferral.id).where(SafeguardingReferral.case_id == case.id))
        return redirect(url_for("safeguarding.referral", referral_id=referral_id) if referral_id is not None
                        else url_for("cases.detail", case_id=case.id))
    s.commit()
    return redirect(url_for("cases.attachment", case_id=case.id, attachment_id=att.id))


@bp.route("/alerts")
@roles_required(*CASE_ROLES)
def alerts() -> str:
    s = db.session()
    live = case_alerts.live_for_user(s, staff())
    rows = case_alerts.for_user(s, staff())
    return render_template("cases/alerts.html", live=live, rows=rows, form=StepForm())


@bp.route("/alerts/<int:alert_id>/read", methods=["POST"])
@roles_required(*CASE_ROLES)
def alert_read(alert_id: int) -> WResponse:
    if not StepForm().validate_on_submit():
        abort(400)
    if not case_alerts.mark_read(db.session(), staff(), alert_id):
        abort(404)
    db.session().commit()
    return redirect(url_for("cases.alerts"))


@bp.route("/exclusions", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def exclusions() -> WResponse | str | tuple[str, int]:
    """Mark a conflict of interest by case reference; the independent reviewer lifts them here.

    A reference the viewer cannot open gets exactly the answer of one that does not exist."""
    s = db.session()
    form = ExcludeByReferenceForm()
    if form.validate_on_submit():
        try:
            case = case_access.find_for_exclusion(s, staff(), form.reference.data or "")
            # Looked up only once the case is known to be the viewer's to see: no other answer
            # may come before "no such case".
            person = s.scalars(select(User).where(User.email == (form.email.data or "").strip().lower())).first()
            if person is None:
                raise case_access.ExclusionError(_("No staff account has that e-mail."))
            done = case_access.exclude(s, case, person, actor=staff(), reason=form.reason.data or "")
        except (CaseNotFoundError, PermissionError):
            s.rollback()
            form.reference.errors = [NO_SUCH_CASE]
        except case_access.ExclusionError as exc:
            s.rollback()
            form.email.errors = [str(exc)]
        else:
            s.commit()
            if isinstance(done, CaseExclusion):
                flash(_("Exclusion recorded. That person can no longer find or open the case."), "success")
            else:
                flash(_("Excluding an independent reviewer needs a second person: it waits below until the CEO "
                        "or the other reviewer confirms it. Until then the reviewer can still open the case."),
                      "success")
            return redirect(url_for("cases.exclusions"))
    rows = case_access.exclusions_visible_to(s, staff())
    status = 400 if form.is_submitted() else 200
    return render_template("cases/exclusions.html", form=form, rows=rows, lift_form=StepForm(),
                           requests=reviewer_oversight.pending_visible_to(s, staff()),
                           stubs=reviewer_oversight.stubs_for(s, staff())), status


@bp.route("/exclusions/<int:exclusion_id>/lift", methods=["POST"])
@roles_required("independent_reviewer", "ceo")
def lift_exclusion(exclusion_id: int) -> WResponse:
    """The independent reviewer undoes an exclusion or recusal; the CEO a reviewer's (audited)."""
    if not StepForm().validate_on_submit():
        abort(400)
    s = db.session()
    try:
        case_access.lift_exclusion(s, exclusion_id, actor=staff())
    except LookupError:
        abort(404)
    s.commit()
    flash(_("Exclusion lifted. That person can find and open the case again."), "success")
    return redirect(url_for("cases.exclusions"))
