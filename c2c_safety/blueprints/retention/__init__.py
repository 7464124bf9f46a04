"""Admin: retention policies (`/admin/retention`)."""

from flask import Blueprint

from c2c_safety.templating import NAV, NavLink

bp = Blueprint("retention", __name__, url_prefix="/admin/retention")

NAV.append(NavLink("retention.policies", "Retention", frozenset({"admin"})))

from c2c_safety.blueprints.retention import views as views  # noqa: E402
