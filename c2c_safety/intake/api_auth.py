"""Bearer-key authentication for the token API, reusable by every `/api/v1` route.

    from c2c_safety.intake.api_auth import api_key_required, json_error

    @bp.route("/appeals", methods=["POST"])
    @api_key_required("appeals:write")
    def appeals(): client = g.api_client ...

Routes on `c2c_safety.intake.views.bp` are CSRF-exempt (they carry no cookie, so there is
nothing for a cross-site request to ride on). A feature that wants its own API blueprint
makes it with `api_blueprint(...)`, which applies the same exemption.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, g, jsonify, request

from c2c_safety.core import db
from c2c_safety.intake import api_keys

F = TypeVar("F", bound=Callable[..., Any])

# endpoint qualname -> scope, so a test can check that every API route asks for one.
API_SCOPES: dict[str, str] = {}


def api_blueprint(name: str, import_name: str, url_prefix: str = "/api/v1") -> Blueprint:
    from c2c_safety.core.web import csrf

    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    csrf.exempt(bp)
    return bp


def json_error(status: int, error: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(error=error, message=message, **extra), status


def _unauthorized(message: str) -> tuple[Response, int]:
    resp, status = json_error(401, "unauthorized", message)
    resp.headers["WWW-Authenticate"] = 'Bearer realm="c2c-safety"'
    return resp, status


def api_key_required(scope: str) -> Callable[[F], F]:
    if scope not in api_keys.SCOPES:
        raise ValueError(f"unknown API scope {scope!r}; add it to intake.api_keys.SCOPES")

    def decorate(view: F) -> F:
        API_SCOPES[f"{view.__module__}.{view.__name__}"] = scope

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            kind, _, key = header.partition(" ")
            if kind.lower() != "bearer" or not key.strip():
                return _unauthorized("Send the client's API key as 'Authorization: Bearer <key>'.")
            client = api_keys.authenticate(db.session(), key.strip())
            if client is None:
                return _unauthorized("The API key is unknown or revoked.")
            if not api_keys.has_scope(client, scope):
                resp, status = json_error(
                    403, "insufficient_scope", f"This API key lacks the scope {scope!r}.", scope=scope)
                resp.headers["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{scope}"'
                return resp, status
            g.api_client = client
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
