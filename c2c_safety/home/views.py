"""`/`: the public way in for someone with a concern, or a signed-in staff member's overview.

A visitor who is not signed in sees a short public page in their language (report a
concern, follow up with a receipt, a quick exit, staff sign-in as a small link). Like the
report pages it sets no cookie and reads no client address. Staff who are signed in get
their overview of desks, as before.
"""

from __future__ import annotations

from flask import Blueprint, render_template, session
from flask_login import current_user

from c2c_safety.core import db
from c2c_safety.core.access import staff
from c2c_safety.home import dashboard
from c2c_safety.report import pages

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> str | tuple[str, int]:
    if current_user.is_authenticated:
        s = db.session()
        board = dashboard.build(s, staff())  # counts of what waits, is overdue, changed since last visit
        s.commit()
        return render_template("home/index.html", board=board)
    # Nothing on the public page may start a session (a cookie would mark the visit).
    session.modified = False
    return pages.render("home/public.html", pages.pick_lang())
