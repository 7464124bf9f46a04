"""The lead's legal hold on a referral (evidence.py) and the desk's own settings (settings.py):
the hotlines offered for a hotline report and how soon an overdue referral goes on to the CEO."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from c2c_safety.audit import log as audit
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.safeguarding import evidence, hotline_records
from c2c_safety.safeguarding import settings as sg_settings
from c2c_safety.safeguarding.forms import HoldForm, HotlineSentForm, SettingsForm
from c2c_safety.safeguarding.views import LEAD, bp, run_step
from c2c_safety.safeguarding.views_actions import Page, _referral

# Leads reach the settings from the desk; an admin (who has no desk) from the navigation.
NAV.append(NavLink("safeguarding.settings", _l("Safeguarding settings"), frozenset({"admin"})))


@bp.route("/referrals/<int:referral_id>/hold", methods=["POST"])
@roles_required(LEAD)
def place_hold(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = HoldForm(prefix="hold")
    return run_step(referral_id, form, "hold", lambda: evidence.place(
        db.session(), ref, actor=staff(), reason=form.detail.data or ""),
        _("Evidence preserved: a legal hold is in place."), "detail")


@bp.route("/referrals/<int:referral_id>/hold/release", methods=["POST"])
@roles_required(LEAD)
def release_hold(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = HoldForm(prefix="hold")
    return run_step(referral_id, form, "hold", lambda: evidence.release(
        db.session(), ref, actor=staff(), reason=form.detail.data or ""),
        _("Legal hold released."), "detail")


@bp.route("/referrals/<int:referral_id>/hotline-record/sent", methods=["POST"])
@roles_required(LEAD)
def hotline_record_sent(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = HotlineSentForm(prefix="hotline")
    return run_step(referral_id, form, "hotline_sent", lambda: hotline_records.mark_sent(
        db.session(), ref, actor=staff(), hotline=str(form.hotline.data or ""), reference=form.reference.data or "",
        hotlines=sg_settings.hotlines(db.session())), _("Hotline report record marked as sent."), "reference")


@bp.route("/referrals/<int:referral_id>/hotline-record.csv")
@roles_required(LEAD)
def hotline_record_csv(referral_id: int) -> Response:
    """The record as the hotline receives it: hashes and references, never the image."""
    s = db.session()
    ref = _referral(referral_id)
    record = hotline_records.for_referral(s, ref.id)
    if record is None:
        abort(404)
    body = hotline_records.export_csv(record)
    audit.record(s, "safeguarding.hotline_record_exported", actor=staff(), target_type="safeguarding_referral",
                 target_id=ref.id, details={"record_id": record.id, "images": len(record.entries)})
    s.commit()
    resp = Response(body, mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{record.reference}.csv"'
    resp.headers["Cache-Control"] = "no-store, private"
    return resp


def _settings_page(form: SettingsForm, status: int = 200) -> tuple[str, int]:
    return render_template("safeguarding/settings.html", form=form), status


@bp.route("/settings")
@roles_required(LEAD, "admin")
def settings() -> tuple[str, int]:
    s = db.session()
    return _settings_page(SettingsForm(data={"ceo_after_hours": sg_settings.ceo_after_hours(s),
                                             "hotlines": "\n".join(sg_settings.hotlines(s))}))


@bp.route("/settings", methods=["POST"])
@roles_required(LEAD, "admin")
def save_settings() -> Response | tuple[str, int]:
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, 400)
    s = db.session()
    try:
        sg_settings.set_ceo_after_hours(s, int(form.ceo_after_hours.data or 0), actor=staff())
        sg_settings.set_hotlines(s, form.hotlines.data or "", actor=staff())
    except sg_settings.SettingsError as exc:
        s.rollback()
        form.hotlines.errors = [str(exc)]
        return _settings_page(form, 400)
    s.commit()
    flash(_("Safeguarding settings saved."), "success")
    return redirect(url_for("safeguarding.settings"))
