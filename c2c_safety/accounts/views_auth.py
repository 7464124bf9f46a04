"""Sign-in (password, then TOTP where set or required), sign-out, own account."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from c2c_safety.accounts import users as accounts
from c2c_safety.accounts.forms_auth import LoginForm, PasswordChangeForm, TotpForm
from c2c_safety.accounts.users import SignIn
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from models import User

bp = Blueprint("auth", __name__)

PENDING = "pending_2fa_user"
ENROL_SECRET = "totp_enrol_secret"


def _pending_user() -> User:
    uid = session.get(PENDING)
    user = db.session().get(User, uid) if isinstance(uid, int) else None
    if user is None or not user.active:
        abort(400, "Your sign-in has expired. Please start again.")
    return user


def _finish(user: User, second_factor: bool) -> Response:
    session.pop(PENDING, None)
    session.pop(ENROL_SECRET, None)
    accounts.complete_sign_in(db.session(), user, second_factor=second_factor)
    db.session().commit()
    session.clear()  # fresh session after privilege change (prevents fixation)
    login_user(user)
    return redirect(url_for("home.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.authenticate(db.session(), form.email.data or "", form.password.data or "")
        db.session().commit()
        if result.outcome is SignIn.THROTTLED:
            return render_template("accounts/login.html", form=form, throttled=True), 429
        if result.outcome is SignIn.BAD or result.user is None:
            flash("That e-mail and password do not match an active account.", "error")
            return render_template("accounts/login.html", form=form), 401
        if result.outcome is SignIn.OK:
            session.clear()
            login_user(result.user)
            return redirect(url_for("home.index"))
        session[PENDING] = result.user.id
        if result.outcome is SignIn.NEEDS_TOTP:
            return redirect(url_for("auth.totp"))
        return redirect(url_for("auth.totp_enrol"))
    return render_template("accounts/login.html", form=form)


@bp.route("/login/totp", methods=["GET", "POST"])
def totp() -> Response | str | tuple[str, int]:
    user = _pending_user()
    form = TotpForm()
    if form.validate_on_submit():
        ok = accounts.verify_totp(db.session(), user, form.code.data or "")
        db.session().commit()
        if ok:
            return _finish(user, second_factor=True)
        form.code.errors = ["That code is not right, or was already used. Try the next one."]
        return render_template("accounts/totp.html", form=form), 401
    return render_template("accounts/totp.html", form=form)


@bp.route("/login/totp/enrol", methods=["GET", "POST"])
def totp_enrol() -> Response | str | tuple[str, int]:
    user = _pending_user()
    secret = session.get(ENROL_SECRET) or accounts.new_totp_secret()
    session[ENROL_SECRET] = secret
    form = TotpForm()
    if form.validate_on_submit():
        if accounts.enrol_totp(db.session(), user, secret, form.code.data or ""):
            return _finish(user, second_factor=True)
        form.code.errors = ["That code does not match. Check the clock on your phone and try again."]
        status = 400
    else:
        status = 200
    return render_template("accounts/totp_enrol.html", form=form, secret=secret,
                           uri=accounts.totp_uri(user, secret)), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@roles_required()
def account() -> Response | str | tuple[str, int]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(db.session(), staff(), form.current.data or "", form.new.data or "")
        except accounts.AccountError as exc:
            db.session().rollback()
            form.new.errors = [str(exc)]
            return render_template("accounts/account.html", form=form), 400
        db.session().commit()
        login_user(staff())  # re-issue the session cookie with the new session version
        flash("Your password is changed.", "success")
        return redirect(url_for("auth.account"))
    return render_template("accounts/account.html", form=form)
