"""Cross-cutting web wiring: sign-in sessions, security headers and error pages."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from c2c_safety.core.access import load_staff
from c2c_safety.core.locale import N_, say, use_public_language

log = logging.getLogger(__name__)

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

# Everything is served by the app itself; no inline script or style, no other host.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


# Sessions are checked against the database on every request (core.access.load_staff).
login_manager.user_loader(load_staff)


def _security_headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    resp.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    if request.endpoint != "static":
        # Pages may show personal data: never keep them in shared or browser caches.
        resp.headers["Cache-Control"] = "no-store"
    if current_app.config["C2C"].https:
        # Behind TLS, browsers must never again try plain HTTP for this host or names under
        # it, for a year (the platform's sibling hosts are not affected). No preload: that
        # is the domain owner's decision.
        resp.headers["Strict-Transport-Security"] = HSTS
    return resp


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in {"/healthz", "/readyz"}


def _error(status: int, title: str, message: str) -> tuple[Response | str, int]:
    """An error page in the reader's language: `title` and `message` are English msgids (the
    JSON answer keeps them English, its `error` is a stable code). A visitor who is not
    signed in may be a reporter: their page follows `?lang=` or the browser among every
    public language."""
    if _wants_json():
        return jsonify(error=title.lower().replace(" ", "_"), message=message), status
    # Only a user already loaded counts: loading one here could fail again (database down).
    user = g.get("_login_user")
    if user is None or not user.is_authenticated:
        use_public_language()
    return render_template("errors/error.html", status=status, title=say(title), message=say(message),
                           error_page=True), status


def _http_error(exc: HTTPException) -> tuple[Response | str, int]:
    code = exc.code or 500
    titles = {
        400: (N_("Bad request"), N_("The request could not be understood.")),
        403: (N_("Forbidden"), N_("You do not have access to this page.")),
        404: (N_("Not found"), N_("There is nothing at this address.")),
        405: (N_("Method not allowed"), N_("This address does not accept that kind of request.")),
        413: (N_("Too large"), N_("What you sent is larger than the desk accepts.")),
        415: (N_("Unsupported media type"), N_("Send the kind of content this address expects.")),
        429: (N_("Too many attempts"), N_("Please wait a few minutes and try again.")),
    }
    title, message = titles.get(code, (exc.name, N_("The request could not be completed.")))
    if code == 400 and exc.description and not _wants_json():
        message = exc.description if len(exc.description) < 200 else message
    resp = _error(code, title, message)
    if code == 429 and exc.response is None:
        out = resp[0]
        if isinstance(out, Response):
            out.headers["Retry-After"] = "60"
    return resp


def _csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
    return _error(400, N_("Form expired"), N_("The form was missing its security token or it expired. "
                                              "Go back, reload the page and try again."))


def _db_unavailable(exc: OperationalError) -> tuple[Response | str, int]:
    log.error("database error: %s", type(exc).__name__)
    body, status = _error(503, N_("Service unavailable"), N_("The desk cannot reach its database. "
                                                             "Nothing was saved; please try again shortly."))
    if isinstance(body, Response):
        body.headers["Retry-After"] = "5"
        return body, status
    resp = Response(body, status=503, headers={"Retry-After": "5"})
    return resp, 503


def _unexpected(exc: Exception) -> tuple[Response | str, int]:
    # Log the type and place only: the exception text may hold user content.
    log.exception("unhandled %s on %s %s", type(exc).__name__, request.method, request.endpoint)
    return _error(500, N_("Something went wrong"), N_("The desk hit an unexpected error. It has been logged."))


class _RowIdConverter(IntegerConverter):
    """`<int:...>` ids past a 32-bit INTEGER key can name no row, and the database would raise
    on them (a 500: SQLite overflow, PostgreSQL out of range): such URLs do not match (404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = _RowIdConverter  # before any blueprint adds its rules
    csrf.init_app(app)
    login_manager.init_app(app)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(OperationalError, _db_unavailable)
    app.register_error_handler(Exception, _unexpected)
