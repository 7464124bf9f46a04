"""Appeals (DSA Art. 20) through the real token API: the item returns to the queue for a
DIFFERENT moderator, who upholds or reverses with reasons; the outcome goes by webhook."""

from __future__ import annotations

from sqlalchemy import select

from c2c_safety.core.db import new_session
from c2c_safety.intake import api_keys
from models import User
from models.review import Appeal, Decision, FlaggerStats, WebhookDelivery
from tests.conftest import login
from tests.support.review import claim, decide, get, make_item


def api_key(app, scopes=("appeals:write",), name="platform") -> str:
    with app.app_context():
        s = new_session(app)
        key = api_keys.create_client(s, name, list(scopes)).key
        s.commit()
        s.close()
    return key


def post(client, key: str, body: dict, **headers: str):
    return client.post("/api/v1/appeals", json=body,
                       headers={"Authorization": f"Bearer {key}", **headers})


def decided_item(app, make_user, action: str = "remove") -> tuple[int, int, User]:
    """An item decided by a real moderator through the web form. Returns (item, decision, decider)."""
    iid = make_item(app, scores={"harassment": 0.9}, flags=[("u-flagger-a", "student", "bullying")],
                    author="u-author-a")
    original = make_user("moderator")
    c = app.test_client()
    login(c, original)
    claim(c, iid)
    assert decide(c, iid, action=action, duration="permanent").status_code == 302
    with app.app_context():
        s = new_session(app)
        did = s.scalars(select(Decision.id).where(Decision.item_id == iid)).one()
        s.close()
    return iid, did, original


def test_appeal_needs_a_key_with_the_scope(app, client, make_user):
    _iid, did, _ = decided_item(app, make_user)
    body = {"decision_id": did, "appellant": "author", "text": "I was only joking with my friend."}
    assert client.post("/api/v1/appeals", json=body).status_code == 401
    assert post(client, api_key(app, ("flags:write",)), body).status_code == 403


def test_appeal_goes_to_a_different_moderator_who_reverses_it(app, client, make_user, db):
    iid, did, original = decided_item(app, make_user)
    key = api_key(app)
    resp = post(client, key, {"decision_id": did, "appellant": "author", "appellant_id": "u-author-a",
                              "text": "It was a joke between friends, please look again.",
                              "reference": "complaint-1"})
    assert resp.status_code == 201, resp.get_json()
    appeal_id = resp.get_json()["appeal_id"]
    again = post(client, key, {"decision_id": did, "appellant": "author", "appellant_id": "u-author-a",
                               "text": "It was a joke between friends, please look again.",
                               "reference": "complaint-1"})
    assert again.status_code == 200 and again.get_json() == {**resp.get_json(), "duplicate": True}
    assert get(app, iid).status == "appealed"

    # the original decider sees it but can neither claim nor decide it
    a = app.test_client()
    login(a, original)
    page = a.get(f"/queue/{iid}").get_data(as_text=True)
    assert "another moderator must review it" in page
    claim(a, iid)
    assert get(app, iid).claimed_by_id is None
    assert "you decided the original" in a.get("/queue").get_data(as_text=True)

    # a different moderator reviews it: the appeal text is shown, outcome must be chosen
    b = app.test_client()
    other = make_user("moderator")
    login(b, other)
    claim(b, iid)
    page = b.get(f"/queue/{iid}").get_data(as_text=True)
    assert "It was a joke between friends" in page and "Appeal outcome" in page
    assert decide(b, iid, action="", duration="").status_code == 400  # no outcome chosen
    resp = decide(b, iid, appeal_outcome="reverse", action="no_violation", duration="",
                  reason="bullying_harassment",
                  facts="Read in context the message was friendly teasing between two friends.")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert get(app, iid).status == "decided"
    appeal = db.get(Appeal, appeal_id)
    assert appeal.status == "reversed" and appeal.outcome_decision_id is not None
    outcome = db.get(Decision, appeal.outcome_decision_id)
    assert (outcome.kind, outcome.decided_by_id, outcome.reviews_decision_id, outcome.action) == (
        "appeal_reversed", other.id, did, "no_violation")
    assert "out-of-court" in outcome.statement.redress
    sent = db.scalars(select(WebhookDelivery).where(WebhookDelivery.decision_id == outcome.id)).one()
    assert sent.event == "appeal.reversed"
    assert sent.payload["data"]["appeal"]["original_decision_id"] == did
    stats = db.get(FlaggerStats, "u-flagger-a")
    assert (stats.decided, stats.upheld) == (1, 0)  # the reversal corrected the flagger's record


def test_original_decider_is_refused_by_the_service_too(app, make_user):
    from c2c_safety.review import claims, decisions

    iid, _did, original = decided_item(app, make_user)
    client = app.test_client()
    assert post(client, api_key(app), {"decision_id": _did, "appellant": "author",
                                       "text": "Please review."}).status_code == 201
    with app.app_context():
        s = new_session(app)
        user = s.get(User, original.id)
        try:
            claims.claim(s, iid, user)
            raise AssertionError("the original decider claimed the appeal")
        except claims.ClaimError:
            s.rollback()
        # even if they got hold of it somehow, the decision service refuses them
        from datetime import timedelta

        from models import ReviewItem, utcnow

        item = s.get(ReviewItem, iid)
        item.claimed_by_id, item.claim_expires_at = original.id, utcnow() + timedelta(minutes=5)
        s.commit()
        try:
            decisions.decide(s, user, decisions.DecisionRequest(
                item_id=iid, version=item.version, action="no_violation", reason_code="other",
                facts="a" * 30, appeal_outcome="reverse"))
            raise AssertionError("the original decider decided the appeal")
        except decisions.DecisionError as exc:
            assert "another moderator" in str(exc)
        s.close()


def test_uphold_keeps_the_action(app, client, make_user, db):
    iid, did, _original = decided_item(app, make_user)
    assert post(client, api_key(app), {"decision_id": did, "appellant": "flagger",
                                       "appellant_id": "u-flagger-a",
                                       "text": "Please check again."}).status_code == 201
    b = app.test_client()
    login(b, make_user("moderator"))
    claim(b, iid)
    assert decide(b, iid, appeal_outcome="uphold", action="", duration="permanent",
                  facts="The message insults a classmate by name; the rule applies.").status_code == 302
    outcome = db.scalars(select(Decision).where(Decision.kind == "appeal_upheld")).one()
    assert outcome.action == "remove"
    assert db.scalars(select(WebhookDelivery).where(WebhookDelivery.decision_id == outcome.id)).one(
    ).event == "appeal.upheld"


def test_bad_appeals_get_clear_4xx(app, client, make_user):
    iid, did, _ = decided_item(app, make_user)
    key = api_key(app)
    assert post(client, key, {"decision_id": 999999, "appellant": "author", "text": "x"}).status_code == 404
    resp = post(client, key, {"decision_id": did, "appellant": "teacher", "text": "x"})
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "appellant"
    assert post(client, key, {"decision_id": did, "appellant": "author", "text": ""}).status_code == 422
    assert post(client, key, {"decision_id": did, "appellant": "flagger", "appellant_id": "u-stranger",
                              "text": "x"}).status_code == 422
    resp = client.post("/api/v1/appeals", data="{not json", content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 400
    assert post(client, key, {"decision_id": did, "appellant": "author", "text": "x"}).status_code == 201
    second = post(client, key, {"decision_id": did, "appellant": "author", "text": "again"})
    assert second.status_code == 409
    assert iid


def test_an_appeal_without_an_outcome_shows_the_appeal_form_again(app, client, make_user):
    iid, did, _ = decided_item(app, make_user)
    assert post(client, api_key(app), {"decision_id": did, "appellant": "author",
                                       "text": "Please look again."}).status_code == 201
    b = app.test_client()
    login(b, make_user("moderator"))
    claim(b, iid)
    resp = decide(b, iid, action="remove", duration="permanent")  # no appeal_outcome posted
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Appeal outcome" in html and "uphold or reverse" in html
