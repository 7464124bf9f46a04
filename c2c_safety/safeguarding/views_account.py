"""A restriction asked from an author's account page (safeguarding/account_requests.py):
the reason → a confirmation page with its signed token (records nothing) → the POST from that
page, which records, audits and writes the signed delivery; the webhook is enqueued after the
commit. Moderators and safeguarding leads; the account page itself is review/views_account.py."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.safeguarding import account_requests
from c2c_safety.safeguarding.actions import SafeguardingError
from c2c_safety.safeguarding.confirmation import ConfirmationError
from c2c_safety.safeguarding.forms import AccountConfirmForm, AccountRestrictForm, AccountWithdrawForm
from c2c_safety.safeguarding.views import bp
from c2c_safety.webhooks import deliveries as webhook_service

ASKERS = ("moderator", "safeguarding_lead")
Page = Response | tuple[str, int]


def _page(proposal: account_requests.AccountProposal, form: FlaskForm, why: str = "",
          status: int = 200) -> tuple[str, int]:
    return render_template("safeguarding/account_confirm.html", p=proposal, form=form, why=why), status


def _refused(item_id: int, message: str, status: int) -> tuple[str, int]:
    return render_template("safeguarding/account_refused.html", item_id=item_id, message=message), status


def _explain(item_id: int) -> account_requests.AccountProposal | tuple[str, int]:
    try:
        return account_requests.explain(db.session(), item_id, actor=staff())
    except LookupError:
        abort(404)
    except PermissionError:
        abort(403)
    except SafeguardingError as exc:
        return _refused(item_id, str(exc), 409)


@bp.route("/accounts/<int:item_id>/restrict/check", methods=["POST"])
@roles_required(*ASKERS)
def account_restrict_check(item_id: int) -> Page:
    """The reason from the account page → the confirmation page with its token. Records nothing."""
    proposal = _explain(item_id)
    if not isinstance(proposal, account_requests.AccountProposal):
        return proposal
    form = AccountRestrictForm()
    if not form.validate_on_submit():
        return _page(proposal, form, status=400)
    try:
        _p, why, token = account_requests.prepare(db.session(), item_id, actor=staff(), detail=form.detail.data or "")
    except SafeguardingError as exc:
        form.detail.errors = [str(exc)]
        return _page(proposal, form, status=400)
    return _page(proposal, AccountConfirmForm(formdata=None, data={"detail": why, "token": token}), why=why)


def _confirmed(item_id: int, act: Callable[[AccountConfirmForm], int | None], done: str) -> Page:
    """The one step both confirmations end in: validate the confirmation form, act, commit,
    then enqueue the signed webhook the action wrote (commit first, then enqueue)."""
    form = AccountConfirmForm()
    if not form.validate_on_submit():
        abort(400, "The confirmation form expired or was incomplete. Go back and confirm again.")
    s = db.session()
    try:
        delivery_id = act(form)
    except LookupError:
        s.rollback()
        abort(404)
    except PermissionError:
        s.rollback()
        abort(403)
    except ConfirmationError as exc:
        s.rollback()
        return _refused(item_id, str(exc), 400)
    except SafeguardingError as exc:
        s.rollback()
        return _refused(item_id, str(exc), 409)
    s.commit()
    if delivery_id is not None:
        webhook_service.enqueue(delivery_id)
    flash(done, "success")
    return redirect(url_for("queue.account", item_id=item_id))


@bp.route("/accounts/<int:item_id>/restrict", methods=["POST"])
@roles_required(*ASKERS)
def account_restrict(item_id: int) -> Page:
    return _confirmed(item_id, lambda form: account_requests.send(
        db.session(), item_id, actor=staff(), detail=form.detail.data or "",
        token=form.token.data or None).delivery_id,
        _("Sent to the platform: restrict this account's messaging. It is listed under the account's "
          "standing requests."))


def _withdraw_page(item_id: int, action_id: int, form: FlaskForm, why: str = "",
                   status: int = 200) -> tuple[str, int]:
    return render_template("safeguarding/account_withdraw.html", item_id=item_id, action_id=action_id,
                           form=form, why=why), status


@bp.route("/accounts/<int:item_id>/requests/<int:action_id>/withdraw/check", methods=["POST"])
@roles_required(*ASKERS)
def account_withdraw_check(item_id: int, action_id: int) -> Page:
    """The reason → the withdrawal's confirmation page with its token. Records nothing."""
    try:
        account_requests.withdrawal_of(db.session(), item_id, action_id, actor=staff())
    except LookupError:
        abort(404)
    except PermissionError:
        abort(403)
    except SafeguardingError as exc:
        return _refused(item_id, str(exc), 409)
    form = AccountWithdrawForm()
    if not form.validate_on_submit():
        return _withdraw_page(item_id, action_id, form, status=400)
    try:
        _a, why, token = account_requests.prepare_withdrawal(db.session(), item_id, action_id, actor=staff(),
                                                             detail=form.detail.data or "")
    except SafeguardingError as exc:
        form.detail.errors = [str(exc)]
        return _withdraw_page(item_id, action_id, form, status=400)
    return _withdraw_page(item_id, action_id, AccountConfirmForm(formdata=None, data={"detail": why, "token": token}),
                          why=why)


@bp.route("/accounts/<int:item_id>/requests/<int:action_id>/withdraw", methods=["POST"])
@roles_required(*ASKERS)
def account_withdraw(item_id: int, action_id: int) -> Page:
    return _confirmed(item_id, lambda form: account_requests.withdraw(
        db.session(), item_id, action_id, actor=staff(), detail=form.detail.data or "",
        token=form.token.data or None).withdrawal_delivery_id,
        _("Withdrawn: the platform has been told to lift the account's restriction."))
