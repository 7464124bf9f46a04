"""Property-based fuzzing of the token API from its own OpenAPI document (schemathesis).

Every documented operation gets generated requests, valid ones (positive) and schema-breaking
ones (negative), sent in-process to the real Flask app with a valid Bearer key. Whatever comes
in, the API must answer with a documented status code and a body that matches the documented
schema, and never with a 500. The seed is fixed (`derandomize`), so a failure reproduces.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from redis import Redis
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.core.access import ACCESS
from c2c_safety.core.db import new_session
from models import Attachment, ItemScore, ReviewItem, Role
from tests.conftest import csrf_token
from tests.support.cases import make_case
from tests.support.cases import make_item as case_item
from tests.support.intake import flag_body, make_key, post_flag

# Per operation and mode: 3 fuzzable operations x 2 modes x 250 = ~1,500 generated requests (~2 min).
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


@pytest.mark.slow  # runs once, on SQLite; the PostgreSQL pass skips it to keep CI short
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_documented_operation_survives_fuzzing(app: Flask, redis_conn: Redis,
                                                     mode: GenerationMode) -> None:
    key = make_key(app)
    auth = {"Authorization": f"Bearer {key}"}
    # An item of this client's (id 1), so the image upload is fuzzed past its 404 too.
    assert post_flag(app.test_client(), key, flag_body()).status_code == 202
    operations = _operations(app)
    labels = {f"{op.method.upper()} {op.path}" for op in operations}
    assert {"POST /api/v1/flags", "GET /api/v1/items/{item_id}", "POST /api/v1/items/{item_id}/media"} <= labels, \
        labels
    counted: dict[str, int] = {}
    statuses: set[int] = set()

    for op in operations:
        _fuzz(op, mode, auth, counted, statuses)

    print(f"fuzzed {mode}: {counted}")
    assert sum(counted.values()) >= len(operations) * 50, counted  # the fuzzer really ran
    assert 500 not in statuses
    if mode is GenerationMode.POSITIVE:
        assert 202 in statuses, statuses  # valid flags really were accepted


# --- Hostile ids: nobody reaches an object by guessing or copying its id (no IDOR) ---------

ROLES = [r.value for r in Role]
HUGE = 2**40  # past any INTEGER key: must be a 404, never a database overflow (500)


def test_api_item_ids_of_other_clients_and_unknown_ids_are_json_404(app: Flask, client: FlaskClient,
                                                                    redis_conn: Redis) -> None:
    mine, theirs = make_key(app, "platform-a"), make_key(app, "platform-b")
    resp = post_flag(client, mine, flag_body())
    assert resp.status_code == 202
    iid = resp.get_json()["item_id"]
    assert client.get(f"/api/v1/items/{iid}", headers={"Authorization": f"Bearer {mine}"}).status_code == 200
    for path in (f"/api/v1/items/{iid}", f"/api/v1/items/{iid + 1}", "/api/v1/items/999999",
                 f"/api/v1/items/{HUGE}", "/api/v1/items/0", "/api/v1/items/-1", "/api/v1/items/1e3"):
        key = theirs if path.endswith(f"/{iid}") else mine
        got = client.get(path, headers={"Authorization": f"Bearer {key}"})
        assert got.status_code == 404, (path, got.status_code)
        assert got.is_json and got.get_json()["error"] == "not_found", (path, got.get_data(as_text=True))


def test_item_status_never_exposes_scores_notes_or_people(app: Flask, client: FlaskClient,
                                                          redis_conn: Redis) -> None:
    key = make_key(app)
    body = flag_body(**{"flag.comment": "SECRET-COMMENT", "content.text": "SECRET-TEXT"})
    iid = post_flag(client, key, body).get_json()["item_id"]
    with app.app_context():
        s = new_session(app)
        s.add(ItemScore(subject_type="item", subject_id=iid, model_name="m", model_version="1",
                        scores={"harassment": 0.987}, language="en", language_reliable=True))
        item = s.get(ReviewItem, iid)
        assert item is not None
        item.top_category, item.top_score = "harassment", 0.987
        s.commit()
        s.close()
    got = client.get(f"/api/v1/items/{iid}", headers={"Authorization": f"Bearer {key}"})
    assert got.status_code == 200
    assert set(got.get_json()) == {"item_id", "status", "flag_count", "received_at", "last_flagged_at",
                                   "decided_at"}
    raw = got.get_data(as_text=True)
    for secret in ("0.987", "harassment", "SECRET-COMMENT", "SECRET-TEXT", "u-author", "u-flagger"):
        assert secret not in raw


def _id_pages(app: Flask) -> list[tuple[str, frozenset[str]]]:
    pages = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule or "GET" not in (rule.methods or ()):
            continue
        view = app.view_functions[rule.endpoint]
        allowed = ACCESS.get(f"{view.__module__}.{view.__name__}")
        if allowed:
            pages.append((rule.rule, allowed))
    return sorted(pages)


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_id_refuse_other_roles_and_never_fail(app: Flask, client: FlaskClient, db: Session,
                                                       signed_in: Any, role: str) -> None:
    """Every staff page that takes an id, with the id of a real object (1) and a huge one:
    a role the page does not admit gets 403; a huge id is a 404; nobody ever gets a 500."""
    make_case(app, db, with_attachment=True)
    case_item(db, flagger="u-flagger-1")
    signed_in(role)
    pages = _id_pages(app)
    assert any(p.startswith("/cases/<int:case_id>") for p, _ in pages)
    wrong = []
    for rule, allowed in pages:
        for ident in (1, HUGE):
            path = re.sub(r"<[a-z_]+>", "csv", re.sub(r"<int:[a-z_]+>", str(ident), rule))
            got = client.get(path).status_code
            # A huge id matches no route (404, before any role check: it names nothing).
            expected = {404} if ident == HUGE else {403} if role not in allowed else {200, 403, 404}
            if got not in expected:
                wrong.append(f"{path} as {role}: {got}, expected {sorted(expected)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("category", ["ceo", "team_member", "safeguarding_minor"])
def test_case_handler_cannot_open_cases_routed_elsewhere_by_id(app: Flask, client: FlaskClient,
                                                               db: Session, signed_in: Any,
                                                               category: str) -> None:
    cid = make_case(app, db, category=category, with_attachment=True, body="IDOR-SECRET body")
    with app.app_context():
        aid = db.scalars(select(Attachment.id).where(Attachment.case_id == cid)).one()
        db.commit()
    signed_in("case_handler")
    for path in (f"/cases/{cid}", f"/cases/{cid}/attachments/{aid}", f"/cases/{cid}/audit"):
        got = client.get(path)
        assert got.status_code in (403, 404), (path, got.status_code)
        assert "IDOR-SECRET" not in got.get_data(as_text=True)
    assert "IDOR-SECRET" not in client.get("/cases/?show=all").get_data(as_text=True)


def test_moderator_cannot_open_a_case_by_id(app: Flask, client: FlaskClient, db: Session,
                                            signed_in: Any) -> None:
    cid = make_case(app, db, body="IDOR-SECRET body")
    signed_in("moderator")
    got = client.get(f"/cases/{cid}")
    assert got.status_code == 403 and "IDOR-SECRET" not in got.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_actions_by_id_refuse_other_roles_and_never_fail(app: Flask, client: FlaskClient, db: Session,
                                                         signed_in: Any, role: str) -> None:
    """Every staff POST that takes an id, with a valid CSRF token and an empty form: a role the
    action does not admit gets 403; an admitted one gets a refusal or a form error, never a 500."""
    make_case(app, db, with_attachment=True)
    case_item(db, flagger="u-flagger-1")
    signed_in(role)
    token = csrf_token(client, "/account")
    wrong: list[str] = []
    checked: list[str] = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule or "POST" not in (rule.methods or ()):
            continue
        view = app.view_functions[rule.endpoint]
        allowed = ACCESS.get(f"{view.__module__}.{view.__name__}")
        if not allowed:
            continue
        path = re.sub(r"<[a-z_]+>", "csv", re.sub(r"<int:[a-z_]+>", "1", rule.rule))
        got = client.post(path, data={"csrf_token": token}).status_code
        checked.append(path)
        if (role not in allowed and got != 403) or got >= 500:
            wrong.append(f"POST {path} as {role}: {got}")
    assert "/cases/1/message" in checked and "/queue/1/claim" in checked, checked
    assert not wrong, "\n".join(wrong)
