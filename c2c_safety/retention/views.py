"""Admin: retention policies (`/admin/retention`).

Admins change retention periods (never below the legal floor); every change is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField
from wtforms.validators import DataRequired, NumberRange

from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.retention import sweep as retention

bp = Blueprint("retention", __name__, url_prefix="/admin/retention")
NAV.append(NavLink("retention.policies", "Retention", frozenset({"admin"})))


class PeriodForm(FlaskForm):
    period = IntegerField("New period", validators=[DataRequired(), NumberRange(min=1, max=1200)])


@bp.route("/")
@roles_required("admin")
def policies() -> str:
    s = db.session()
    rows = retention.ensure_policies(s)
    s.commit()
    return render_template("retention/policies.html", policies=[rows[spec.category] for spec in retention.DEFAULTS],
                           specs=retention.SPECS, runs=retention.last_runs(s), form=PeriodForm())


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
            flash("Retention period updated.", "success")
            return redirect(url_for("retention.policies"))
    else:
        error = "Give the period as a whole number."
    rows = retention.ensure_policies(s)
    return render_template("retention/policies.html", policies=[rows[spec.category] for spec in retention.DEFAULTS],
                           specs=retention.SPECS, runs=retention.last_runs(s), form=form,
                           error=error, error_category=category), 400
