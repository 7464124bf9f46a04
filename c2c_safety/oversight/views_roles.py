"""The independent reviewer's view of who holds power: every role change, the requests for
the independent reviewer role that only they can confirm (rules in accounts/grants.py), and
the quarterly access review (accounts/access_review.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from c2c_safety.accounts import access_review as access_review_service
from c2c_safety.accounts import grants
from c2c_safety.accounts.forms_admin import AccessReviewForm, DecideForm
from c2c_safety.accounts.users import AccountError
from c2c_safety.audit import log as audit
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.oversight.views import REVIEWER, bp
from models import User


@bp.route("/roles")
@roles_required(REVIEWER)
def roles() -> str:
    s = db.session()
    events = grants.history(s)
    pending = grants.pending_grants(s)
    ids = {int(e.target_id) for e in events if e.target_id.isdigit()} | {g.user_id for g in pending}
    emails = {uid: email for uid, email in s.execute(select(User.id, User.email).where(User.id.in_(ids)))}
    audit.record(s, "view.role_changes", actor=staff(), target_type="user")
    s.commit()
    return render_template("oversight/roles.html", events=events, pending=pending, emails=emails,
                           options=grants.options_for(s, pending, staff()),
                           form=DecideForm())


NAV.append(NavLink("reviewer.access_review", lazy_gettext("Access review"), frozenset({REVIEWER})))


@bp.route("/access")
@roles_required(REVIEWER)
def access_review() -> str:
    """The quarterly access review: every person's roles and last sign-in, confirmed or flagged."""
    s = db.session()
    review = access_review_service.open_review(s)
    audit.record(s, "view.access_review", actor=staff(), target_type="access_review",
                 target_id=review.id if review else "")
    s.commit()
    return render_template("oversight/access_review.html", review=review,
                           rows=access_review_service.rows(s, review),
                           status=access_review_service.status(s), form=AccessReviewForm(), start_form=DecideForm())


@bp.route("/access/start", methods=["POST"])
@roles_required(REVIEWER)
def access_review_start() -> Response:
    if not DecideForm().validate_on_submit():
        abort(400)
    s = db.session()
    access_review_service.start(s, actor=staff())
    s.commit()
    return redirect(url_for("reviewer.access_review"))


@bp.route("/access/<int:review_id>/<int:user_id>", methods=["POST"])
@roles_required(REVIEWER)
def access_review_mark(review_id: int, user_id: int) -> Response:
    form = AccessReviewForm()
    if not form.validate_on_submit():
        flash(_("Choose whether the roles are right or should change."), "error")
        return redirect(url_for("reviewer.access_review"))
    s = db.session()
    try:
        access_review_service.mark(s, review_id, user_id, form.verdict.data or "", form.note.data or "",
                                   actor=staff())
    except LookupError:
        s.rollback()
        abort(404)
    except AccountError as exc:
        s.rollback()
        flash(str(exc), "error")
        return redirect(url_for("reviewer.access_review"))
    s.commit()
    return redirect(url_for("reviewer.access_review") + f"#person-{user_id}")
