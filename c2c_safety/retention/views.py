"""Admin: retention policies (`/admin/retention`).

Admins change retention periods (never below the legal floor); every change is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField
from wtforms.validators import DataRequired, NumberRange

from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.retention import sweep as retention
from models.retention import PeriodUnit, RetentionCategory

bp = Blueprint("retention", __name__, url_prefix="/admin/retention")
NAV.append(NavLink("retention.policies", lazy_gettext("Retention"), frozenset({"admin"})))

# The page's words for the policy rows' codes. The legal basis stays as written in the policy
# row (sweep.DEFAULTS): it is the operator's documented schedule, not interface text.
CATEGORY_LABELS = {
    RetentionCategory.CASE_FILES: lazy_gettext("Case files"),
    RetentionCategory.MODERATION: lazy_gettext("Moderation"),
    RetentionCategory.AUDIT_LOG: lazy_gettext("Audit log"),
    RetentionCategory.PARENTAL_CONSENT: lazy_gettext("Parental consent"),
    RetentionCategory.SAFEGUARDING_REFERRALS: lazy_gettext("Safeguarding referrals"),
}
UNIT_LABELS = {PeriodUnit.DAYS: lazy_gettext("days"), PeriodUnit.MONTHS: lazy_gettext("months")}
CLOCK_LABELS = {
    "from case closure": lazy_gettext("from case closure"),
    "from the latest decision": lazy_gettext("from the latest decision"),
    "rolling, from the entry": lazy_gettext("rolling, from the entry"),
    "from referral closure": lazy_gettext("from referral closure"),
    "from consent withdrawal or account end": lazy_gettext("from consent withdrawal or account end"),
}


class PeriodForm(FlaskForm):
    period = IntegerField(lazy_gettext("New period"), validators=[DataRequired(), NumberRange(min=1, max=1200)])


def _labels() -> dict[str, object]:
    return {"category_labels": CATEGORY_LABELS, "unit_labels": UNIT_LABELS, "clock_labels": CLOCK_LABELS}


@bp.route("/")
@roles_required("admin")
def policies() -> str:
    s = db.session()
    rows = retention.ensure_policies(s)
    s.commit()
    return render_template("retention/policies.html", policies=[rows[spec.category] for spec in retention.DEFAULTS],
                           specs=retention.SPECS, runs=retention.last_runs(s), form=PeriodForm(), **_labels())


@bp.route("/<category>", methods=["POST"])
@roles_required("admin")
def set_period(category: str) -> Response | tuple[str, int]:
    if category not in retention.SPECS:
        abort(404)
    s = db.session()
    form = PeriodForm()
    error = None
    if form.validate_on_submit():
        try:
            retention.set_period(s, category, int(form.period.data or 0), actor=staff())
        except retention.RetentionError as exc:
            s.rollback()
            error = str(exc)
        else:
            s.commit()
            flash(_("Retention period updated."), "success")
            return redirect(url_for("retention.policies"))
    else:
        error = _("Give the period as a whole number.")
    rows = retention.ensure_policies(s)
    return render_template("retention/policies.html", policies=[rows[spec.category] for spec in retention.DEFAULTS],
                           specs=retention.SPECS, runs=retention.last_runs(s), form=form,
                           error=error, error_category=category, **_labels()), 400
