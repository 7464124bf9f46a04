"""The safeguarding lead's desk: the list ordered by risk, a referral with its people, and a
chronology per child. Every view of a referral or a chronology is audited. The POSTs and
confirmation pages are in views_actions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from c2c_safety.core import db, params
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.locale import translated
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.review import queue, wellbeing
from c2c_safety.review.decisions import ACTION_LABELS
from c2c_safety.review.forms import choices
from c2c_safety.review.statements import kind_label
from c2c_safety.safeguarding import actions as actions_service
from c2c_safety.safeguarding import chronology, concern_view, escalation, evidence, hotline_records
from c2c_safety.safeguarding import desk as desk_service
from c2c_safety.safeguarding import oversight as sg_oversight
from c2c_safety.safeguarding import people as people_service
from c2c_safety.safeguarding import referrals as referrals_service
from c2c_safety.safeguarding import requests as requests_service
from c2c_safety.safeguarding import settings as sg_settings
from c2c_safety.safeguarding.actions import SafeguardingError
from c2c_safety.safeguarding.forms import (
    AddPersonForm,
    AssignForm,
    CloseForm,
    HoldForm,
    HotlineSentForm,
    NoteForm,
    PersonForm,
    RecordForm,
    RequestForm,
    StepForm,
)
from c2c_safety.safeguarding.people import PersonError
from c2c_safety.safeguarding.risk import RiskError
from models.review import SafeguardingPerson

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")
NAV.append(NavLink("safeguarding.index", _l("Safeguarding desk"),
                   frozenset({"safeguarding_lead", "independent_reviewer", "ceo"})))  # the last two read only

LEAD = "safeguarding_lead"


def _filter() -> desk_service.Filter:
    assignee = params.arg_choice("assignee", ("", "me", "none"), "")
    if not assignee and params.arg_int("assignee") is not None:
        assignee = str(params.arg_int("assignee"))  # a user id that fits the column
    return desk_service.Filter(state=params.arg_choice("state", list(desk_service.STATES), "open"),
                               assignee=assignee)


@bp.route("")
@roles_required(LEAD, *sg_oversight.READERS)
def index() -> str:
    s = db.session()
    f = _filter()
    desk = desk_service.desk(s, staff(), f)
    sg_oversight.record_desk_view(s, actor=staff(), state=f.state, rows=len(desk.rows))
    s.commit()
    return render_template("safeguarding/index.html", desk=desk, f=f, states=translated(desk_service.STATES),
                           form=StepForm(), read_only=sg_oversight.read_only(staff()))


@bp.route("/alerts/seen", methods=["POST"])
@roles_required(LEAD)
def alerts_seen() -> Response:
    if not StepForm().validate_on_submit():
        abort(400)
    s = db.session()
    count = desk_service.mark_all_seen(s, actor=staff())
    s.commit()
    flash(ngettext("Marked %(num)d alert as seen.", "Marked %(num)d alerts as seen.", count) if count
          else _("Nothing new to mark."), "success")
    return redirect(url_for("safeguarding.index"))


@bp.route("/referrals/<int:referral_id>/seen", methods=["POST"])
@roles_required(LEAD)
def referral_seen(referral_id: int) -> Response:
    if not StepForm().validate_on_submit():
        abort(400)
    s = db.session()
    desk_service.mark_seen(s, referral_id, actor=staff())
    s.commit()
    return redirect(url_for("safeguarding.index"))


def person_forms(person: SafeguardingPerson, forms: dict[str, FlaskForm]) -> dict[str, Any]:
    """The record / request / correct forms of one person, each with its own field ids."""
    prefix = f"p{person.id}"
    record = forms.get(f"record-{person.id}") or RecordForm(prefix=prefix)
    assert isinstance(record, RecordForm)
    kinds = actions_service.record_kinds_for(person)
    record.kind.choices = choices([(k, _(actions_service.RECORD_KINDS[k])) for k in kinds])
    if "hotline_report" in kinds:
        record.hotline.choices = choices([("", _("Choose…")), *((h, h) for h in sg_settings.hotlines(db.session()))])
    ask = RequestForm(prefix=f"q{person.id}", formdata=None)  # own ids: not the record form's
    ask.kind.choices = choices([(k, _(actions_service.PLATFORM_KINDS[k]))
                                for k in actions_service.platform_kinds_for(person)])
    correct = forms.get(f"person-{person.id}") or PersonForm(
        prefix=f"c{person.id}", data={"part": person.part, "platform_role": person.platform_role,
                                      "age_band": person.age_band})
    return {"record": record, "ask": ask, "correct": correct, "hotline": "hotline_report" in kinds}


def render_referral(referral_id: int, status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    s = db.session()
    row = referrals_service.referral_row(s, referral_id) or abort(404)
    ref = row.referral
    case = concern_view.visible_case(s, ref, staff())
    if ref.item_id is None and case is None:
        abort(404)  # a report the viewer is excluded from (a conflict): no existence oracle
    view = queue.item_view(s, ref.item_id, staff()) if ref.item_id is not None else None
    people = people_service.sync(s, ref)
    referrals_service.record_view(s, ref, actor=staff())
    concern_view.open_concern(s, ref, case, viewer=staff())
    if view is not None and view.sensitive:
        wellbeing.record_exposure(s, staff(), view.item.id)
    s.commit()
    leads = [(0, _("Nobody"))] + [(u.id, u.display_name or u.email) for u in referrals_service.lead_candidates(s)]
    assign = forms.get("assign") or AssignForm(data={"lead": ref.assigned_to_id or 0, "deputy": ref.deputy_id or 0})
    assert isinstance(assign, AssignForm)
    assign.lead.choices = assign.deputy.choices = choices([(str(i), n) for i, n in leads])
    reopened = referrals_service.was_reopened(s, ref.id)
    hotline_form = forms.get("hotline_sent") or HotlineSentForm(prefix="hotline")
    assert isinstance(hotline_form, HotlineSentForm)
    hotline_form.hotline.choices = choices([("", "Choose…"), *((h, h) for h in sg_settings.hotlines(s))])
    return render_template(
        "safeguarding/referral.html", row=row, view=view, people=people,
        person_forms={p.id: person_forms(p, forms) for p in people},
        add_form=forms.get("add") or AddPersonForm(prefix="add"), assign_form=assign,
        close_form=forms.get("close") or CloseForm(prefix="close"),
        note_form=forms.get("note") or NoteForm(prefix="note"),
        actions=actions_service.actions_for(s, ref),
        **concern_view.context(s, ref, case, people, reopened=reopened, forms=forms, viewer=staff()),
        kinds=translated(actions_service.ACTION_KINDS), outcomes=translated(actions_service.OUTCOMES),
        outcome_needs=translated(actions_service.OUTCOME_NEEDS), parts=translated(people_service.PARTS),
        roles=translated(people_service.PLATFORM_ROLES), bands=translated(people_service.AGE_BANDS),
        how=translated(people_service.HOW),
        can_withdraw=requests_service.can_withdraw, withdraw_hours=requests_service.WITHDRAW_WINDOW,
        people_by_id={p.id: p for p in people}, action_labels=translated(ACTION_LABELS), kind_label=kind_label,
        hold=evidence.active_hold(s, ref.id), hold_form=forms.get("hold") or HoldForm(prefix="hold"),
        escalations=escalation.for_referral(s, ref.id), steps=translated(escalation.STEPS),
        hotline_record=hotline_records.for_referral(s, ref.id), hotline_form=hotline_form,
        read_only=sg_oversight.read_only(staff())), status


@bp.route("/referrals/<int:referral_id>")
@roles_required(LEAD, *sg_oversight.READERS)
def referral(referral_id: int) -> tuple[str, int]:
    return render_referral(referral_id)


@bp.route("/child/<path:pseudonym>")
@roles_required(LEAD, *sg_oversight.READERS)
def child(pseudonym: str) -> str:
    if len(pseudonym) > 128:
        abort(404)
    s = db.session()
    entries = chronology.chronology(s, pseudonym, actor=staff())
    s.commit()
    return render_template("safeguarding/child.html", pseudonym=pseudonym, entries=entries)


def run_step(referral_id: int, form: FlaskForm, key: str, action: Callable[[], object], done: str,
             error_field: str) -> Response | tuple[str, int]:
    """Validate → one service call → commit → redirect; a refusal re-renders the referral with 400
    and the rule's words on the form field."""
    s = db.session()
    if form.validate_on_submit():
        try:
            action()
        except (SafeguardingError, PersonError, RiskError) as exc:
            s.rollback()
            getattr(form, error_field).errors = [str(exc)]
        else:
            s.commit()
            flash(done, "success")
            return redirect(url_for("safeguarding.referral", referral_id=referral_id))
    return render_referral(referral_id, 400, **{key: form})
