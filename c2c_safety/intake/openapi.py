"""The OpenAPI 3.1 document of the token API, generated from the models that validate it.

Another /api/v1 feature documents its routes with `add_operation(...)` at import time,
naming the pydantic models its view really validates with; tests/intake/test_api_openapi.py
then checks its real requests and responses against the document too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel

from c2c_safety.intake import api_keys
from c2c_safety.intake.schemas import MAX_TEXT, ErrorOut, FlagAccepted, FlagIn, ItemStatusOut, MediaAccepted
from c2c_safety.media.intake import UPLOAD_TYPES

REF = "#/components/schemas/{model}"
MEDIA_TYPES = tuple(sorted(UPLOAD_TYPES))


@dataclass(frozen=True)
class Operation:
    path: str  # OpenAPI style: /api/v1/things/{thing_id}
    method: str  # get | post | ...
    operation_id: str
    summary: str
    responses: dict[int, tuple[type[BaseModel] | None, str]]  # status -> (model or None for an error, text)
    request: type[BaseModel] | None = None
    parameters: list[dict[str, Any]] = field(default_factory=list)


EXTRA: list[Operation] = []


def add_operation(op: Operation) -> None:
    EXTRA.append(op)
    document.cache_clear()
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
    media = _schema(MediaAccepted, "serialization", comps)

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

    paths: dict[str, Any] = {}
    for op in EXTRA:
        operation: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary,
                                     "parameters": op.parameters, "responses": {}}
        if op.request is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": _schema(op.request, "validation", comps)}}}
        for code, (model, text) in op.responses.items():
            ref = _schema(model, "serialization", comps) if model is not None else error
            operation["responses"][str(code)] = _json(ref, text)
        paths.setdefault(op.path, {})[op.method] = operation
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
            "/api/v1/items/{item_id}/media": {"post": {
                "operationId": "uploadItemImage",
                "summary": "Send an image of a flagged item (scope flags:write; docs/media.md)",
                "description": "The body is the image itself. It is kept sealed until a worker decodes and "
                               "re-encodes it in a sandbox, hashes it (PDQ, SHA-256) and matches it against the "
                               "desk's hash lists; nothing of it is ever sent back. Sending the same image twice "
                               "for an item returns the same media_id with duplicate=true.",
                "parameters": [{"name": "item_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}],
                "requestBody": {"required": True, "content": {
                    t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES}},
                "responses": {
                    "202": _json(media, "Accepted: stored sealed, to be checked by a worker"),
                    "400": _json(error, "Empty, or not the declared type of image (error: empty | not_an_image)"),
                    "401": _json(error, "Missing, unknown or revoked API key (error: unauthorized)"),
                    "403": _json(error, "The key lacks the route's scope (error: insufficient_scope)"),
                    "404": _json(error, "No such item, or not one this client flagged (error: not_found)"),
                    "413": _json(error, "The image is over the upload limit (error: payload_too_large)"),
                    "415": _json(error, "Content-Type is not a JPEG, PNG, GIF or WebP image "
                                        "(error: unsupported_media_type)"),
                    "422": _json(error, "The item holds the most images it may (error: too_many_images)"),
                },
            }},
            "/api/v1/openapi.json": {"get": {
                "operationId": "getOpenApi", "summary": "This document", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
            **paths,
        },
    }
