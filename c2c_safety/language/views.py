"""`POST /language`: the staff layout's language switch (a form with CSRF on every page)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from werkzeug.wrappers import Response

from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.language import choice

bp = Blueprint("language", __name__)


def _back() -> str:
    # Only a path on this desk: never an open redirect to another host.
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target and len(target) < 2000:
        return target.rstrip("?")
    return url_for("home.index")


@bp.post("/language")
@roles_required()
def choose() -> Response:
    s = db.session()
    try:
        choice.choose(s, staff(), request.form.get("language", ""))
    except choice.UnknownLanguageError:
        abort(400)
    s.commit()
    return redirect(_back(), 303)
