"""Case handling (`/cases`): the handlers' desk for whistleblowing reports and escalations."""

from flask import Blueprint

from c2c_safety.services.case_access import CASE_ROLES
from c2c_safety.templating import NAV, NavLink

bp = Blueprint("cases", __name__, url_prefix="/cases")

NAV.append(NavLink("cases.index", "Cases", frozenset(CASE_ROLES)))
NAV.append(NavLink("cases.alerts", "Deadline alerts", frozenset(CASE_ROLES)))
NAV.append(NavLink("cases.exclusions", "Case conflicts",
                   frozenset({"admin", "safeguarding_lead", "case_handler", "ceo"})))

from c2c_safety.blueprints.cases import views as views  # noqa: E402
from c2c_safety.blueprints.cases import views_actions as views_actions  # noqa: E402
