"""Liveness and readiness probes for the process supervisor and the load balancer."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from c2c_safety.health import readiness as health

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz() -> tuple[Response, int]:
    report = health.readiness(current_app)
    return jsonify(report.as_dict()), 200 if report.ready else 503
