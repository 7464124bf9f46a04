"""`POST /api/v1/appeals`: the platform forwards a user's complaint about a decision (DSA
Art. 20). The appeal only puts the item back in the human queue for a different moderator;
no API route can decide anything (see tests/review/test_appeals.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Response, current_app, g, jsonify, request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from c2c_safety.core import db
from c2c_safety.intake.api_auth import api_blueprint, api_key_required, json_error
from c2c_safety.intake.schemas import PlatformId, _no_nul, field_path
from c2c_safety.review import appeals
from models import ApiClient

bp = api_blueprint("api_appeals", __name__)

AppealText = Annotated[str, AfterValidator(_no_nul), Field(min_length=1, max_length=appeals.MAX_TEXT)]


class AppealIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    decision_id: Annotated[int, Field(gt=0, description="The decision id sent in the decision webhook")]
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
    if request.mimetype != "application/json":
        return json_error(415, "unsupported_media_type", "Send the body as Content-Type: application/json.")
    limit = current_app.config["C2C"].max_json_bytes
    if request.content_length is not None and request.content_length > limit:
        return json_error(413, "payload_too_large", f"The body is over the limit of {limit} bytes.")
    try:
        data = AppealIn.model_validate_json(request.get_data(cache=False))
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
