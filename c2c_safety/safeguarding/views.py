"""The safeguarding lead's desk: referrals, alerts, actions, chronology per child.

Safeguarding lead views. Every view of a referral or a chronology is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.review import queue, wellbeing
from c2c_safety.review.decisions import ACTION_LABELS
from c2c_safety.review.forms import choices
from c2c_safety.review.statements import kind_label
from c2c_safety.safeguarding import chronology
from c2c_safety.safeguarding import referrals as safeguarding
from c2c_safety.safeguarding.forms import ActionForm
from c2c_safety.webhooks import deliveries as webhook_service
from models import CaseFile, CaseStatus, Role

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")
NAV.append(NavLink("safeguarding.index", "Safeguarding desk", frozenset({"safeguarding_lead"})))

LEAD = "safeguarding_lead"


def _safeguarding_cases() -> list[CaseFile]:
    """Anonymous reports routed to the lead and visible to this person (the case desk's
    visibility rules, conflict exclusions included). The case desk handles them; we link."""
    from c2c_safety.cases import access as case_access

    return list(db.session().scalars(
        case_access.visible_cases_query(staff())
        .where(CaseFile.routed_role == Role.SAFEGUARDING_LEAD, CaseFile.status != CaseStatus.CLOSED)
        .order_by(CaseFile.received_at).limit(100)))


def _case_link(case_id: int) -> str | None:
    for endpoint in ("cases.view", "cases.case", "cases.detail", "cases.show"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint, case_id=case_id)
    return None


@bp.route("")
@roles_required(LEAD)
def index() -> str:
    s = db.session()
    desk = safeguarding.desk(s)
    cases = _safeguarding_cases()
    return render_template("safeguarding/index.html", desk=desk, cases=cases,
                           case_links={c.id: _case_link(c.id) for c in cases},
                           cases_index=url_for("cases.index") if "cases.index" in current_app.view_functions
                           else None)


@bp.route("/referrals/<int:referral_id>")
@roles_required(LEAD)
def referral(referral_id: int) -> tuple[str, int]:
    return _render(referral_id, None)


def _render(referral_id: int, form: ActionForm | None, status: int = 200) -> tuple[str, int]:
    s = db.session()
    row = safeguarding.referral_row(s, referral_id) or abort(404)
    view = queue.item_view(s, row.referral.item_id, staff())
    assert view is not None
    safeguarding.record_view(s, row.referral, actor=staff())
    if view.sensitive:
        wellbeing.record_exposure(s, staff(), view.item.id)
    s.commit()
    people = safeguarding.people_involved(view.item)
    if form is None:
        form = ActionForm(data={"child": row.referral.child_pseudonym})
    form.child.choices = choices([(p, p) for p in people])
    return render_template("safeguarding/referral.html", row=row, view=view, form=form,
                           actions=safeguarding.actions_for(s, row.referral), people=people,
                           kinds=safeguarding.ACTION_KINDS, outcomes=safeguarding.OUTCOMES,
                           action_labels=ACTION_LABELS, kind_label=kind_label), status


@bp.route("/referrals/<int:referral_id>/actions", methods=["POST"])
@roles_required(LEAD)
def act(referral_id: int) -> Response | tuple[str, int]:
    s = db.session()
    row = safeguarding.referral_row(s, referral_id) or abort(404)
    form = ActionForm()
    form.child.choices = choices([(p, p) for p in safeguarding.people_involved(row.referral.item)])
    if not form.validate_on_submit():
        return _render(referral_id, form, 400)
    try:
        _action, delivery_id = safeguarding.record_action(
            s, row.referral, actor=staff(), kind=str(form.kind.data), child=str(form.child.data),
            detail=str(form.detail.data or ""), outcome=str(form.outcome.data or "") or None)
    except safeguarding.SafeguardingError as exc:
        s.rollback()
        form.kind.errors = [str(exc)]
        return _render(referral_id, form, 400)
    s.commit()
    if delivery_id is not None:
        webhook_service.enqueue(delivery_id)
    flash(f"Recorded: {safeguarding.ACTION_KINDS[str(form.kind.data)]}.", "success")
    return redirect(url_for("safeguarding.referral", referral_id=referral_id))


@bp.route("/alerts/<int:alert_id>/seen", methods=["POST"])
@roles_required(LEAD)
def alert_seen(alert_id: int) -> Response:
    s = db.session()
    safeguarding.mark_alert_seen(s, alert_id, actor=staff())
    s.commit()
    return redirect(url_for("safeguarding.index"))


@bp.route("/child/<path:pseudonym>")
@roles_required(LEAD)
def child(pseudonym: str) -> str:
    if len(pseudonym) > 128:
        abort(404)
    s = db.session()
    entries = chronology.chronology(s, pseudonym, actor=staff())
    s.commit()
    return render_template("safeguarding/child.html", pseudonym=pseudonym, entries=entries)
