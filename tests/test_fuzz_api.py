"""Property-based fuzzing of the token API from its own OpenAPI document (schemathesis).

Every documented operation gets generated requests, valid ones (positive) and schema-breaking
ones (negative), sent in-process to the real Flask app with a valid Bearer key. Whatever comes
in, the API must answer with a documented status code and a body that matches the documented
schema, and never with a 500. The seed is fixed (`derandomize`), so a failure reproduces.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from redis import Redis
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.intake_support import make_key

# Per operation and mode: 2 fuzzable operations x 2 modes x 250 = ~1,000 requests (~2 min) generated requests (~1 min).
EXAMPLES = 250
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(op: Any, mode: GenerationMode, auth: dict[str, str], counted: dict[str, int],
          statuses: set[int]) -> None:
    label = f"{op.method.upper()} {op.path}"

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        counted[label] = counted.get(label, 0) + 1
        # Negative cases may generate their own Authorization header; keep the valid key.
        case.headers = {**(case.headers or {}), **auth}
        response = case.call_and_validate(checks=CHECKS)
        statuses.add(response.status_code)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_documented_operation_survives_fuzzing(app: Flask, redis_conn: Redis,
                                                     mode: GenerationMode) -> None:
    auth = {"Authorization": f"Bearer {make_key(app)}"}
    operations = _operations(app)
    labels = {f"{op.method.upper()} {op.path}" for op in operations}
    assert {"POST /api/v1/flags", "GET /api/v1/items/{item_id}"} <= labels, labels
    counted: dict[str, int] = {}
    statuses: set[int] = set()

    for op in operations:
        _fuzz(op, mode, auth, counted, statuses)

    print(f"fuzzed {mode}: {counted}")
    assert sum(counted.values()) >= len(operations) * 50, counted  # the fuzzer really ran
    assert 500 not in statuses
    if mode is GenerationMode.POSITIVE:
        assert 202 in statuses, statuses  # valid flags really were accepted
