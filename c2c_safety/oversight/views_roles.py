"""The independent reviewer's view of who holds power: every role change, and the requests
for the independent reviewer role that only they can confirm (rules in accounts/grants.py)."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from c2c_safety.accounts import grants
from c2c_safety.accounts.forms_admin import DecideForm
from c2c_safety.audit import log as audit
from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
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
