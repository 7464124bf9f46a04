from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from c2c_safety.blueprints.admin import views  # noqa: E402,F401
