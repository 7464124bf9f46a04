from __future__ import annotations

from flask import Blueprint, render_template

from c2c_safety.core.access import roles_required

bp = Blueprint("home", __name__)


@bp.route("/")
@roles_required()
def index() -> str:
    return render_template("home/index.html")
