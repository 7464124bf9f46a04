"""Human decisions: form rules, optimistic concurrency, one transaction with audit and
webhook row, statements of reasons, escalations, and no decision without a human session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from c2c_safety.core.db import new_session
from c2c_safety.review import claims, decisions, wellbeing
from models import AuditEvent, CaseFile, ReviewItem, User, utcnow
from models.review import Decision, FlaggerStats, SafeguardingReferral, WebhookDelivery
from tests.support.review import claim, decide, get, make_item, version_on_page

SCORES = {"harassment": 0.95, "hate": 0.05, "threat": 0.02, "sexual": 0.0, "grooming": 0.0,
          "self_harm": 0.0, "profanity": 0.1}


def count(db, model, *where) -> int:
    n = db.scalar(select(func.count()).select_from(model).where(*where)) or 0
    db.rollback()  # SQLite: do not keep the write lock (BEGIN IMMEDIATE) from other sessions
    return n


def test_a_full_decision_writes_decision_statement_audit_and_webhook_row(app, client, signed_in, db):
    mod = signed_in("moderator")
    iid = make_item(app, scores=SCORES, flags=[("u-f1", "student", "bullying")])
    claim(client, iid)
    resp = decide(client, iid, action="remove", facts="The post calls a classmate names in front of the group.")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    item = get(app, iid)
    d = db.scalars(select(Decision)).one()
    assert (d.item_id, d.decided_by_id, d.action, d.reason_code) == (iid, mod.id, "remove", "bullying_harassment")
    st = d.statement
    assert st.duration == "Permanently" and "removed" in st.restriction
    assert st.source == "notice" and st.automated_detection is True and st.automated_decision is False
    assert "did not take this decision" in st.automated_note and "test-model" in st.automated_note
    assert "Bullying or harassment" in st.policy_ground and "complaint" in st.redress
    assert d.ai_band == "high" and d.ai_agreed is True and d.time_on_item_seconds is not None
    assert item.status == "decided" and item.decided_at is not None and item.claimed_by_id is None
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "decision.made")).one()
    assert ev.details["decision_id"] == d.id and "facts" not in str(ev.details)
    delivery = db.scalars(select(WebhookDelivery)).one()
    assert delivery.decision_id == d.id and delivery.event == "decision.made"
    assert delivery.status == "not_configured"  # no webhook URL in tests: kept, visible
    data = delivery.payload["data"]
    assert data["content"] == {"type": "post", "id": item.platform_content_id}
    assert data["statement_of_reasons"]["automated_decision"] is False
    assert "decided_by" not in data and mod.email not in str(delivery.payload)
    stats = db.get(FlaggerStats, "u-f1")
    assert (stats.decided, stats.upheld) == (1, 1)


def test_no_radio_is_preselected(app, client, signed_in):
    signed_in("moderator")
    iid = make_item(app, scores=SCORES)
    claim(client, iid)
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    form = html[html.index(f'action="/queue/{iid}/decide"'):]
    assert 'type="radio"' in form and "checked" not in form
    assert 'selected' not in form.split("</select>")[0]
    assert "suggest" not in form.lower()


@pytest.mark.parametrize("missing,field_text", [
    ({"action": ""}, "Choose a decision."),
    ({"reason_code": ""}, "Choose a reason from the policy list."),
    ({"facts": ""}, "Describe the facts and circumstances."),
    ({"facts": "too short"}, "Field must be between 20 and 5000 characters long."),
    ({"duration": ""}, "Say for how long the restriction applies."),
    ({"reason_code": "made_up"}, "Choose a reason from the policy list."),
])
def test_every_decision_needs_reason_and_statement(app, client, signed_in, db, missing, field_text):
    signed_in("moderator")
    iid = make_item(app, scores=SCORES)
    claim(client, iid)
    resp = decide(client, iid, **missing)
    assert resp.status_code == 400
    assert field_text in resp.get_data(as_text=True)
    assert get(app, iid).status == "open" and count(db, Decision) == 0


def test_no_violation_needs_no_duration(app, client, signed_in, db):
    signed_in("moderator")
    iid = make_item(app, scores=SCORES)
    claim(client, iid)
    assert decide(client, iid, action="no_violation", duration="").status_code == 302
    d = db.scalars(select(Decision)).one()
    assert d.statement.duration == "Not applicable" and d.ai_agreed is False


def test_stale_version_is_refused_with_a_clear_message(app, client, signed_in, db):
    signed_in("moderator")
    iid = make_item(app, scores=SCORES)
    claim(client, iid)
    seen = version_on_page(client.get(f"/queue/{iid}").get_data(as_text=True))
    # meanwhile a new flag arrives (intake changes the item and re-triages it)
    with app.app_context():
        from c2c_safety.review import triage
        from models import Flag

        s = new_session(app)
        item = s.get(ReviewItem, iid)
        s.add(Flag(item_id=iid, flagger_pseudonym="u-late", flagger_role="teacher",
                   reason_category="threat", flagged_at=utcnow()))
        item.flag_count += 1
        s.flush()
        s.expire(item, ["flags"])
        triage.refresh(s, item)
        s.commit()
        s.close()
    resp = decide(client, iid, version=seen)
    assert resp.status_code == 409
    assert "changed while you were looking at it" in resp.get_data(as_text=True)
    assert count(db, Decision) == 0
    assert decide(client, iid).status_code == 302  # with the fresh version it goes through


def test_decision_without_a_live_claim_is_refused(app, client, signed_in, db):
    signed_in("moderator")
    iid = make_item(app, scores=SCORES)
    claim(client, iid)
    with app.app_context():
        s = new_session(app)
        s.get(ReviewItem, iid).claim_expires_at = utcnow() - timedelta(seconds=1)
        s.commit()
        s.close()
    page = client.get(f"/queue/{iid}").get_data(as_text=True)
    assert "Record decision" not in page
    from tests.support.review import csrf

    resp = client.post(f"/queue/{iid}/decide", data={
        "csrf_token": csrf(client, "/queue"), "version": str(get(app, iid).version), "action": "remove",
        "reason_code": "bullying_harassment", "facts": "x" * 30, "duration": "permanent"})
    assert resp.status_code == 409 and "Claim it again" in resp.get_data(as_text=True)
    assert count(db, Decision) == 0


def test_service_refuses_without_claim_and_without_moderator_role(app, make_user):
    iid = make_item(app, scores=SCORES)
    mod, lead = make_user("moderator"), make_user("safeguarding_lead", "admin")
    req = decisions.DecisionRequest(item_id=iid, version=get(app, iid).version, action="remove",
                                    reason_code="bullying_harassment", facts="x" * 40,
                                    duration="permanent")
    with app.app_context():
        s = new_session(app)
        with pytest.raises(decisions.NoClaimError):
            decisions.decide(s, s.get(User, mod.id), req)
        s.rollback()
        with pytest.raises(decisions.DecisionError, match="Only moderators"):
            decisions.decide(s, s.get(User, lead.id), req)
        s.rollback()
        assert s.scalar(select(func.count()).select_from(Decision)) == 0
        s.close()


def test_two_moderators_cannot_both_decide(app, make_user):
    """Even with a stale form, the second moderator's decision is refused atomically."""
    iid = make_item(app, scores=SCORES)
    a, b = make_user("moderator"), make_user("moderator")
    with app.app_context():
        s = new_session(app)
        ua, ub = s.get(User, a.id), s.get(User, b.id)
        claims.claim(s, iid, ua)
        s.commit()
        version = s.get(ReviewItem, iid).version
        req = decisions.DecisionRequest(item_id=iid, version=version, action="remove",
                                        reason_code="bullying_harassment", facts="y" * 40,
                                        duration="permanent")
        with pytest.raises(decisions.NoClaimError):
            decisions.decide(s, ub, req)
        s.rollback()
        decisions.decide(s, ua, req)
        s.commit()
        with pytest.raises(decisions.StaleDecisionError):
            decisions.decide(s, ua, req)
        s.rollback()
        assert s.scalar(select(func.count()).select_from(Decision)) == 1
        s.close()


def test_token_api_has_no_route_that_decides(app):
    from c2c_safety.intake.api_auth import API_SCOPES

    api_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert api_rules
    for rule in api_rules:
        assert not re.search(r"decide|decision|claim", rule.rule), rule.rule
        view = app.view_functions[rule.endpoint]
        assert not view.__module__.startswith("c2c_safety.review.views")
    assert not any("decide" in k for k in API_SCOPES)
    decide_rules = [r for r in app.url_map.iter_rules() if r.endpoint == "queue.decide"]
    assert [r.rule for r in decide_rules] == ["/queue/<int:item_id>/decide"]


def test_decide_form_needs_csrf(app, client, signed_in, db):
    signed_in("moderator")
    iid = make_item(app, scores=SCORES)
    claim(client, iid)
    resp = client.post(f"/queue/{iid}/decide", data={"action": "remove", "version": "1"})
    assert resp.status_code == 400 and count(db, Decision) == 0


def test_escalation_to_a_case_handler_creates_a_case_file(app, client, signed_in, db):
    signed_in("moderator")
    iid = make_item(app, scores=SCORES)
    claim(client, iid)
    assert decide(client, iid, action="escalate_case", reason_code="other", duration="",
                  facts="A teacher seems to be involved; this needs a case handler.").status_code == 302
    case = db.scalars(select(CaseFile)).one()
    assert (case.source, case.category, case.routed_role, case.review_item_id) == (
        "escalation", "ethical", "case_handler", iid)
    d = db.scalars(select(Decision)).one()
    assert d.case_file_id == case.id
    assert count(db, WebhookDelivery) == 0  # an escalation changes nothing on the platform


def test_escalation_to_safeguarding_routes_to_the_lead(app, client, signed_in, db):
    signed_in("moderator")
    iid = make_item(app, age_band="adult", scores=SCORES)
    assert count(db, SafeguardingReferral) == 0
    claim(client, iid)
    assert decide(client, iid, action="escalate_safeguarding", reason_code="grooming_child_safety",
                  duration="", facts="An adult asks a child to keep their chat secret.").status_code == 302
    assert get(app, iid).safeguarding is True
    ref = db.scalars(select(SafeguardingReferral)).one()
    assert ref.item_id == iid and "escalated by a moderator" in ref.reasons


def test_automation_bias_summary(app, make_user):
    fast, careful = make_user("moderator"), make_user("moderator")
    with app.app_context():
        s = new_session(app)
        for user, seconds in ((fast, 5), (careful, 120)):
            for _ in range(2):
                iid = make_item(app, scores=SCORES)
                u = s.get(User, user.id)
                start = utcnow() - timedelta(seconds=seconds)
                claims.claim(s, iid, u, now=start)
                s.commit()
                decisions.decide(s, u, decisions.DecisionRequest(
                    item_id=iid, version=s.get(ReviewItem, iid).version, action="remove",
                    reason_code="bullying_harassment", facts="z" * 40, duration="permanent"))
                s.commit()
        rows = {r.moderator_id: r for r in wellbeing.automation_bias_summary(s, utcnow() - timedelta(days=1))}
        s.close()
    assert rows[fast.id].fast_agreements == 2 and rows[fast.id].fast_agreement_rate == 1.0
    assert rows[careful.id].fast_agreements == 0 and rows[careful.id].agreement_rate == 1.0
    assert rows[careful.id].median_seconds >= 100
