"""The independent reviewer (`/review`): read-only oversight, own notes, samples, reports."""

from flask import Blueprint

from c2c_safety.templating import NAV, NavLink

bp = Blueprint("reviewer", __name__, url_prefix="/review")

NAV.append(NavLink("reviewer.index", "Independent review", frozenset({"independent_reviewer"})))

from c2c_safety.blueprints.reviewer import views as views  # noqa: E402
from c2c_safety.blueprints.reviewer import views_reports as views_reports  # noqa: E402
