"""Admin: the policy list (decision reasons), the safeguarding target time, webhook
deliveries and reviewer exposure. Admins see no content here, only settings and counts."""

from flask import Blueprint

from c2c_safety.templating import NAV, NavLink

bp = Blueprint("policy", __name__)

NAV.append(NavLink("policy.index", "Policy and desk settings", frozenset({"admin"})))
NAV.append(NavLink("policy.webhooks", "Webhook deliveries", frozenset({"admin"})))

from c2c_safety.blueprints.policy import views  # noqa: E402,F401
