"""The second person for excluding an independent reviewer from a case (the CEO or the other
reviewer) confirms or rejects it here; who asked may withdraw it (cases.reviewer_oversight)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from c2c_safety.cases import reviewer_oversight
from c2c_safety.cases.access import CASE_ROLES, ExclusionError
from c2c_safety.cases.forms import StepForm
from c2c_safety.cases.views import bp
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff


@bp.route("/exclusions/requests/<int:request_id>/confirm", methods=["POST"])
@roles_required(*CASE_ROLES)
def confirm_exclusion_request(request_id: int) -> Response:
    if not StepForm().validate_on_submit():
        abort(400)
    s = db.session()
    try:
        reviewer_oversight.confirm(s, request_id, actor=staff())
    except LookupError:
        s.rollback()
        abort(404)
    except ExclusionError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("cases.exclusions"))
    s.commit()
    flash(_("Exclusion confirmed. The independent reviewer now sees only that they are excluded, by whom, "
            "when and why."), "success")
    return redirect(url_for("cases.exclusions"))


@bp.route("/exclusions/requests/<int:request_id>/reject", methods=["POST"])
@roles_required(*CASE_ROLES)
def reject_exclusion_request(request_id: int) -> Response:
    if not StepForm().validate_on_submit():
        abort(400)
    s = db.session()
    try:
        req = reviewer_oversight.reject(s, request_id, actor=staff())
    except LookupError:
        s.rollback()
        abort(404)
    except ExclusionError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("cases.exclusions"))
    s.commit()
    flash(_("Request withdrawn.") if req.status == "withdrawn" else _("Request rejected."), "success")
    return redirect(url_for("cases.exclusions"))
