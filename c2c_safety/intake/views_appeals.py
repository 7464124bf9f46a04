"""`POST /api/v1/appeals`: the platform forwards a user's complaint about a decision (DSA
Art. 20). The appeal only puts the item back in the human queue for a different moderator;
no API route can decide anything (see tests/review/test_appeals.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Response, g, jsonify
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from c2c_safety.core import db
from c2c_safety.core.params import INT32_MAX
from c2c_safety.intake.api_auth import api_blueprint, api_key_required, json_error, read_json_body
from c2c_safety.intake.openapi import Operation, add_operation
from c2c_safety.intake.schemas import PlatformId, _no_nul, field_path
from c2c_safety.review import appeals
from models import ApiClient

bp = api_blueprint("api_appeals", __name__)

AppealText = Annotated[str, AfterValidator(_no_nul), Field(min_length=1, max_length=appeals.MAX_TEXT)]


class AppealIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    # Bounded to the column's range: a larger id names no decision, and the database would
    # refuse the lookup (a 500) instead of answering "no such decision".
    decision_id: Annotated[int, Field(gt=0, le=INT32_MAX, description="The decision id sent in the decision webhook")]
    appellant: Literal["author", "flagger"]
    appellant_id: PlatformId | None = Field(default=None, description="The appellant's pseudonymous id")
    text: AppealText = Field(description="The complaint, as the user wrote it")
    reference: PlatformId | None = Field(
        default=None, description="The platform's id for this complaint; repeats return the same appeal")


class AppealAccepted(BaseModel):
    appeal_id: int
    decision_id: int
    status: str
    duplicate: bool


@bp.route("/appeals", methods=["POST"])
@api_key_required("appeals:write")
def create_appeal() -> tuple[Response, int]:
    raw = read_json_body()  # bounded, chunked bodies included (issue 10: a 9 MB chunked body was read)
    if not isinstance(raw, bytes):
        return raw
    try:
        data = AppealIn.model_validate_json(raw)
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_input=False, include_context=False)
        if any(p["type"] == "json_invalid" for p in problems):
            return json_error(400, "malformed_json", "The body is not valid JSON.")
        errors = [{"field": field_path(p["loc"]), "message": p["msg"]} for p in problems]
        return json_error(422, "validation_failed", "Some fields are missing or wrong.", errors=errors)
    client: ApiClient = g.api_client
    s = db.session()
    try:
        result = appeals.create(s, client, decision_id=data.decision_id, appellant=data.appellant,
                                text=data.text, appellant_pseudonym=data.appellant_id,
                                platform_ref=data.reference)
    except appeals.AppealError as exc:
        s.rollback()
        return json_error(exc.status, exc.error, str(exc))
    s.commit()
    body = AppealAccepted(appeal_id=result.appeal.id, decision_id=result.appeal.decision_id,
                          status=result.appeal.status, duplicate=not result.created)
    return jsonify(body.model_dump(mode="json")), 201 if result.created else 200


# The route's contract in the OpenAPI document (docs/api.md explains the rules); the
# schemathesis fuzz test (tests/intake/test_fuzz_api.py) runs against it.
add_operation(Operation(
    path="/api/v1/appeals", method="post", operation_id="createAppeal",
    summary="Forward a user's complaint about a decision, DSA Art. 20 (scope appeals:write)",
    request=AppealIn,
    responses={
        201: (AppealAccepted, "Appeal recorded; the item is back in the queue for another moderator"),
        200: (AppealAccepted, "The same reference again: the appeal already recorded (duplicate=true)"),
        400: (None, "Malformed JSON (error: malformed_json)"),
        401: (None, "Missing, unknown or revoked API key (error: unauthorized)"),
        403: (None, "The key lacks appeals:write (error: insufficient_scope)"),
        404: (None, "No such decision (error: not_found)"),
        409: (None, "The decision was superseded, already answered an appeal, or its item is under "
                    "review again; or the reference was used for another decision (error: superseded | "
                    "already_appealed | under_review | idempotency_conflict)"),
        413: (None, "Body too large (error: payload_too_large)"),
        415: (None, "Content-Type is not application/json (error: unsupported_media_type)"),
        422: (None, "Validation failed: `errors` names each field (error: validation_failed), or the "
                    "appeal does not fit the decision (error: invalid_appeal)"),
    }))
