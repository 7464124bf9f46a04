from flask import Blueprint

bp = Blueprint("auth", __name__)

from c2c_safety.blueprints.auth import views  # noqa: E402,F401
