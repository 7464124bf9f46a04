"""Liveness and readiness probes for the process supervisor and the load balancer."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from flask_login import current_user

from c2c_safety.health import readiness as health

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz() -> tuple[Response, int]:
    report = health.readiness(current_app)
    # Signed-in staff also see the model's name and version; load balancers and strangers do not.
    detailed = bool(current_user.is_authenticated)
    return jsonify(report.as_dict(detailed=detailed)), 200 if report.ready else 503
