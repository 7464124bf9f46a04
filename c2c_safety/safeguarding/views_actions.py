"""The safeguarding lead's POSTs and confirmation pages.

Each POST validates its form, calls one service, commits, redirects; a refused form
re-renders the referral with status 400. Requests that change something on the platform
need a reason and go through a confirmation page (changes nothing) carrying a signed,
single-use token; only its POST with that token sends them (confirmation.py), and the
webhook is enqueued after the commit. Withdrawing one is confirmed the same way.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from c2c_safety.core import db, params
from c2c_safety.core.access import roles_required, staff
from c2c_safety.review.forms import choices
from c2c_safety.safeguarding import actions as actions_service
from c2c_safety.safeguarding import people as people_service
from c2c_safety.safeguarding import referrals as referrals_service
from c2c_safety.safeguarding import requests as requests_service
from c2c_safety.safeguarding import settings as sg_settings
from c2c_safety.safeguarding.actions import SafeguardingError
from c2c_safety.safeguarding.confirmation import ConfirmationError
from c2c_safety.safeguarding.forms import (
    AddPersonForm,
    AssignForm,
    CloseForm,
    ConfirmForm,
    NoteForm,
    PersonForm,
    RecordForm,
    RequestForm,
    WithdrawForm,
    WithdrawReasonForm,
)
from c2c_safety.safeguarding.views import LEAD, bp, render_referral, run_step
from c2c_safety.webhooks import deliveries as webhook_service
from models.review import SafeguardingAction, SafeguardingPerson, SafeguardingReferral

Page = Response | tuple[str, int]


def _referral(referral_id: int) -> SafeguardingReferral:
    ref = db.session().get(SafeguardingReferral, referral_id)
    return ref if ref is not None else abort(404)


def _person(ref: SafeguardingReferral, person_id: int) -> SafeguardingPerson:
    person = people_service.get(db.session(), ref, person_id)
    return person if person is not None else abort(404)




@bp.route("/referrals/<int:referral_id>/assign", methods=["POST"])
@roles_required(LEAD)
def assign(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = AssignForm()

    def act() -> None:
        lead, deputy = (int(v) if str(v).isdigit() and int(v) else None for v in (form.lead.data, form.deputy.data))
        referrals_service.assign(db.session(), ref, actor=staff(), lead_id=lead, deputy_id=deputy)

    return run_step(referral_id, form, "assign", act, _("Assignment saved."), "lead")


@bp.route("/referrals/<int:referral_id>/people", methods=["POST"])
@roles_required(LEAD)
def add_person(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = AddPersonForm(prefix="add")
    return run_step(referral_id, form, "add", lambda: people_service.add(
        db.session(), ref, actor=staff(), pseudonym=form.pseudonym.data or "", part=form.part.data or "",
        platform_role=form.platform_role.data or "", age_band=form.age_band.data or ""),
        _("Person added to the referral."), "pseudonym")


@bp.route("/referrals/<int:referral_id>/people/<int:person_id>", methods=["POST"])
@roles_required(LEAD)
def correct_person(referral_id: int, person_id: int) -> Page:
    ref = _referral(referral_id)
    person = _person(ref, person_id)
    form = PersonForm(prefix=f"c{person.id}")
    return run_step(referral_id, form, f"person-{person.id}", lambda: people_service.correct(
        db.session(), ref, person, actor=staff(), part=form.part.data or "",
        platform_role=form.platform_role.data or "", age_band=form.age_band.data or ""),
        _("Details of %(name)s corrected.", name=person.pseudonym), "part")


@bp.route("/referrals/<int:referral_id>/people/<int:person_id>/actions", methods=["POST"])
@roles_required(LEAD)
def record(referral_id: int, person_id: int) -> Page:
    ref = _referral(referral_id)
    person = _person(ref, person_id)
    form = RecordForm(prefix=f"p{person.id}")
    form.kind.choices = choices([(k, _(actions_service.RECORD_KINDS[k]))
                                 for k in actions_service.record_kinds_for(person)])
    kind = str(form.kind.data or "")
    # A hotline report names its hotline from the configured list (settings.hotlines).
    authority = str((form.hotline.data if kind == "hotline_report" else form.authority.data) or "")
    return run_step(referral_id, form, f"record-{person.id}", lambda: actions_service.record(
        db.session(), ref, person, actor=staff(), kind=kind, detail=form.detail.data or "",
        authority=authority, authority_ref=form.authority_ref.data or "",
        hotlines=sg_settings.hotlines(db.session())),
        _("Recorded: %(what)s (%(name)s).", what=_(actions_service.RECORD_KINDS.get(kind, kind)),
          name=person.pseudonym), "kind")


@bp.route("/referrals/<int:referral_id>/note", methods=["POST"])
@roles_required(LEAD)
def note(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = NoteForm(prefix="note")
    return run_step(referral_id, form, "note", lambda: actions_service.record(
        db.session(), ref, None, actor=staff(), kind="note", detail=form.detail.data or ""),
        _("Note recorded."), "detail")


@bp.route("/referrals/<int:referral_id>/close", methods=["POST"])
@roles_required(LEAD)
def close(referral_id: int) -> Page:
    ref = _referral(referral_id)
    form = CloseForm(prefix="close")
    return run_step(referral_id, form, "close", lambda: actions_service.close(
        db.session(), ref, actor=staff(), outcome=form.outcome.data or "", detail=form.detail.data or ""),
        _("Referral closed."), "outcome")


# --- requests to the platform: reason, a confirmation page with a signed token, then the POST

def _kind_arg(person: SafeguardingPerson) -> str:
    return params.arg_text("kind", 40) or params.arg_text(f"q{person.id}-kind", 40)


def _refused(ref: SafeguardingReferral | None, exc: SafeguardingError, status: int) -> tuple[str, int]:
    return render_template("safeguarding/refused.html", ref=ref, message=str(exc)), status


def _confirm_page(ref: SafeguardingReferral, proposal: requests_service.Proposal, form: FlaskForm,
                  why: str = "", status: int = 200) -> tuple[str, int]:
    person = proposal.person
    return render_template("safeguarding/confirm.html", ref=ref, p=proposal, form=form, why=why,
                           part=_(people_service.PARTS.get(person.part, person.part)),
                           role=_(people_service.PLATFORM_ROLES.get(person.platform_role, person.platform_role)),
                           band=_(people_service.AGE_BANDS.get(person.age_band, person.age_band))), status


@bp.route("/referrals/<int:referral_id>/people/<int:person_id>/request", methods=["GET"])
@roles_required(LEAD)
def confirm_request(referral_id: int, person_id: int) -> Page:
    """Names the person, their part and role and what will happen, and asks why. Sends nothing."""
    ref = _referral(referral_id)
    person = _person(ref, person_id)
    kind = _kind_arg(person)
    if not kind:
        flash(_("Choose what to ask the platform to do about %(name)s.", name=person.pseudonym), "error")
        return redirect(url_for("safeguarding.referral", referral_id=referral_id) + f"#person-{person.id}")
    try:
        proposal = requests_service.explain(ref, person, kind, actor=staff())
    except SafeguardingError as exc:
        return _refused(ref, exc, 400)
    return _confirm_page(ref, proposal, RequestForm(prefix=f"q{person.id}", formdata=None))


@bp.route("/referrals/<int:referral_id>/people/<int:person_id>/request/check", methods=["POST"])
@roles_required(LEAD)
def check_request(referral_id: int, person_id: int) -> Page:
    """The request and its reason → the confirmation page with its signed token. Records nothing."""
    ref = _referral(referral_id)
    person = _person(ref, person_id)
    form = RequestForm(prefix=f"q{person.id}")
    form.kind.choices = choices([(k, _(actions_service.PLATFORM_KINDS[k]))
                                 for k in actions_service.platform_kinds_for(person)])
    if not form.validate_on_submit():
        flash(_("Choose what to ask the platform to do about %(name)s, and say why.", name=person.pseudonym), "error")
        return render_referral(referral_id, 400)
    kind = str(form.kind.data)
    try:
        proposal = requests_service.explain(ref, person, kind, actor=staff())
    except SafeguardingError as exc:
        return _refused(ref, exc, 400)
    try:
        _p, why, token = requests_service.prepare(ref, person, kind, actor=staff(), detail=form.detail.data or "")
    except SafeguardingError as exc:
        form.detail.errors = [str(exc)]
        return _confirm_page(ref, proposal, form, status=400)
    return _confirm_page(ref, proposal, ConfirmForm(formdata=None, data={"kind": kind, "detail": why,
                                                                         "token": token}), why=why)


@bp.route("/referrals/<int:referral_id>/people/<int:person_id>/request", methods=["POST"])
@roles_required(LEAD)
def send_request(referral_id: int, person_id: int) -> Page:
    ref = _referral(referral_id)
    person = _person(ref, person_id)
    form = ConfirmForm()
    kind = params.clean_text(form.kind.data or "", 40)
    if not form.validate_on_submit():
        abort(400, _("The confirmation form expired or was incomplete. Go back and confirm again."))
    s = db.session()
    try:
        action = requests_service.send(s, ref, person, kind, actor=staff(), detail=form.detail.data or "",
                                       token=form.token.data or None)
    except ConfirmationError as exc:
        s.rollback()
        return _refused(ref, exc, 400)
    except SafeguardingError as exc:
        s.rollback()
        return _refused(ref, exc, 409)
    s.commit()
    if action.delivery_id is not None:
        webhook_service.enqueue(action.delivery_id)
    flash(_("Sent to the platform: %(what)s (%(name)s). You can withdraw it within %(hours)s hours.",
            what=_(actions_service.PLATFORM_KINDS[kind]), name=person.pseudonym,
            hours=int(requests_service.WITHDRAW_WINDOW.total_seconds() // 3600)), "success")
    return redirect(url_for("safeguarding.referral", referral_id=referral_id))


def _withdraw_page(action: SafeguardingAction, ref: SafeguardingReferral, form: FlaskForm, why: str = "",
                   status: int = 200) -> tuple[str, int]:
    return render_template("safeguarding/withdraw.html", action=action, ref=ref, form=form, why=why,
                           label=_(actions_service.PLATFORM_KINDS[action.kind])), status


@bp.route("/actions/<int:action_id>/withdraw", methods=["GET"])
@roles_required(LEAD)
def confirm_withdraw(action_id: int) -> Page:
    s = db.session()
    try:
        action, ref = requests_service.withdrawal_of(s, action_id, actor=staff())
    except LookupError:
        abort(404)
    except SafeguardingError as exc:
        return _refused(None, exc, 409)
    return _withdraw_page(action, ref, WithdrawReasonForm(formdata=None))


@bp.route("/actions/<int:action_id>/withdraw/check", methods=["POST"])
@roles_required(LEAD)
def check_withdraw(action_id: int) -> Page:
    form = WithdrawReasonForm()
    if not form.validate_on_submit():
        abort(400, _("The form expired. Go back and try again."))
    s = db.session()
    try:
        action, ref = requests_service.withdrawal_of(s, action_id, actor=staff())
    except LookupError:
        abort(404)
    except SafeguardingError as exc:
        return _refused(None, exc, 409)
    try:
        _a, _r, why, token = requests_service.prepare_withdrawal(s, action_id, actor=staff(),
                                                                 detail=form.detail.data or "")
    except SafeguardingError as exc:
        form.detail.errors = [str(exc)]
        return _withdraw_page(action, ref, form, status=400)
    return _withdraw_page(action, ref, WithdrawForm(formdata=None, data={"detail": why, "token": token}), why=why)


@bp.route("/actions/<int:action_id>/withdraw", methods=["POST"])
@roles_required(LEAD)
def withdraw(action_id: int) -> Page:
    form = WithdrawForm()
    if not form.validate_on_submit():
        abort(400, _("The form expired. Go back and confirm again."))
    s = db.session()
    try:
        action = requests_service.withdraw(s, action_id, actor=staff(), detail=form.detail.data or "",
                                           token=form.token.data or None)
    except LookupError:
        abort(404)
    except ConfirmationError as exc:
        s.rollback()
        return _refused(None, exc, 400)
    except SafeguardingError as exc:
        s.rollback()
        return _refused(None, exc, 409)
    s.commit()
    if action.withdrawal_delivery_id is not None:
        webhook_service.enqueue(action.withdrawal_delivery_id)
    flash(_("Withdrawn: the platform has been told to undo the request."), "success")
    return redirect(url_for("safeguarding.referral", referral_id=action.referral_id or 0))
