"""Requests that change something on the platform (issue 13, part 2): a confirmation page
first, then a signed webhook after the commit, withdrawable within the stated window.
The webhooks go to a REAL HTTP receiver on 127.0.0.1 that checks the HMAC signature
exactly as docs/api.md tells the platform to, and through the job the worker runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import func, select, update

from c2c_safety.webhooks import deliveries as webhooks
from models import AuditEvent, utcnow
from models.review import SafeguardingAction, WebhookDelivery
from tests.safeguarding.test_people_and_actions import teacher_dm
from tests.support.safeguarding import open_referral, people, post, referral_id, request_platform, withdraw
from tests.webhooks.test_webhooks import SECRET, Receiver

FORBIDDEN_IN_PAYLOADS = ("text", "comment", "note", "email", "@test.c2c", "detail")


@pytest.fixture
def receiver(app) -> Iterator[Receiver]:
    with Receiver([]) as r:
        cfg = app.config["C2C"]
        cfg.webhook_url, cfg.webhook_secret = r.url, SECRET
        yield r


def deliver_all(app, db) -> None:
    ids = list(db.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))
    db.rollback()
    with app.app_context():
        for i in ids:
            webhooks.run_delivery(i, app)


def test_the_confirmation_page_names_the_person_and_sends_nothing(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    teacher = people(app, rid)["u-teacher-1"]
    page = client.get(f"/safeguarding/referrals/{rid}/people/{teacher.id}/request?kind=request_restriction")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("u-teacher-1", "Person of concern", "Teacher", "adult", "stop this person from sending messages",
                  "withdraw the request for 24 hours"):
        assert words in html, words
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert db.scalar(select(func.count()).select_from(SafeguardingAction)) == 0
    db.rollback()
    # No kind chosen: back to the referral with a message, nothing sent.
    none = client.get(f"/safeguarding/referrals/{rid}/people/{teacher.id}/request")
    assert none.status_code == 302


def test_restriction_is_sent_signed_after_confirmation_and_carries_no_content(app, client, signed_in, db,
                                                                              receiver, redis_conn):
    rid = referral_id(app, teacher_dm(app, text="SECRET-CHAT-TEXT you are so mature"))
    lead = signed_in("safeguarding_lead")
    open_referral(client, rid)
    teacher = people(app, rid)["u-teacher-1"]
    resp = request_platform(client, rid, teacher.id, "request_restriction", detail="SECRET-WHY pending police")
    assert resp.status_code == 302
    action = db.scalars(select(SafeguardingAction)).one()
    delivery = db.get(WebhookDelivery, action.delivery_id)
    assert delivery is not None and delivery.status == "pending"  # committed before the job ran
    assert (action.kind, action.person_id, action.actor_id) == ("request_restriction", teacher.id, lead.id)
    assert action.withdrawable_until is not None
    assert timedelta(hours=23) < action.withdrawable_until - action.at <= timedelta(hours=24)
    # Enqueued for the worker after the commit (the job the worker would run).
    queued = Redis.from_url(app.config["C2C"].redis_url).lrange("rq:queue:high", 0, -1)
    assert queued, "the delivery job was not enqueued"
    deliver_all(app, db)
    assert receiver.bad_signatures == 0 and len(receiver.received) == 1
    got = receiver.received[0]
    assert got["event"] == "safeguarding.restriction_requested"
    data = got["json"]["data"]
    assert data["person"] == {"id": "u-teacher-1", "role": "teacher"}
    assert data["restriction"] == "messaging" and data["pending_investigation"] is True
    assert data["request_id"] == action.id and data["decided_by_human"] is True
    assert data["withdrawable_until"] == action.withdrawable_until.isoformat()
    body = str(got["json"])
    assert "SECRET" not in body and lead.email not in body
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "safeguarding.request_restriction")).one()
    assert ev.details["confirmed"] is True and ev.details["person_id"] == teacher.id


def test_suspension_and_withdrawal_are_signed_and_name_the_request(app, client, signed_in, db, receiver):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    teacher = people(app, rid)["u-teacher-1"]
    assert request_platform(client, rid, teacher.id, "request_suspension").status_code == 302
    action_id = db.scalar(select(SafeguardingAction.id))
    db.rollback()
    confirm = client.get(f"/safeguarding/actions/{action_id}/withdraw")
    assert confirm.status_code == 200 and "u-teacher-1" in confirm.get_data(as_text=True)
    assert withdraw(client, action_id).status_code == 302
    deliver_all(app, db)
    events = [r["event"] for r in receiver.received]
    assert events == ["safeguarding.suspension_requested", "safeguarding.request_withdrawn"]
    original, withdrawal = (r["json"] for r in receiver.received)
    assert original["data"]["restriction"] == "account_suspension"
    assert withdrawal["data"]["request_id"] == action_id
    assert withdrawal["data"]["withdrawn_event"] == "safeguarding.suspension_requested"
    assert withdrawal["data"]["withdrawn_event_id"] == original["event_id"]
    assert receiver.bad_signatures == 0
    # Withdrawn once: a second withdrawal is refused and sends nothing.
    again = post(client, f"/safeguarding/actions/{action_id}/withdraw", {}, f"/safeguarding/referrals/{rid}")
    assert again.status_code == 409
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 2


def test_no_withdrawal_after_the_window(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    teacher = people(app, rid)["u-teacher-1"]
    assert request_platform(client, rid, teacher.id, "request_restriction").status_code == 302
    db.execute(update(SafeguardingAction).values(withdrawable_until=utcnow() - timedelta(seconds=1)))
    db.commit()
    action_id = db.scalar(select(SafeguardingAction.id))
    db.rollback()
    assert client.get(f"/safeguarding/actions/{action_id}/withdraw").status_code == 409
    assert post(client, f"/safeguarding/actions/{action_id}/withdraw", {},
                f"/safeguarding/referrals/{rid}").status_code == 409
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    db.rollback()
    assert "Withdraw this request" not in open_referral(client, rid)


def test_a_double_confirmation_sends_once(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    teacher = people(app, rid)["u-teacher-1"]
    assert request_platform(client, rid, teacher.id, "request_restriction").status_code == 302
    assert request_platform(client, rid, teacher.id, "request_restriction").status_code == 409
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def test_consent_block_for_a_student_person_of_concern(app, client, signed_in, db, receiver):
    from tests.support.review import make_item
    from tests.support.safeguarding import QUIET

    iid = make_item(app, author="u-pupil-a", age_band="13to15", chat_kind="one_to_one", audience="under13",
                    flags=[("u-pupil-b", "student", "sexual")], scores=QUIET)
    rid = referral_id(app, iid)
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    pupil = people(app, rid)["u-pupil-a"]
    assert request_platform(client, rid, pupil.id, "consent_block").status_code == 302
    deliver_all(app, db)
    got = receiver.received[0]
    assert got["event"] == "safeguarding.block_requested"
    assert got["json"]["data"]["student"] == {"id": "u-pupil-a"}


def test_closed_referrals_send_nothing(app, client, signed_in, db):
    from tests.support.safeguarding import close, record

    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    ppl = people(app, rid)
    assert record(client, rid, ppl["u-child-1"].id, "contact_school", detail="Phoned.").status_code == 302
    assert close(client, rid, "resolved_with_school").status_code == 302
    teacher = ppl["u-teacher-1"]
    assert client.get(f"/safeguarding/referrals/{rid}/people/{teacher.id}/request?kind=request_restriction"
                      ).status_code == 400
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
