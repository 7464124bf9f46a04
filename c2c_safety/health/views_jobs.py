"""Admin: the periodic jobs (`/admin/jobs`): when each last ran and whether it is overdue.

Read-only and for admins only; the anonymous /readyz says nothing about jobs.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext

from c2c_safety.accounts import access_review
from c2c_safety.audit import sequencer
from c2c_safety.core import db, periodic
from c2c_safety.core.access import roles_required
from c2c_safety.core.templating import NAV, NavLink
from models import utcnow

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")
NAV.append(NavLink("jobs.index", lazy_gettext("Periodic jobs"), frozenset({"admin"})))

STATE_LABELS = {"ok": lazy_gettext("On time"), "running": lazy_gettext("Running"),
                "waiting": lazy_gettext("Waiting for its first run"), "overdue": lazy_gettext("Overdue"),
                "failing": lazy_gettext("Last run failed"), "never": lazy_gettext("Has never run")}


@bp.route("/")
@roles_required("admin")
def index() -> str:
    s = db.session()
    now = utcnow()
    rows = periodic.status(s, now)
    pending = sequencer.pending_count(s)
    review = access_review.status(s, now)  # a person's job, not a worker's, but as easily forgotten
    return render_template("health/jobs.html", rows=rows, now=now, labels=STATE_LABELS,
                           attention=sum(r.needs_attention for r in rows) + int(review.overdue),
                           audit_pending=pending, access_review=review)
