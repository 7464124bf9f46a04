"""The moderators' queue: triage list, item review, claims and human decisions."""

from flask import Blueprint

from c2c_safety.templating import NAV, NavLink

bp = Blueprint("queue", __name__, url_prefix="/queue")

NAV.append(NavLink("queue.index", "Moderation queue", frozenset({"moderator", "safeguarding_lead"})))

from c2c_safety.blueprints.queue import views  # noqa: E402,F401
