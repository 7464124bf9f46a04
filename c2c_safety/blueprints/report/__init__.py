"""The anonymous reporting channel: `/report` and `/report/follow-up`.

No account, no JavaScript, no cookie, no client address. These routes are exempt from
flask-wtf's CSRF (which keeps its token in the session cookie) and carry a stateless signed
token in a hidden field instead (see tokens.py).
"""

from flask import Blueprint

from c2c_safety.blueprints.report.filters import user_text
from c2c_safety.web import csrf

bp = Blueprint("report", __name__)
csrf.exempt(bp)
bp.add_app_template_filter(user_text, "user_text")  # app-wide: staff pages use it too

from c2c_safety.blueprints.report import views  # noqa: E402,F401
