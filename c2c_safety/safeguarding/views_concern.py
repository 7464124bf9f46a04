"""The lead's POSTs about the concern itself: set the risk level, answer the reporter,
convert a whistleblower case into a referral (and back), link and unlink a case, and the
chronology PDF (a GET download, audited like every chronology view).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from c2c_safety.cases.access import CaseNotFoundError, get_visible
from c2c_safety.core import db, params
from c2c_safety.core.access import roles_required, staff
from c2c_safety.safeguarding import chronology, chronology_pdf, concern_view, concerns, risk
from c2c_safety.safeguarding import people as people_service
from c2c_safety.safeguarding import referrals as referrals_service
from c2c_safety.safeguarding.actions import SafeguardingError
from c2c_safety.safeguarding.forms import StepForm
from c2c_safety.safeguarding.forms_concern import LinkForm, ReplyForm, RiskForm
from c2c_safety.safeguarding.views import LEAD, bp, run_step
from models import CaseFile
from models.review import SafeguardingReferral

Page = Response | tuple[str, int]


def _referral(referral_id: int) -> SafeguardingReferral:
    s = db.session()
    ref = s.get(SafeguardingReferral, referral_id)
    if ref is None or (ref.item_id is None and concern_view.visible_case(s, ref, staff()) is None):
        abort(404)
    return ref




@bp.route("/referrals/<int:referral_id>/risk", methods=["POST"])
@roles_required(LEAD)
def set_risk(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = RiskForm(prefix="risk")

    def act() -> None:
        s = db.session()
        people = people_service.people_of(s, ref)
        case = concern_view.visible_case(s, ref, staff())
        scores = risk.case_scores(s, [case.id]).get(case.id) if case is not None else None
        proposal = risk.of_referral(ref, people, reopened=referrals_service.was_reopened(s, ref.id), case=case,
                                    scores=scores)
        level = params.choice(form.level.data, [str(k) for k in risk.LEVELS], "")
        risk.set_level(s, ref, actor=staff(), level=int(level) if level else 0, reason=form.reason.data or "",
                       proposed=proposal)

    return run_step(referral_id, form, "risk", act, _("Risk level saved."), "level")


@bp.route("/referrals/<int:referral_id>/reply", methods=["POST"])
@roles_required(LEAD)
def reply(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = ReplyForm(prefix="reply")

    def act() -> None:
        case = concern_view.visible_case(db.session(), ref, staff())
        if case is None or ref.item_id is not None:
            raise SafeguardingError(_("This referral has no reporter to write to."))
        concerns.reply(db.session(), ref, case, actor=staff(), text=form.text.data or "", files=form.file.files())

    return run_step(referral_id, form, "reply", act, _("Message sent to the reporter."), "text")


@bp.route("/referrals/<int:referral_id>/link", methods=["POST"])
@roles_required(LEAD)
def link_case(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = LinkForm(prefix="link")

    def act() -> None:
        s = db.session()
        reference = (form.reference.data or "").strip().upper()
        case_id = s.scalar(select(CaseFile.id).where(CaseFile.reference == reference))
        try:
            case = get_visible(s, staff(), case_id or 0)
        except CaseNotFoundError:
            raise SafeguardingError(_("No case with that reference that you can open.")) from None
        concerns.link(s, ref, case, actor=staff())

    return run_step(referral_id, form, "link", act, _("Case linked to this referral."), "reference")


def _step(referral_id: int, action: Callable[[], object], done: str, then: Callable[[], str]) -> Response:
    if not StepForm().validate_on_submit():
        abort(400, _("The form expired. Go back and try again."))
    s = db.session()
    try:
        action()
    except SafeguardingError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("safeguarding.referral", referral_id=referral_id))
    s.commit()
    flash(done, "success")
    return redirect(then())


@bp.route("/referrals/<int:referral_id>/unlink", methods=["POST"])
@roles_required(LEAD)
def unlink_case(referral_id: int) -> Response:
    ref = _referral(referral_id)
    return _step(referral_id, lambda: concerns.unlink(db.session(), ref, actor=staff()), _("Link removed."),
                 lambda: url_for("safeguarding.referral", referral_id=referral_id))


@bp.route("/referrals/<int:referral_id>/revert", methods=["POST"])
@roles_required(LEAD)
def revert(referral_id: int) -> Response:
    ref = _referral(referral_id)
    case_id = ref.case_id or 0
    return _step(referral_id, lambda: concerns.revert(db.session(), ref, actor=staff()),
                 _("The report is a whistleblower case again."), lambda: url_for("cases.detail", case_id=case_id))


@bp.route("/cases/<int:case_id>/convert", methods=["POST"])
@roles_required(LEAD)
def convert(case_id: int) -> Response:
    if not StepForm().validate_on_submit():
        abort(400, _("The form expired. Go back and try again."))
    s = db.session()
    try:
        case = get_visible(s, staff(), case_id)
    except CaseNotFoundError:
        abort(404)
    try:
        ref = concerns.convert(s, case, actor=staff())
    except SafeguardingError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("safeguarding.index"))
    s.commit()
    flash(_("Case %(ref)s is now safeguarding referral #%(id)s; the reporter's receipt and messages are kept.",
            ref=case.reference, id=ref.id), "success")
    return redirect(url_for("safeguarding.referral", referral_id=ref.id))


@bp.route("/chronology.pdf")
@roles_required(LEAD)
def chronology_export() -> Response:
    """The chronology of one child as a PDF for a case conference; audited."""
    pseudonym = params.arg_text("child", 128).strip()
    if not pseudonym:
        abort(400, _("Name the child (?child=…)."))
    s = db.session()
    entries = chronology.chronology(s, pseudonym, actor=staff())
    data = chronology_pdf.render(pseudonym, entries, exported_by=staff().display_name or staff().email)
    chronology_pdf.record_export(s, pseudonym, len(entries), len(data), actor=staff())
    s.commit()
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="chronology.pdf"', "Cache-Control": "no-store"})
