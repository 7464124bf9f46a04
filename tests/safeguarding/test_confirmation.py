"""Reasons and the second look, enforced on the server (issue 19, item 8): a restriction,
suspension, withdrawal or closing needs its rationale whatever the form sends, and only a
POST carrying the confirmation page's signed, short-lived, single-use token — for this
lead, this referral, this person, this action and this reason — changes the platform."""

from __future__ import annotations

import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from c2c_safety.core.db import new_session
from c2c_safety.safeguarding import confirmation
from c2c_safety.safeguarding import requests as requests_service
from c2c_safety.safeguarding.actions import SafeguardingError
from models import AuditEvent, User
from models.review import SafeguardingAction, SafeguardingReferral, WebhookDelivery
from tests.conftest import login
from tests.safeguarding.test_people_and_actions import teacher_dm
from tests.support.review import make_item
from tests.support.safeguarding import (
    QUIET,
    WHY,
    check_request,
    confirmation_fields,
    open_referral,
    people,
    post,
    referral_id,
    request_platform,
    withdraw,
)


def _nothing_sent(db) -> None:
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert db.scalar(select(func.count()).select_from(SafeguardingAction)) == 0
    db.rollback()


def _setup(app, client, signed_in):
    rid = referral_id(app, teacher_dm(app))
    lead = signed_in("safeguarding_lead")
    open_referral(client, rid)
    ppl = people(app, rid)
    return rid, lead, ppl["u-teacher-1"], ppl


def _send(client, rid, pid, fields):
    return client.post(f"/safeguarding/referrals/{rid}/people/{pid}/request", data=fields)


def test_a_direct_post_without_the_confirmation_token_is_refused_and_sends_nothing(app, client, signed_in, db):
    rid, _lead, teacher, _ppl = _setup(app, client, signed_in)
    resp = post(client, f"/safeguarding/referrals/{rid}/people/{teacher.id}/request",
                {"kind": "request_restriction", "detail": WHY}, f"/safeguarding/referrals/{rid}")
    assert resp.status_code == 400 and "confirmation page first" in resp.get_data(as_text=True)
    forged = post(client, f"/safeguarding/referrals/{rid}/people/{teacher.id}/request",
                  {"kind": "request_restriction", "detail": WHY, "token": "not-a-token"},
                  f"/safeguarding/referrals/{rid}")
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)
    _nothing_sent(db)


def test_the_reason_is_required_before_the_confirmation_page(app, client, signed_in, db):
    rid, _lead, teacher, _ppl = _setup(app, client, signed_in)
    for why in ("", "   ", "because"):
        page = check_request(client, rid, teacher.id, "request_restriction", detail=why)
        assert page.status_code == 400
        html = page.get_data(as_text=True)
        assert "at least 20 characters" in html and 'name="token"' not in html
    ok = check_request(client, rid, teacher.id, "request_restriction")
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and WHY in html and 'name="token"' in html
    _nothing_sent(db)  # the confirmation page changes nothing


def test_an_expired_token_is_refused(app, client, signed_in, db):
    rid, lead, teacher, _ppl = _setup(app, client, signed_in)
    fields = confirmation_fields(check_request(client, rid, teacher.id, "request_restriction").get_data(as_text=True))

    class AnHourAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3600

    with app.test_request_context():
        subject = confirmation.Subject(rid, teacher.id, "request_restriction")
        old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=confirmation.SALT, signer=AnHourAgo).dumps(
            {"u": lead.id, "s": subject.purpose, "h": confirmation._digest(WHY), "n": "old-nonce-1"})
    resp = _send(client, rid, teacher.id, {**fields, "token": old})
    assert resp.status_code == 400 and "expired" in resp.get_data(as_text=True)
    _nothing_sent(db)


def test_a_token_for_another_person_action_or_reason_is_refused(app, client, signed_in, db):
    rid, _lead, teacher, ppl = _setup(app, client, signed_in)
    fields = confirmation_fields(check_request(client, rid, teacher.id, "request_restriction").get_data(as_text=True))
    other_action = _send(client, rid, teacher.id, {**fields, "kind": "request_suspension"})
    assert other_action.status_code == 400 and "another person or another action" in other_action.get_data(
        as_text=True)
    other_reason = _send(client, rid, teacher.id, {**fields, "detail": WHY + " and more besides"})
    assert other_reason.status_code == 400 and "reason differs" in other_reason.get_data(as_text=True)
    # The same token on another person of the referral (a student who may be blocked).
    pupil_rid = referral_id(app, make_item(app, author="u-teacher-2", age_band="adult", author_role="teacher",
                                           chat_kind="one_to_one", audience="under13",
                                           flags=[("u-child-2", "student", "other")], scores=QUIET,
                                           content_type="chat_message"))
    open_referral(client, pupil_rid)
    other_teacher = people(app, pupil_rid)["u-teacher-2"]
    other_person = _send(client, pupil_rid, other_teacher.id, fields)
    assert other_person.status_code == 400
    assert ppl["u-child-1"].id != teacher.id
    _nothing_sent(db)


def test_a_token_of_another_lead_is_refused(app, client, signed_in, make_user, db):
    rid, _lead, teacher, _ppl = _setup(app, client, signed_in)
    fields = confirmation_fields(check_request(client, rid, teacher.id, "request_restriction").get_data(as_text=True))
    client.get("/logout")
    login(client, make_user("safeguarding_lead"))
    page = client.get(f"/safeguarding/referrals/{rid}").get_data(as_text=True)
    from tests.support.safeguarding import token

    resp = _send(client, rid, teacher.id, {**fields, "csrf_token": token(page)})
    assert resp.status_code == 400 and "another person or another action" in resp.get_data(as_text=True)
    _nothing_sent(db)


def test_a_token_is_used_once(app, client, signed_in, db):
    rid, _lead, teacher, _ppl = _setup(app, client, signed_in)
    fields = confirmation_fields(check_request(client, rid, teacher.id, "request_restriction").get_data(as_text=True))
    assert _send(client, rid, teacher.id, fields).status_code == 302
    action_id = db.scalar(select(SafeguardingAction.id))
    db.rollback()
    assert withdraw(client, action_id).status_code == 302  # so only the spent token can refuse the replay
    replay = _send(client, rid, teacher.id, fields)
    assert replay.status_code == 400 and "already used" in replay.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 2  # the request and its withdrawal
    assert db.scalar(select(func.count()).select_from(SafeguardingAction).where(
        SafeguardingAction.kind == "request_restriction")) == 1


def test_a_refused_send_leaves_its_token_usable(app, client, signed_in, db):
    """The spend is in the acting transaction: a refusal after it rolls it back too."""
    rid, _lead, teacher, _ppl = _setup(app, client, signed_in)
    assert request_platform(client, rid, teacher.id, "request_restriction").status_code == 302
    fields = confirmation_fields(check_request(client, rid, teacher.id, "request_restriction").get_data(as_text=True))
    assert _send(client, rid, teacher.id, fields).status_code == 409  # already sent: withdraw first
    action_id = db.scalar(select(SafeguardingAction.id))
    db.rollback()
    assert withdraw(client, action_id).status_code == 302
    assert _send(client, rid, teacher.id, fields).status_code == 302


def test_withdrawal_needs_its_reason_and_its_token(app, client, signed_in, db):
    rid, _lead, teacher, _ppl = _setup(app, client, signed_in)
    assert request_platform(client, rid, teacher.id, "request_suspension").status_code == 302
    action_id = db.scalar(select(SafeguardingAction.id))
    db.rollback()
    url = f"/safeguarding/actions/{action_id}/withdraw"
    assert post(client, url + "/check", {"detail": "oops"}, url).status_code == 400
    direct = post(client, url, {"detail": "The police asked us to lift it."}, url)
    assert direct.status_code == 400
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    db.rollback()
    assert withdraw(client, action_id, detail="The police asked us to lift it for now.").status_code == 302
    kept = db.scalars(select(SafeguardingAction).where(SafeguardingAction.kind == "request_withdrawal")).one()
    assert kept.detail_sealed is not None and kept.person_id == teacher.id
    assert b"police" not in kept.detail_sealed  # sealed at rest
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "safeguarding.request_withdrawn")) == 1


def test_the_services_refuse_a_missing_reason_whatever_the_form_sends(app, db, make_user):
    lead = make_user("safeguarding_lead")
    rid = referral_id(app, teacher_dm(app))
    with app.test_request_context():
        s = new_session(app)
        try:
            from c2c_safety.safeguarding import actions
            from c2c_safety.safeguarding import people as people_service

            ref = s.get(SafeguardingReferral, rid)
            user = s.get(User, lead.id)
            teacher = next(p for p in people_service.sync(s, ref) if p.pseudonym == "u-teacher-1")
            token = confirmation.issue(user, requests_service.subject(ref, teacher, "request_restriction"), "")
            for why in ("", " " * 30, "x" * 19):
                try:
                    requests_service.send(s, ref, teacher, "request_restriction", actor=user, detail=why, token=token)
                except SafeguardingError as exc:
                    assert "at least 20 characters" in str(exc)
                else:
                    raise AssertionError("sent without a reason")
                try:
                    actions.close(s, ref, actor=user, outcome="no_concern", detail=why)
                except SafeguardingError:
                    pass
                else:
                    raise AssertionError("closed without a reason")
            assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        finally:
            s.rollback()
            s.close()


def test_a_reason_on_several_lines_survives_the_round_trip(app, client, signed_in, db):
    """A textarea sends CRLF; the confirmation page carries the reason back in a hidden field,
    which a browser may send with other line ends: the token binds the text, not its line ends."""
    rid, _lead, teacher, _ppl = _setup(app, client, signed_in)
    page = check_request(client, rid, teacher.id, "request_restriction",
                         detail="The police are informed.\r\nThey asked us to restrict messaging.")
    fields = confirmation_fields(page.get_data(as_text=True))
    assert "\r" not in fields["detail"] and "\n" in fields["detail"]
    fields["detail"] = fields["detail"].replace("\n", "\r\n")
    assert _send(client, rid, teacher.id, fields).status_code == 302
    assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    db.rollback()
