"""Notices: every staff member's in-app inbox and their e-mail preferences."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext
from werkzeug.wrappers import Response

from c2c_safety.core import db, params
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.notifications import handovers as handovers  # registers the handover hook with the app
from c2c_safety.notifications import inbox, kinds, preferences
from c2c_safety.notifications.forms import PostForm, PreferencesForm

bp = Blueprint("notices", __name__, url_prefix="/notices")
NAV.append(NavLink("notices.index", lazy_gettext("Notices"), frozenset()))


@bp.route("")
@roles_required()
def index() -> str:
    s = db.session()
    me = staff()
    view = params.arg_choice("view", ("open", "done"), "open")
    groups = inbox.groups(s, me)  # resolves my notices whose work is done first
    done = inbox.rows(s, me, done=True) if view == "done" else []
    unread = inbox.unread_count(s, me)
    s.commit()
    return render_template("notifications/inbox.html", groups=groups, done=done, view=view,
                           unread=unread, form=PostForm())


@bp.route("/<int:notice_id>/open", methods=["POST"])
@roles_required()
def open_notice(notice_id: int) -> Response:
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    s = db.session()
    link = inbox.open_notice(s, staff(), notice_id)
    if link is None:
        s.rollback()
        abort(404)
    s.commit()
    # Notices only ever hold paths on this desk; anything else goes to the inbox.
    return redirect(link if link.startswith("/") and not link.startswith("//") else url_for("notices.index"))


@bp.route("/read-all", methods=["POST"])
@roles_required()
def read_all() -> Response:
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    s = db.session()
    n = inbox.mark_all_read(s, staff())
    s.commit()
    flash(ngettext("%(num)d notice marked as read.", "%(num)d notices marked as read.", n), "success")
    return redirect(url_for("notices.index"))


def _preferences_form() -> PreferencesForm:
    me = staff()
    form = PreferencesForm()
    form.email.choices = [(k, kinds.label(k)) for k in kinds.kinds_for(me.role_names)
                          if k not in kinds.ALWAYS_EMAIL]
    return form


@bp.route("/preferences", methods=["GET", "POST"])
@roles_required()
def preferences_page() -> Response | tuple[str, int]:
    s = db.session()
    me = staff()
    form = _preferences_form()
    current = preferences.for_user(s, me)
    if not form.is_submitted():
        form.email.data = [k for k, on in current.items() if on and k not in kinds.ALWAYS_EMAIL]
    if not form.validate_on_submit():
        return render_template("notifications/preferences.html", form=form, current=current,
                               always=[k for k in current if k in kinds.ALWAYS_EMAIL],
                               label=kinds.label), 400 if form.is_submitted() else 200
    chosen = set(form.email.data or [])
    preferences.save(s, me, {k: k in chosen for k, _label in form.email.choices})  # type: ignore[misc]
    s.commit()
    flash(_("Your notice preferences are saved."), "success")
    return redirect(url_for("notices.preferences_page"))
