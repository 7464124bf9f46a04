"""My account: password, other sessions, authenticator and recovery codes, and the role
requests I must accept (the independent reviewer role) or may confirm as the second person."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from c2c_safety.accounts import grants, own_account, recovery, sessions, totp
from c2c_safety.accounts.forms_admin import DecideForm
from c2c_safety.accounts.forms_auth import ActionForm, PasswordChangeForm, ReplaceTotpForm, TotpForm
from c2c_safety.accounts.own_account import SessionEndedError
from c2c_safety.accounts.users import AccountError
from c2c_safety.accounts.views_auth import bp
from c2c_safety.core import db
from c2c_safety.core.access import SESSION_TOKEN_KEY, current_session_id, roles_required, staff
from models import StaffSession


def _row() -> StaffSession:
    row = sessions.get(db.session(), current_session_id())
    if row is None:  # cannot happen behind roles_required; never a 500 if it does
        abort(401)
    return row


def _reissue(token: str) -> None:
    """Carry on in this browser under the session's new token."""
    user = staff()
    session.clear()
    login_user(user)
    session[SESSION_TOKEN_KEY] = token


def _ended() -> Response:
    db.session().commit()
    logout_user()
    session.clear()
    flash(_("Too many wrong answers: you have been signed out. Please sign in again."), "error")
    return redirect(url_for("auth.login"))


def _page(form: PasswordChangeForm, status: int = 200) -> tuple[str, int]:
    s = db.session()
    return render_template("accounts/account.html", form=form,
                           other_sessions=max(0, sessions.live_count(s, staff().id) - 1),
                           codes_left=recovery.remaining(s, staff().id)), status


@bp.route("/account", methods=["GET", "POST"])
@roles_required()
def account() -> Response | str | tuple[str, int]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        s = db.session()
        try:
            token = own_account.change_password(s, staff(), _row(), form.current.data or "",
                                                form.new.data or "")
        except SessionEndedError:
            return _ended()
        except AccountError as exc:
            s.commit()  # the wrong answer stays counted
            form.new.errors = [str(exc)]
            return _page(form, 400)
        s.commit()
        _reissue(token)
        flash(_("Your password is changed. Your other sessions are signed out."), "success")
        return redirect(url_for("auth.account"))
    return _page(form)


@bp.route("/account/sessions/end-others", methods=["POST"])
@roles_required()
def end_other_sessions() -> Response:
    ended = own_account.end_other_sessions(db.session(), staff(), _row())
    db.session().commit()
    flash(ngettext("Signed out of %(num)d other session.", "Signed out of %(num)d other sessions.", ended), "success")
    return redirect(url_for("auth.account"))


def _two_factor_page(replace_form: ReplaceTotpForm, codes_form: TotpForm, status: int = 200) -> tuple[str, int]:
    s = db.session()
    secret = own_account.replacement_secret(_row())
    uri = totp.provisioning_uri(staff(), secret) if secret else ""
    return render_template("accounts/two_factor.html", replace_form=replace_form, codes_form=codes_form,
                           start_form=ActionForm(), secret=secret, uri=uri,
                           qr=totp.qr_data_uri(uri) if uri else "",
                           codes_left=recovery.remaining(s, staff().id)), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@roles_required()
def two_factor() -> Response | str | tuple[str, int]:
    form = ReplaceTotpForm()
    if form.validate_on_submit():
        s = db.session()
        try:
            token = own_account.replace_totp(s, staff(), _row(), form.proof.data or "",
                                             form.new_code.data or "")
        except SessionEndedError:
            return _ended()
        except AccountError as exc:
            s.commit()
            form.proof.errors = [str(exc)]
            return _two_factor_page(form, TotpForm(formdata=None), 400)
        s.commit()
        _reissue(token)
        flash(_("Your new authenticator is set up. Your other sessions are signed out."), "success")
        return redirect(url_for("auth.account"))
    return _two_factor_page(form, TotpForm(formdata=None), 400 if form.errors else 200)


@bp.route("/account/two-factor/new", methods=["POST"])
@roles_required()
def two_factor_new() -> Response:
    own_account.start_totp_replacement(db.session(), staff(), _row())
    db.session().commit()
    return redirect(url_for("auth.two_factor"))


@bp.route("/account/recovery-codes", methods=["POST"])
@roles_required()
def recovery_codes() -> Response | str | tuple[str, int]:
    form = TotpForm()
    if not form.validate_on_submit():
        return _two_factor_page(ReplaceTotpForm(formdata=None), form, 400)
    s = db.session()
    try:
        codes = own_account.regenerate_recovery_codes(s, staff(), _row(), form.code.data or "")
    except SessionEndedError:
        return _ended()
    except AccountError as exc:
        s.commit()
        form.code.errors = [str(exc)]
        return _two_factor_page(ReplaceTotpForm(formdata=None), form, 400)
    s.commit()
    # Shown once, in this answer only: the codes are stored hashed.
    return render_template("accounts/recovery_codes.html", codes=codes, first_time=False)


@bp.route("/account/roles")
@roles_required()
def role_requests() -> str:
    """Where someone asked to become the independent reviewer accepts it (they are sent here
    after signing in), and where the CEO, a safeguarding lead or the reviewer confirms grants
    as the second person in an organisation with one admin."""
    s = db.session()
    mine = grants.awaiting_acceptance(s, staff())
    pending = [g for g in grants.pending_grants(s) if g.user_id != staff().id]
    options = grants.options_for(s, pending, staff())
    decidable = [g for g in pending if options[g.id].cannot_confirm is None or options[g.id].may_reject]
    return render_template("accounts/role_requests.html", mine=mine, pending=decidable, options=options,
                           form=DecideForm())


@bp.route("/account/roles/<int:grant_id>/accept", methods=["POST"])
@roles_required()
def accept_role(grant_id: int) -> Response | tuple[str, int]:
    return _answer(grant_id, accept=True)


@bp.route("/account/roles/<int:grant_id>/decline", methods=["POST"])
@roles_required()
def decline_role(grant_id: int) -> Response | tuple[str, int]:
    return _answer(grant_id, accept=False)


def _answer(grant_id: int, *, accept: bool) -> Response | tuple[str, int]:
    if not ActionForm().validate_on_submit():
        abort(400)
    s = db.session()
    try:
        grant = (grants.accept if accept else grants.decline)(s, grant_id, actor=staff())
    except LookupError:
        abort(404)
    except AccountError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("auth.role_requests"))
    s.commit()
    if not accept:
        flash(_("You declined the role."), "success")
    elif grant.status == "confirmed":
        flash(_("You accepted the role. Please sign in again to use it."), "success")
    else:
        flash(_("You accepted the role. It applies when the second person confirms it."), "success")
    return redirect(url_for("auth.role_requests"))
