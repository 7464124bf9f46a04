"""Issue 22.4: uphold an appeal in one action, with an optional note and the original
statement kept; reverse with presets (the preset chooses "reverse")."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import WebhookDelivery
from models.review import Decision
from tests.conftest import CSRF_RE, login
from tests.review.test_appeals import api_key, decided_item, post
from tests.support.review import claim, version_on_page


def appealed(app: Flask, make_user: Any) -> tuple[int, int, Any]:
    iid, did, _ = decided_item(app, make_user)
    client = app.test_client()
    assert post(client, api_key(app), {"decision_id": did, "appellant": "author",
                                       "text": "I was only joking."}).status_code == 201
    b = app.test_client()
    login(b, make_user("moderator"))
    claim(b, iid)
    return iid, did, b


def test_uphold_in_one_action_keeps_the_original_statement_and_adds_the_note(
        app: Flask, make_user: Any, db: Session) -> None:
    iid, did, b = appealed(app, make_user)
    page = b.get(f"/queue/{iid}").get_data(as_text=True)
    assert "Uphold the original decision" in page and "The post insults a classmate by name." in page
    token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    resp = b.post(f"/queue/{iid}/uphold", data={"csrf_token": token, "version": str(version_on_page(page)),
                                                "then": "queue"})
    assert resp.status_code == 302
    original = db.get(Decision, did)
    outcome = db.scalars(select(Decision).where(Decision.kind == "appeal_upheld")).one()
    assert outcome.action == original.action and outcome.reason_code == original.reason_code  # type: ignore[union-attr]
    assert outcome.statement.facts == original.statement.facts  # type: ignore[union-attr]
    assert outcome.statement.duration == "Permanently"
    assert "complaint" in outcome.statement.redress
    delivery = db.scalars(select(WebhookDelivery).where(WebhookDelivery.decision_id == outcome.id)).one()
    assert delivery.event == "appeal.upheld"
    db.commit()


def test_uphold_with_a_note(app: Flask, make_user: Any, db: Session) -> None:
    iid, _did, b = appealed(app, make_user)
    page = b.get(f"/queue/{iid}").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    b.post(f"/queue/{iid}/uphold", data={"csrf_token": token, "version": str(version_on_page(page)),
                                         "note": "Jokes that hurt a classmate are still unkind."})
    outcome = db.scalars(select(Decision).where(Decision.kind == "appeal_upheld")).one()
    assert outcome.statement.facts.startswith("The post insults a classmate by name.")
    assert outcome.statement.facts.endswith("after your complaint. Jokes that hurt a classmate are still unkind.")
    db.commit()


def test_reverse_with_a_preset_fills_the_reversal(app: Flask, make_user: Any, db: Session) -> None:
    iid, _did, b = appealed(app, make_user)
    page = b.get(f"/queue/{iid}").get_data(as_text=True)
    links = re.findall(rf'href="/queue/{iid}\?preset=([^"#]+)', page)
    assert "bullying_harassment:no_violation" in links
    assert "bullying_harassment:remove" not in links  # the original action is what upholding does
    filled = b.get(f"/queue/{iid}?preset=bullying_harassment:no_violation").get_data(as_text=True)
    assert re.search(r'value="reverse"[^>]*checked|checked[^>]*value="reverse"', filled)
    assert "Reverse to No violation: Bullying or harassment" in filled
