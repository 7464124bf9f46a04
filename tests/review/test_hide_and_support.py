"""Issue 19.4 and 19.5 through real HTTP and the real services: hide and escalate (a signed
platform request the lead can withdraw), a statement never claims an action that was not
taken, and "no violation" on a child-safety item about a minor asks for confirmation and
sends the author a supportive notice with helplines."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.core.db import new_session
from c2c_safety.review import presets
from models import StatementOfReasons, User, WebhookDelivery
from models.review import Decision, SafeguardingAction, SafeguardingReferral
from tests.conftest import CSRF_RE
from tests.support.review import claim, decide, make_item

GROOMING = [("u-child-1", "student", "grooming")]
SELF_HARM = [("u-friend-1", "student", "self_harm")]
OLD_GROOMING = ("Your post asked a young person for secrets or pictures, or to talk somewhere private. "
                "To keep children safe we have removed it, and a safeguarding lead will look at it.")


def reveal(client: FlaskClient, iid: int) -> None:
    page = client.get(f"/queue/{iid}").get_data(as_text=True)
    m = CSRF_RE.search(page)
    assert m
    assert client.post(f"/queue/{iid}/reveal", data={"csrf_token": m.group(1)}).status_code == 302


def test_hide_and_escalate_sends_a_signed_hide_request_the_lead_can_withdraw(
        app: Flask, client: FlaskClient, signed_in: Any, make_user: Any, db: Session) -> None:
    iid = make_item(app, age_band="adult", author_role="teacher", flags=GROOMING, chat_kind="one_to_one",
                    audience="under13", text="Send me a picture and keep it our secret, okay?")
    signed_in("moderator")
    claim(client, iid)
    reveal(client, iid)
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    assert "Also ask the platform to hide the content now" in html
    facts = presets.SEED_TEMPLATES["grooming_child_safety"].action_text.replace("{content}", "chat message")
    resp = decide(client, iid, action="escalate_safeguarding", reason="grooming_child_safety", facts=facts,
                  duration="", hide_content="y")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    d = db.scalars(select(Decision).where(Decision.item_id == iid)).one()
    st = d.statement
    assert "hidden from other users while the safeguarding lead looks at it" in st.restriction
    assert st.duration == "Until the safeguarding lead decides"
    assert "removed" not in (st.facts + st.restriction).replace("not deleted", "")
    ref = db.scalars(select(SafeguardingReferral).where(SafeguardingReferral.item_id == iid)).one()
    hide = db.scalars(select(SafeguardingAction).where(SafeguardingAction.referral_id == ref.id,
                                                       SafeguardingAction.kind == "hide_content")).one()
    delivery = db.get(WebhookDelivery, hide.delivery_id)
    assert delivery is not None and delivery.event == "safeguarding.content_hide_requested"
    data = delivery.payload["data"]
    assert data["content"]["type"] == "post" and data["preserve"] is True and data["request_id"] == hide.id
    assert "secret" not in str(delivery.payload)  # never the content itself
    assert hide.withdrawable_until is not None
    db.commit()

    # The lead withdraws it with the existing contract: the withdrawal names the content.
    from c2c_safety.safeguarding import requests as requests_service

    lead = make_user("safeguarding_lead")
    with app.app_context():
        s = new_session(app)
        actor = s.get(User, lead.id)
        why = "The lead has preserved the content; hiding is no longer needed."
        _, _, _, token = requests_service.prepare_withdrawal(s, hide.id, actor=actor, detail=why)
        action = requests_service.withdraw(s, hide.id, actor=actor, detail=why, token=token)
        s.commit()
        back = s.get(WebhookDelivery, action.withdrawal_delivery_id)
        assert back is not None and back.event == "safeguarding.request_withdrawn"
        assert back.payload["data"]["withdrawn_event"] == "safeguarding.content_hide_requested"
        assert back.payload["data"]["content"] == data["content"]
        s.close()


def test_hiding_goes_only_with_an_escalation_and_a_false_removal_claim_is_refused(
        app: Flask, client: FlaskClient, signed_in: Any, db: Session) -> None:
    iid = make_item(app, age_band="adult", flags=GROOMING)
    signed_in("moderator")
    claim(client, iid)
    reveal(client, iid)
    resp = decide(client, iid, action="warn", reason="grooming_child_safety",
                  facts="The author asked a child for pictures.", duration="", hide_content="y")
    assert resp.status_code == 400 and "goes with an escalation" in resp.get_data(as_text=True)
    # The grooming preset of earlier versions: "we have removed it" on a step that restricts nothing.
    resp = decide(client, iid, action="escalate_safeguarding", reason="grooming_child_safety",
                  facts=OLD_GROOMING, duration="")
    assert resp.status_code == 400
    assert "says the content or account is removed" in resp.get_data(as_text=True)
    assert db.scalars(select(Decision)).first() is None
    db.commit()


def test_seeded_old_texts_are_replaced_and_no_statement_thanks_whoever_told_us(app: Flask) -> None:
    from c2c_safety.review import policy
    from models.review import PolicyReason

    with app.app_context():
        s = new_session(app)
        policy.seed_reasons(s)
        row = s.scalars(select(PolicyReason).where(PolicyReason.code == "grooming_child_safety")).one()
        row.template_action = OLD_GROOMING.replace("Your post", "Your {content}")
        s.flush()
        assert presets.apply_seed_templates(row)
        assert "removed" not in (row.template_action or "")
        for code, seed in presets.SEED_TEMPLATES.items():
            assert "whoever told us" not in seed.no_violation_text, code
        s.rollback()
        s.close()


def test_no_violation_on_self_harm_about_a_minor_asks_for_confirmation_and_sends_help(
        app: Flask, client: FlaskClient, signed_in: Any, db: Session) -> None:
    iid = make_item(app, age_band="13to15", flags=SELF_HARM, text="I just want everything to stop.")
    signed_in("moderator")
    claim(client, iid)
    reveal(client, iid)
    facts = presets.SEED_TEMPLATES["self_harm"].no_violation_text.replace("{content}", "post")
    first = decide(client, iid, action="no_violation", reason="self_harm", facts=facts, duration="")
    html = first.get_data(as_text=True)
    assert first.status_code == 409 and "supportive notice with helplines" in html
    assert 'name="confirm_support"' in html
    assert db.scalars(select(Decision)).first() is None
    db.commit()
    done = decide(client, iid, action="no_violation", reason="self_harm", facts=facts, duration="",
                  confirm_support="y")
    assert done.status_code == 302
    d = db.scalars(select(Decision).where(Decision.item_id == iid)).one()
    delivery = db.scalars(select(WebhookDelivery).where(WebhookDelivery.decision_id == d.id)).one()
    support = delivery.payload["data"]["support"]
    assert support["kind"] == "self_harm"
    assert any(h["number"] == "116 111" for h in support["helplines"])
    st = db.scalars(select(StatementOfReasons)).one()
    assert "whoever told us" not in st.facts and "helpline" in st.facts
    db.commit()


def test_no_violation_on_an_adult_item_needs_no_support_notice(
        app: Flask, client: FlaskClient, signed_in: Any, db: Session) -> None:
    iid = make_item(app, age_band="adult", flags=[("u-x", "teacher", "bullying")])
    signed_in("moderator")
    claim(client, iid)
    assert decide(client, iid, action="no_violation", reason="bullying_harassment",
                  facts="A friendly joke between colleagues.", duration="").status_code == 302
    delivery = db.scalars(select(WebhookDelivery)).one()
    assert "support" not in delivery.payload["data"]
    db.commit()
