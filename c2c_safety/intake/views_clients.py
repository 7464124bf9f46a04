"""Admin pages for the token API's clients: create (the key is shown once), list, revoke.

The same service as `flask api-clients …` (intake/api_keys.py), with the admin as the
audited actor. The new key appears only in the response to the POST that made it (no
redirect: a redirect would have to carry it in the session cookie); every page here is
served `Cache-Control: no-store`, so it is not kept by the browser either.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response

from c2c_safety.core import db
from c2c_safety.core.access import roles_required, staff
from c2c_safety.core.templating import NAV, NavLink
from c2c_safety.intake import api_keys
from c2c_safety.intake.forms_clients import CreateClientForm, RevokeForm
from models import ApiClient

bp = Blueprint("api_clients", __name__, url_prefix="/admin/api-clients")
NAV.append(NavLink("api_clients.index", lazy_gettext("API clients"), frozenset({"admin"})))

ADMIN = "admin"


def _page(form: CreateClientForm, status: int = 200, new: api_keys.NewClient | None = None) -> tuple[str, int]:
    return render_template("intake/api_clients.html", form=form, new=new,
                           clients=api_keys.list_clients(db.session()), scopes=api_keys.SCOPES), status


@bp.route("", methods=["GET"])
@roles_required(ADMIN)
def index() -> tuple[str, int]:
    return _page(CreateClientForm())


@bp.route("", methods=["POST"])
@roles_required(ADMIN)
def create() -> tuple[str, int]:
    form = CreateClientForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    s = db.session()
    try:
        new = api_keys.create_client(s, form.name.data or "", list(form.scopes.data or []), actor=staff())
    except api_keys.ApiKeyError as exc:
        s.rollback()
        form.name.errors = [str(exc)]
        return _page(form, 400)
    s.commit()
    return _page(CreateClientForm(formdata=None), 201, new)


def _client(client_id: int) -> ApiClient:
    client = db.session().get(ApiClient, client_id)
    return client if client is not None else abort(404)


@bp.route("/<int:client_id>/revoke", methods=["GET"])
@roles_required(ADMIN)
def confirm_revoke(client_id: int) -> str:
    return render_template("intake/api_client_revoke.html", client=_client(client_id), form=RevokeForm())


@bp.route("/<int:client_id>/revoke", methods=["POST"])
@roles_required(ADMIN)
def revoke(client_id: int) -> Response:
    client = _client(client_id)
    if not RevokeForm().validate_on_submit():
        abort(400, _("The form expired. Go back and confirm again."))
    s = db.session()
    api_keys.revoke_client(s, client.name, actor=staff())
    s.commit()
    flash(_("Client %(name)s revoked: its key no longer works.", name=client.name), "success")
    return redirect(url_for("api_clients.index"))
