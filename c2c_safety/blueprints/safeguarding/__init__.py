"""The safeguarding lead's desk: referrals, alerts, actions, chronology per child."""

from flask import Blueprint

from c2c_safety.templating import NAV, NavLink

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")

NAV.append(NavLink("safeguarding.index", "Safeguarding desk", frozenset({"safeguarding_lead"})))

from c2c_safety.blueprints.safeguarding import views  # noqa: E402,F401
