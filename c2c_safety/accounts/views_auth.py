"""Sign-in (password, then a second factor for everyone) and sign-out.

The views move tokens between the cookie and the services; which step a browser is at
lives in its StaffSession row on the server (accounts/sessions.py), never in the cookie.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from c2c_safety.accounts import client_limit, devices, grants, invitations, sessions, signin
from c2c_safety.accounts import totp as totp_keys
from c2c_safety.accounts.forms_admin import InvitationForm
from c2c_safety.accounts.forms_auth import LoginForm, RecoveryCodeForm, TotpForm
from c2c_safety.accounts.signin import Outcome, StepResult
from c2c_safety.accounts.users import AccountError, account_key
from c2c_safety.core import db
from c2c_safety.core.access import SESSION_TOKEN_KEY, current_session_id
from models import SessionStage, StaffSession, User

bp = Blueprint("auth", __name__)

EXPIRED = lazy_gettext("Your sign-in has expired or was ended. Please start again.")
WRONG_CODE = lazy_gettext("That code is not right, or was already used. Try the next one.")


def _pending(stage: SessionStage) -> StaffSession | None:
    return sessions.find(db.session(), session.get(SESSION_TOKEN_KEY), stage)


def _restart(message: str | LazyString = EXPIRED) -> Response:
    if current_user.is_authenticated:  # already signed in: a stray visit ends nothing
        return redirect(url_for("home.index"))
    session.clear()
    flash(str(message), "info")
    return redirect(url_for("auth.login"))


def _throttled(template: str, retry_after: int, **context: object) -> Response:
    resp = make_response(render_template(template, throttled=True, retry_after=retry_after, **context), 429)
    resp.headers["Retry-After"] = str(retry_after)
    return resp


def _open_session(result: StepResult) -> str:
    """A fresh cookie (no fixation) holding the new session's token; returns the e-mail."""
    assert result.user is not None
    session.clear()
    login_user(result.user)
    session[SESSION_TOKEN_KEY] = result.token
    return result.user.email


def _after_sign_in(result: StepResult) -> str:
    """Someone asked to become the independent reviewer accepts it themselves first thing."""
    if result.user is not None and grants.awaiting_acceptance(db.session(), result.user):
        return url_for("auth.role_requests")
    return url_for("home.index")


def _start_session(result: StepResult, resp: Response) -> Response:
    return _remember_device(resp, _open_session(result))


def _remember_device(resp: Response, email: str) -> Response:
    value = devices.remember(account_key(email), request.cookies.get(devices.COOKIE))
    resp.set_cookie(devices.COOKIE, value, max_age=devices.MAX_AGE, path=devices.PATH,
                    secure=bool(current_app.config["C2C"].https), httponly=True, samesite="Strict")
    return resp


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        result = signin.password_step(db.session(), form.email.data or "", form.password.data or "",
                                      device_cookie=request.cookies.get(devices.COOKIE),
                                      client=client_limit.client_key())
        db.session().commit()
        if result.outcome is Outcome.THROTTLED:
            return _throttled("accounts/login.html", result.retry_after, form=form)
        if result.outcome is Outcome.PUBLISHED_KEY:
            flash(_("This account still carries the demo's two-factor key, which anyone can read. "
                    "Ask an admin to reset your two-factor sign-in."), "error")
            return render_template("accounts/login.html", form=form), 403
        if result.outcome is not Outcome.SECOND_FACTOR and result.outcome is not Outcome.ENROL:
            flash(_("That e-mail and password do not match an active account."), "error")
            return render_template("accounts/login.html", form=form), 401
        session.clear()  # whatever the browser held before, including a signed-in session
        session[SESSION_TOKEN_KEY] = result.token
        if result.outcome is Outcome.ENROL:
            return redirect(url_for("auth.totp_enrol"))
        return redirect(url_for("auth.totp"))
    return render_template("accounts/login.html", form=form)


@bp.route("/login/totp", methods=["GET", "POST"])
def totp() -> Response | str | tuple[str, int]:
    pending = _pending(SessionStage.SECOND_FACTOR)
    if pending is None:
        return _restart()
    form = TotpForm()
    if form.validate_on_submit():
        result = signin.second_factor_step(db.session(), pending, form.code.data or "",
                                           client=client_limit.client_key())
        db.session().commit()
        if result.outcome is Outcome.SIGNED_IN:
            return _start_session(result, redirect(_after_sign_in(result)))
        if result.outcome is Outcome.THROTTLED:
            return _throttled("accounts/totp.html", result.retry_after, form=form)
        if result.outcome is Outcome.ENDED:
            return _restart(_("Too many wrong codes. Please sign in again."))
        form.code.errors = [str(WRONG_CODE)]
        return render_template("accounts/totp.html", form=form), 401
    return render_template("accounts/totp.html", form=form)


@bp.route("/login/recovery", methods=["GET", "POST"])
def recovery() -> Response | str | tuple[str, int]:
    pending = _pending(SessionStage.SECOND_FACTOR)
    if pending is None:
        return _restart()
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        result = signin.second_factor_step(db.session(), pending, form.code.data or "",
                                           client=client_limit.client_key(), use_recovery_code=True)
        db.session().commit()
        if result.outcome is Outcome.SIGNED_IN:
            flash(_("You signed in with a recovery code, which is now used up. If your phone is "
                    "lost, set up a new authenticator below."), "info")
            return _start_session(result, redirect(url_for("auth.two_factor")))
        if result.outcome is Outcome.THROTTLED:
            return _throttled("accounts/recovery.html", result.retry_after, form=form)
        if result.outcome is Outcome.ENDED:
            return _restart(_("Too many wrong codes. Please sign in again."))
        form.code.errors = [_("That is not an unused recovery code of this account.")]
        return render_template("accounts/recovery.html", form=form), 401
    return render_template("accounts/recovery.html", form=form)


@bp.route("/login/totp/enrol", methods=["GET", "POST"])
def totp_enrol() -> Response | str | tuple[str, int]:
    pending = _pending(SessionStage.ENROL)
    secret = signin.enrolment_secret(pending) if pending is not None else None
    user = db.session().get(User, pending.user_id) if pending is not None else None
    if pending is None or secret is None or user is None or user.totp_secret is not None:
        return _restart()
    form = TotpForm()
    status = 200
    uri = totp_keys.provisioning_uri(user, secret)
    if form.validate_on_submit():
        try:
            result = signin.enrol_step(db.session(), pending, form.code.data or "",
                                       client=client_limit.client_key())
        except AccountError:  # another browser finished setting up a key first
            db.session().rollback()
            return _restart()
        db.session().commit()
        if result.outcome is Outcome.SIGNED_IN:
            email = _open_session(result)
            # Shown once, in this answer only: the codes are stored hashed.
            page = render_template("accounts/recovery_codes.html", codes=result.recovery_codes,
                                   first_time=True)
            return _remember_device(make_response(page), email)
        if result.outcome is Outcome.THROTTLED:
            return _throttled("accounts/totp_enrol.html", result.retry_after, form=form, secret=secret,
                              uri=uri, qr=totp_keys.qr_data_uri(uri))
        if result.outcome is Outcome.ENDED:
            return _restart(_("Too many wrong codes. Please sign in again."))
        form.code.errors = [_("That code does not match. Check the clock on your phone and try again.")]
        status = 400
    return render_template("accounts/totp_enrol.html", form=form, secret=secret, uri=uri,
                           qr=totp_keys.qr_data_uri(uri)), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    # CSRFProtect has checked the token already. The row is revoked, so a copy of this
    # cookie taken earlier opens nothing afterwards.
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        row = sessions.get(db.session(), current_session_id())
    else:  # half-way through signing in: that pending session ends too
        user, row = None, sessions.by_token(db.session(), session.get(SESSION_TOKEN_KEY))
    sessions.sign_out(db.session(), user, row)
    db.session().commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Response | str | tuple[str, int]:
    """A new colleague chooses their own password with their single-use link (invitations.py)."""
    s = db.session()
    row = invitations.find(s, token)
    s.rollback()
    if row is None:
        return render_template("accounts/invitation.html", form=None), 404
    form = InvitationForm()
    if form.validate_on_submit():
        if form.password.data != form.confirm.data:
            form.confirm.errors = [_("The two passwords differ.")]
            return render_template("accounts/invitation.html", form=form), 400
        try:
            invitations.accept(s, token, form.password.data or "")
        except LookupError:
            s.rollback()
            return render_template("accounts/invitation.html", form=None), 404
        except AccountError as exc:
            s.rollback()
            form.password.errors = [str(exc)]
            return render_template("accounts/invitation.html", form=form), 400
        s.commit()
        session.clear()
        flash(_("Your password is set. Sign in now; you will set up your second factor next."), "success")
        return redirect(url_for("auth.login"))
    return render_template("accounts/invitation.html", form=form), 400 if form.is_submitted() else 200
