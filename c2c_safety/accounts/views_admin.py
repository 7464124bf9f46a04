"""Admin: staff accounts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from c2c_safety.accounts import users as accounts
from c2c_safety.accounts.forms_admin import CreateUserForm, EditUserForm
from c2c_safety.audit import log as audit
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from models import User

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required("admin")
def users() -> str:
    s = db.session()
    people = list(s.scalars(select(User).order_by(User.email)))
    audit.record(s, "view.staff_list", actor=staff(), target_type="user")
    s.commit()
    return render_template("accounts/admin_users.html", people=people)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def user_new() -> Response | str | tuple[str, int]:
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(db.session(), form.email.data or "", form.password.data or "",
                                        list(form.roles.data or []),
                                        display_name=form.display_name.data or "", actor=staff())
        except accounts.AccountError as exc:
            db.session().rollback()
            form.email.errors = [str(exc)]
            return render_template("accounts/admin_user_new.html", form=form), 400
        db.session().commit()
        flash(f"Account {user.email} created.", "success")
        return redirect(url_for("admin.users"))
    return render_template("accounts/admin_user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_edit(user_id: int) -> Response | str | tuple[str, int]:
    s = db.session()
    user = s.get(User, user_id) or abort(404)
    form = EditUserForm(data={"roles": sorted(user.role_names), "active": user.active})
    if form.validate_on_submit():
        try:
            accounts.set_roles(s, user, list(form.roles.data or []), actor=staff())
            accounts.set_active(s, user, bool(form.active.data), actor=staff())
        except accounts.AccountError as exc:
            s.rollback()
            form.roles.errors = [str(exc)]
            return render_template("accounts/admin_user_edit.html", form=form, person=user), 400
        s.commit()
        flash(f"Account {user.email} updated.", "success")
        return redirect(url_for("admin.users"))
    return render_template("accounts/admin_user_edit.html", form=form, person=user)
