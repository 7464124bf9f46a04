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

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

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


def read_json_body() -> bytes | tuple[Response, int]:
    """The request body, at most the configured JSON limit, or the JSON error to return.

    Bounds a body sent without Content-Length (chunked) too: Werkzeug stops such a stream
    silently at max_content_length, so read one byte more than allowed to tell "exactly
    full" from "too large". Every JSON route reads its body through this."""
    limit = current_app.config["C2C"].max_json_bytes
    if request.mimetype != "application/json":
        return json_error(415, "unsupported_media_type", "Send the body as Content-Type: application/json.")
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit)
    request.max_content_length = limit + 1
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large(limit)
    return _too_large(limit) if len(raw) > limit else raw


def _too_large(limit: int) -> tuple[Response, int]:
    return json_error(413, "payload_too_large", f"The body is over the limit of {limit} bytes.")


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
