"""The token API for the Class2Class platform (`/api/v1`). CSRF-exempt: bearer keys, no cookies.

The token API: flags in, review status out. JSON only, never a 500 for bad input.
"""

from __future__ import annotations

import re

from flask import Response, g, jsonify, request, url_for
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from c2c_safety.core import db
from c2c_safety.intake import flags as intake
from c2c_safety.intake import scoring_window
from c2c_safety.intake.api_auth import api_blueprint, api_key_required, json_error, read_json_body
from c2c_safety.intake.flags import FlagDelivery, IngestResult
from c2c_safety.intake.openapi import document
from c2c_safety.intake.schemas import FlagAccepted, FlagIn, ItemStatusOut, field_path
from models import ApiClient

bp = api_blueprint("api", __name__)

IDEMPOTENCY_RE = re.compile(r"^[\x21-\x7e]{1,128}$")
ATTEMPTS = 3
# PostgreSQL deadlock and serialisation failures: safe to run the whole transaction again.
RETRY_SQLSTATES = frozenset({"40P01", "40001"})


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, StaleDataError | IntegrityError) or db.is_disconnect(exc):
        return True  # a lost connection (the pool holds no pre-pinged ones) is retried on a new one
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in RETRY_SQLSTATES


def _ingest(client: ApiClient, delivery: FlagDelivery) -> IngestResult:
    """Run the ingest and commit, again from the start if a concurrent writer got in the way."""
    session = db.session()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = intake.ingest_flag(session, client, delivery)
            session.commit()
            return result
        except (StaleDataError, DBAPIError) as exc:
            session.rollback()
            if attempt == ATTEMPTS or not _retryable(exc):
                raise
    raise AssertionError("unreachable")


@bp.route("/flags", methods=["POST"])
@api_key_required("flags:write")
def create_flag() -> tuple[Response, int]:
    raw = read_json_body()  # bounded, chunked bodies without a length included
    if not isinstance(raw, bytes):
        return raw
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_RE.match(key):
        return json_error(400, "invalid_header", "Idempotency-Key must be 1-128 visible ASCII characters.",
                          errors=[{"field": "Idempotency-Key", "message": "1-128 visible ASCII characters"}])
    try:
        data = FlagIn.model_validate_json(raw)
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_input=False, include_context=False)
        if any(p["type"] == "json_invalid" for p in problems):
            return json_error(400, "malformed_json", "The body is not valid JSON: " + problems[0]["msg"])
        errors = [{"field": field_path(p["loc"]), "message": p["msg"]} for p in problems]
        return json_error(422, "validation_failed", "Some fields are missing or wrong.", errors=errors)
    cross = data.cross_field_errors()
    if cross:
        return json_error(422, "validation_failed", "Some fields are missing or wrong.", errors=cross)
    client: ApiClient = g.api_client
    try:
        result = _ingest(client, data.to_delivery(key))
    except intake.IdempotencyConflictError as exc:
        db.session().rollback()
        return json_error(422, "idempotency_key_reused", str(exc))
    # Committed first; if Redis is down the item stays pending and the reconciler scores it.
    if result.needs_scoring:
        scoring_window.request_scoring(result.item.id)
    body = FlagAccepted(
        item_id=result.item.id, status_url=url_for("api.item_status", item_id=result.item.id),
        duplicate=result.duplicate, flag_count=result.item.flag_count,
    )
    return jsonify(body.model_dump(mode="json")), 202


@bp.route("/items/<int:item_id>")
@api_key_required("items:read")
def item_status(item_id: int) -> tuple[Response, int]:
    item = intake.item_for_client(db.session(), g.api_client, item_id)
    if item is None:
        return json_error(404, "not_found", "No item with this id was flagged by this client.")
    body = ItemStatusOut(
        item_id=item.id, status=item.status, flag_count=item.flag_count,  # type: ignore[arg-type]
        received_at=item.created_at, last_flagged_at=item.last_flagged_at, decided_at=item.decided_at,
    )
    return jsonify(body.model_dump(mode="json")), 200


@bp.route("/openapi.json")
def openapi() -> Response:
    return jsonify(document())
