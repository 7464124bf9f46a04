"""Admin: the policy list (decision reasons), the safeguarding target time, webhook
deliveries and reviewer exposure. Admins see no content here, only settings and counts.

Admin pages of the review desk.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.wrappers import Response

from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.review import policy, presets, wellbeing
from c2c_safety.review.forms_policy import ReasonForm, TargetForm
from c2c_safety.webhooks import deliveries as webhook_service
from models.review import PolicyReason

bp = Blueprint("policy", __name__)
NAV.append(NavLink("policy.index", _l("Policy and desk settings"), frozenset({"admin"})))
NAV.append(NavLink("policy.webhooks", _l("Webhook deliveries"), frozenset({"admin"})))


@bp.route("/policy")
@roles_required("admin")
def index() -> str:
    s = db.session()
    target = TargetForm(data={"hours": policy.safeguarding_target_hours(s)})
    return render_template("review/policy_index.html", reasons=policy.reasons(s, active_only=False),
                           target=target)


@bp.route("/policy/target", methods=["POST"])
@roles_required("admin")
def target() -> Response | tuple[str, int]:
    s = db.session()
    form = TargetForm()
    if not form.validate_on_submit():
        return render_template("review/policy_index.html", reasons=policy.reasons(s, active_only=False),
                               target=form), 400
    policy.set_safeguarding_target_hours(s, int(form.hours.data or 0), actor=staff())
    s.commit()
    flash(_("Safeguarding target time set to %(n)s hours.", n=form.hours.data), "success")
    return redirect(url_for("policy.index"))


def _reason_page(form: ReasonForm, row: PolicyReason | None, status: int = 200) -> tuple[str, int]:
    return render_template("review/policy_reason.html", form=form, row=row), status


@bp.route("/policy/reasons/new", methods=["GET", "POST"])
@bp.route("/policy/reasons/<int:reason_id>", methods=["GET", "POST"])
@roles_required("admin")
def reason(reason_id: int | None = None) -> Response | tuple[str, int]:
    s = db.session()
    row = s.get(PolicyReason, reason_id) if reason_id is not None else None
    if reason_id is not None and row is None:
        abort(404)
    form = ReasonForm(obj=row) if row is not None else ReasonForm(data={"active": True})
    if row is not None:
        form.code.render_kw = {"readonly": True}
        if not form.is_submitted():  # show the templates as they apply now (seed text included)
            t = presets.templates(row)
            form.template_action.data, form.template_no_violation.data = t.action_text, t.no_violation_text
            form.preset_action.data, form.preset_duration.data = t.action, t.duration
    if not form.validate_on_submit():
        return _reason_page(form, row, 400 if form.is_submitted() else 200)
    try:
        saved = policy.save_reason(
            s, actor=staff(), code=row.code if row is not None else str(form.code.data),
            label=str(form.label.data), ground=str(form.ground.data),
            category=str(form.category.data or "") or None, safeguarding=bool(form.safeguarding.data),
            active=bool(form.active.data), position=int(form.position.data or 0), reason_id=reason_id,
            template_action=str(form.template_action.data or ""),
            template_no_violation=str(form.template_no_violation.data or ""),
            preset_action=str(form.preset_action.data or "remove"),
            preset_duration=str(form.preset_duration.data or ""))
    except policy.PolicyError as exc:
        s.rollback()
        form[exc.field or "code"].errors = [str(exc)]
        return _reason_page(form, row, 400)
    s.commit()
    flash(_("Reason %(code)s saved.", code=saved.code), "success")
    return redirect(url_for("policy.index"))


@bp.route("/admin/webhooks")
@roles_required("admin")
def webhooks() -> str:
    s = db.session()
    return render_template("review/policy_webhooks.html", ov=webhook_service.overview(s))


@bp.route("/admin/webhooks/<int:delivery_id>/retry", methods=["POST"])
@roles_required("admin")
def webhook_retry(delivery_id: int) -> Response:
    s = db.session()
    row = webhook_service.retry_now(s, delivery_id)
    s.commit()
    if row is None:
        flash(_("That delivery is already delivered or does not exist."), "info")
    elif row.status == "pending":
        webhook_service.enqueue(row.id)
        flash(_("Delivery %(id)s queued for another attempt.", id=row.id), "success")
    else:
        flash(_("The webhook is not configured (C2C_WEBHOOK_URL and C2C_WEBHOOK_SECRET); it is kept."), "info")
    return redirect(url_for("policy.webhooks"))


@bp.route("/admin/webhooks/reconcile", methods=["POST"])
@roles_required("admin")
def webhook_reconcile() -> Response:
    s = db.session()
    ids = webhook_service.due_deliveries(s)
    s.commit()
    for delivery_id in ids:
        webhook_service.enqueue(delivery_id)
    flash(ngettext("%(num)d due delivery queued.", "%(num)d due deliveries queued.", len(ids)), "success")
    return redirect(url_for("policy.webhooks"))


@bp.route("/admin/wellbeing")
@roles_required("admin")
def wellbeing_page() -> str:
    s = db.session()
    return render_template("review/policy_wellbeing.html", rows=wellbeing.exposure_summary(s))
