"""Admin: staff accounts, role requests, two-factor resets.

Role requests are decided here by admins, and by the independent reviewer for the
independent reviewer role (their list is on /review/roles)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from c2c_safety.accounts import access_review, grants, invitations, totp
from c2c_safety.accounts.forms_admin import CreateUserForm, DecideForm, EditUserForm
from c2c_safety.accounts.grants import RoleChange
from c2c_safety.accounts.users import AccountError
from c2c_safety.audit import log as audit
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import role_label
from models import User

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _say(user: User, change: RoleChange) -> None:
    parts = []
    if change.granted:
        parts.append(_("given %(roles)s", roles=", ".join(change.granted)))
    if change.revoked:
        parts.append(_("removed %(roles)s", roles=", ".join(change.revoked)))
    if change.requested:
        parts.append(_("requested %(roles)s (takes effect when a second person confirms)",
                       roles=", ".join(change.requested)))
    if change.already_pending:
        parts.append(_("already waiting for confirmation: %(roles)s", roles=", ".join(change.already_pending)))
    flash(_("Account %(email)s updated: %(changes)s.", email=user.email, changes="; ".join(parts)) if parts
          else _("Account %(email)s updated.", email=user.email), "success")


@bp.route("/users")
@roles_required("admin")
def users() -> str:
    s = db.session()
    people = list(s.scalars(select(User).order_by(User.email)))
    pending = grants.pending_grants(s)
    audit.record(s, "view.staff_list", actor=staff(), target_type="user")
    s.commit()
    return render_template("accounts/admin_users.html", people=people, pending=pending,
                           options=grants.options_for(s, pending, staff()),
                           has_reviewer=grants.has_active_reviewer(s), form=DecideForm(),
                           thin=grants.thin_confirmers(s, staff()), invited=invitations.outstanding(s),
                           flagged=access_review.flagged(s))


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def user_new() -> Response | str | tuple[str, int]:
    form = CreateUserForm()
    if form.validate_on_submit():
        s = db.session()
        try:
            user, change, token = grants.create_account(s, form.email.data or "", list(form.roles.data or []),
                                                        display_name=form.display_name.data or "",
                                                        actor=staff())
        except AccountError as exc:
            s.rollback()
            form.email.errors = [str(exc)]
            return render_template("accounts/admin_user_new.html", form=form), 400
        s.commit()
        _say(user, change)
        # Shown once, in this answer only (never in a flash: that travels in the cookie).
        return render_template("accounts/admin_invitation.html", person=user, link=_invite_link(token),
                               hours=int(invitations.LIFETIME.total_seconds() // 3600))
    return render_template("accounts/admin_user_new.html", form=form)


def _invite_link(token: str) -> str:
    return url_for("auth.invitation", token=token, _external=True)


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
@roles_required("admin")
def reinvite(user_id: int) -> Response | str | tuple[str, int]:
    """A new link for someone whose link expired or got lost (the old one stops working)."""
    if not DecideForm().validate_on_submit():
        abort(400)
    s = db.session()
    user = s.get(User, user_id) or abort(404)
    try:
        token = invitations.issue(s, user, actor=staff())
    except AccountError as exc:
        return _refused(exc)
    s.commit()
    return render_template("accounts/admin_invitation.html", person=user, link=_invite_link(token),
                           hours=int(invitations.LIFETIME.total_seconds() // 3600))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_edit(user_id: int) -> Response | str | tuple[str, int]:
    s = db.session()
    user = s.get(User, user_id) or abort(404)
    form = EditUserForm(data={"roles": sorted(user.role_names), "active": user.active})
    if form.validate_on_submit():
        try:
            change = grants.change_roles(s, user, list(form.roles.data or []), actor=staff())
            grants.set_active(s, user, bool(form.active.data), actor=staff())
        except AccountError as exc:
            s.rollback()
            form.roles.errors = [str(exc)]
            return render_template("accounts/admin_user_edit.html", form=form, person=user,
                                   reset_form=DecideForm()), 400
        s.commit()
        _say(user, change)
        return redirect(url_for("admin.users"))
    return render_template("accounts/admin_user_edit.html", form=form, person=user,
                           reset_form=DecideForm())


@bp.route("/users/<int:user_id>/reset-two-factor", methods=["POST"])
@roles_required("admin")
def reset_two_factor(user_id: int) -> Response | tuple[str, int]:
    s = db.session()
    user = s.get(User, user_id) or abort(404)
    try:
        totp.reset_by_admin(s, user, actor=staff())
    except AccountError as exc:
        return _refused(exc)
    s.commit()
    flash(_("Two-factor sign-in of %(email)s is reset and their sessions ended; they set it "
            "up again at their next sign-in.", email=user.email), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _refused(exc: AccountError) -> tuple[str, int]:
    """A rule said no: 403 with the rule's own words."""
    db.session().rollback()
    return render_template("errors/error.html", status=403, title=_("Not allowed"), message=str(exc)), 403


def _role_words(role: str) -> str:
    """The role inside a sentence: "is now independent reviewer" (in the page's language)."""
    return role_label(role).lower()


def _back() -> str:
    # Back to the list the button was on; only our own two pages, never a given URL.
    back = request.form.get("back")
    if back == "account":
        return url_for("auth.role_requests")
    return url_for("reviewer.roles") if back == "review" else url_for("admin.users")


@bp.route("/grants/<int:grant_id>/confirm", methods=["POST"])
@roles_required("admin", "independent_reviewer", "ceo", "safeguarding_lead")
def confirm_grant(grant_id: int) -> Response | tuple[str, int]:
    s = db.session()
    try:
        grant = grants.confirm(s, grant_id, actor=staff())
    except LookupError:
        abort(404)
    except AccountError as exc:
        return _refused(exc)
    s.commit()
    if grant.status == "confirmed":
        flash(_("Confirmed: %(email)s is now %(role)s.", email=grant.user.email, role=_role_words(grant.role)),
              "success")
    else:
        flash(_("Confirmed. %(email)s becomes %(role)s once they accept it themselves after signing in.",
                email=grant.user.email, role=_role_words(grant.role)), "success")
    return redirect(_back())


@bp.route("/grants/<int:grant_id>/reject", methods=["POST"])
@roles_required("admin", "independent_reviewer", "ceo", "safeguarding_lead")
def reject_grant(grant_id: int) -> Response | tuple[str, int]:
    s = db.session()
    try:
        grant = grants.reject(s, grant_id, actor=staff())
    except LookupError:
        abort(404)
    except AccountError as exc:
        return _refused(exc)
    s.commit()
    flash(_("The request for %(email)s to become %(role)s is %(status)s.", email=grant.user.email,
            role=_role_words(grant.role), status=_("withdrawn") if grant.status == "withdrawn"
            else _("rejected") if grant.status == "rejected" else grant.status), "success")
    return redirect(_back())
