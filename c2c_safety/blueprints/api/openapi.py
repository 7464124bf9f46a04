"""The OpenAPI 3.1 document of the token API, generated from the models that validate it."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from c2c_safety.blueprints.api.schemas import MAX_TEXT, ErrorOut, FlagAccepted, FlagIn, ItemStatusOut
from c2c_safety.services import api_keys

REF = "#/components/schemas/{model}"
MAX_BODY_NOTE = "Bodies over the configured limit (1 MB by default) get 413."


def _schema(model: type[BaseModel], mode: str, components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _json(ref: dict[str, str], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref}}}


@cache
def document() -> dict[str, Any]:
    comps: dict[str, Any] = {}
    flag_in = _schema(FlagIn, "validation", comps)
    accepted = _schema(FlagAccepted, "serialization", comps)
    status = _schema(ItemStatusOut, "serialization", comps)
    error = _schema(ErrorOut, "serialization", comps)

    def errors(*codes: int) -> dict[str, Any]:
        text = {
            400: "Malformed JSON or a bad header (error: malformed_json | invalid_header)",
            401: "Missing, unknown or revoked API key (error: unauthorized)",
            403: "The key lacks the route's scope (error: insufficient_scope)",
            404: "No such item, or not one this client flagged (error: not_found)",
            413: "Body too large (error: payload_too_large). " + MAX_BODY_NOTE,
            415: "Content-Type is not application/json (error: unsupported_media_type)",
            422: "Validation failed: `errors` names each field (error: validation_failed), or the "
                 "Idempotency-Key was used for another flag (error: idempotency_key_reused)",
        }
        return {str(c): _json(error, text[c]) for c in codes}

    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "c2c-safety token API",
            "version": "1.0.0",
            "description": "How the Class2Class platform reports flagged content to the safety desk. "
                           "See docs/api.md for the rules (idempotency, aggregation, reopening).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "Per-client key from `flask api-clients create`. Scopes: "
                               + "; ".join(f"{k}: {v}" for k, v in api_keys.SCOPES.items()),
            }},
            "schemas": comps,
        },
        "paths": {
            "/api/v1/flags": {"post": {
                "operationId": "createFlag",
                "summary": "Report a flag on a piece of platform content (scope flags:write)",
                "description": f"Text snapshots up to {MAX_TEXT} characters. " + MAX_BODY_NOTE
                               + " A repeated delivery returns the same item with duplicate=true.",
                "parameters": [{
                    "name": "Idempotency-Key", "in": "header", "required": False,
                    "description": "Unique per delivery and client; 1-128 visible ASCII characters",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 128,
                               "pattern": "^[\\x21-\\x7e]+$"},
                }],
                "requestBody": {"required": True, "content": {"application/json": {"schema": flag_in}}},
                "responses": {"202": _json(accepted, "Accepted (new or duplicate)"),
                              **errors(400, 401, 403, 413, 415, 422)},
            }},
            "/api/v1/items/{item_id}": {"get": {
                "operationId": "getItemStatus",
                "summary": "Review status of an item this client flagged (scope items:read)",
                "parameters": [{"name": "item_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": _json(status, "The item's review status"),
                              **errors(401, 403, 404)},
            }},
            "/api/v1/openapi.json": {"get": {
                "operationId": "getOpenApi", "summary": "This document", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
    }
