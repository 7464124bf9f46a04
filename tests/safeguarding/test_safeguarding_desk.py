"""The safeguarding lead's desk: routing rules, alerts without content, actions with who
and when, consent-block webhook, chronology per child (audited), target time, access."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from c2c_safety.core.db import new_session
from models import AuditEvent, ReviewItem, utcnow
from models.review import SafeguardingAction, SafeguardingAlert, SafeguardingReferral
from tests.conftest import login
from tests.support.review import claim, decide, get, make_item
from tests.support.safeguarding import close, open_referral, people, radios_checked, record

QUIET = {"harassment": 0.05, "hate": 0.0, "threat": 0.0, "sexual": 0.0, "grooming": 0.0,
         "self_harm": 0.0, "profanity": 0.0}


def referral_for(app, item_id: int) -> SafeguardingReferral | None:
    with app.app_context():
        s = new_session(app)
        ref = s.scalars(select(SafeguardingReferral).where(SafeguardingReferral.item_id == item_id)).first()
        s.expunge_all()
        s.close()
        return ref


def csrf_of(html: str) -> str:
    from tests.conftest import CSRF_RE

    m = CSRF_RE.search(html)
    assert m
    return m.group(1)


@pytest.mark.parametrize("kwargs,routed", [
    ({"scores": {**QUIET, "grooming": 0.97}, "age_band": "adult"}, True),
    ({"scores": {**QUIET, "self_harm": 0.97}, "age_band": "adult"}, True),
    ({"scores": {**QUIET, "grooming": 0.1}, "age_band": "adult"}, False),
    ({"chat_kind": "one_to_one", "audience": "under13", "age_band": "adult", "scores": QUIET}, True),
    ({"chat_kind": "one_to_one", "age_band": "13to15", "scores": QUIET}, True),
    ({"chat_kind": "group", "age_band": "13to15", "scores": QUIET}, False),
    ({"chat_kind": "one_to_one", "age_band": "adult", "audience": "adult", "scores": QUIET}, False),
    ({"flags": [("u-1", "student", "safeguarding")], "age_band": "adult", "scores": QUIET}, True),
    ({"flags": [("u-1", "student", "bullying")], "age_band": "adult", "scores": QUIET}, False),
])
def test_routing_rules(app, kwargs, routed):
    iid = make_item(app, **kwargs)
    assert (referral_for(app, iid) is not None) is routed
    assert get(app, iid).safeguarding is routed


def test_moderators_see_that_it_went_to_safeguarding_but_not_the_notes(app, client, make_user):
    iid = make_item(app, scores={**QUIET, "grooming": 0.97}, age_band="13to15")
    ref = referral_for(app, iid)
    lead = app.test_client()
    login(lead, make_user("safeguarding_lead"))
    page = lead.get(f"/safeguarding/referrals/{ref.id}").get_data(as_text=True)
    resp = lead.post(f"/safeguarding/referrals/{ref.id}/note", data={
        "csrf_token": csrf_of(page), "note-detail": "SECRET-NOTE spoke with the class teacher"})
    assert resp.status_code == 302
    login(client, make_user("moderator"))
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    assert "sent to safeguarding" in html and "SECRET-NOTE" not in html
    assert client.get("/safeguarding").status_code == 403
    assert client.get(f"/safeguarding/referrals/{ref.id}").status_code == 403


def test_alerts_carry_no_content_only_a_link(app, client, signed_in):
    iid = make_item(app, text="ALERT-CONTENT-MUST-NOT-SHOW", scores={**QUIET, "self_harm": 0.99})
    ref = referral_for(app, iid)
    signed_in("safeguarding_lead")
    html = client.get("/safeguarding").get_data(as_text=True)
    assert "ALERT-CONTENT-MUST-NOT-SHOW" not in html
    assert f'/safeguarding/referrals/{ref.id}"' in html
    alert_form = re.search(r'action="(/safeguarding/referrals/\d+/seen)"', html)
    assert alert_form
    client.post(alert_form.group(1), data={"csrf_token": csrf_of(html)})
    assert "No new alerts" in client.get("/safeguarding").get_data(as_text=True)


def test_actions_are_recorded_with_who_and_when_and_close(app, client, signed_in, db):
    iid = make_item(app, chat_kind="one_to_one", age_band="adult", author_role="teacher", audience="under13",
                    flags=[("u-child-7", "student", "grooming")], scores=QUIET)
    ref = referral_for(app, iid)
    assert ref.child_pseudonym == "u-child-7"  # the minor, not the adult author
    lead = signed_in("safeguarding_lead")
    page = open_referral(client, ref.id)
    assert not radios_checked(page[page.index("People in this referral"):])  # nothing pre-selected
    child = people(app, ref.id)["u-child-7"]
    adult = people(app, ref.id)[get(app, iid).author_pseudonym]
    assert (child.part, adult.part) == ("child_at_risk", "person_of_concern")

    assert record(client, ref.id, child.id, "notify_municipality").status_code == 400  # authority + ref
    assert close(client, ref.id, "referred_externally").status_code == 400  # no referral recorded yet
    assert record(client, ref.id, child.id, "contact_school", detail="Phoned the head teacher").status_code == 302
    assert record(client, ref.id, child.id, "notify_municipality", authority="Kommunens børne- og ungeforvaltning",
                  authority_ref="UND-2026-0042").status_code == 302
    assert close(client, ref.id, "referred_externally").status_code == 302
    rows = db.scalars(select(SafeguardingAction).order_by(SafeguardingAction.id)).all()
    assert [r.kind for r in rows] == ["contact_school", "notify_municipality", "close"]
    assert all(r.actor_id == lead.id and r.at is not None for r in rows)
    assert rows[1].authority == "Kommunens børne- og ungeforvaltning"
    assert rows[1].authority_ref_sealed and b"UND-2026" not in rows[1].authority_ref_sealed  # sealed at rest
    assert rows[0].detail_sealed and b"head teacher" not in rows[0].detail_sealed
    closed = db.get(SafeguardingReferral, ref.id)
    assert closed.status == "closed" and closed.outcome == "referred_externally"
    n = db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("safeguarding.%")))
    assert n >= 3


def test_escalation_reopens_a_closed_referral_and_alerts(app, client, make_user, db):
    iid = make_item(app, scores={**QUIET, "grooming": 0.97}, age_band="13to15")
    ref = referral_for(app, iid)
    with app.app_context():
        s = new_session(app)
        r = s.get(SafeguardingReferral, ref.id)
        r.status, r.closed_at, r.outcome = "closed", utcnow(), "no_concern"
        s.commit()
        s.close()
    login(client, make_user("moderator"))
    claim(client, iid)
    assert decide(client, iid, action="escalate_safeguarding", reason="grooming_child_safety", duration="",
                  facts="Repeated requests to move to a private app.",
                  confirm_unrevealed="y").status_code == 302  # issue 12: deciding unrevealed content
    r = db.get(SafeguardingReferral, ref.id)
    assert r.status == "open" and "escalated by a moderator" in r.reasons
    kinds = db.scalars(select(SafeguardingAlert.kind).where(SafeguardingAlert.referral_id == ref.id)).all()
    assert "reopened" in kinds


def test_chronology_per_child_in_time_order_and_audited(app, client, signed_in, db):
    child = "u-kid-42"
    older = make_item(app, author=child, age_band="under13", scores={**QUIET, "self_harm": 0.96},
                      waited=timedelta(days=3))
    make_item(app, author="u-someone", age_band="13to15", flags=[(child, "student", "bullying")],
              scores=QUIET, waited=timedelta(days=1))
    make_item(app, author="u-unrelated", age_band="adult", scores=QUIET)
    ref = referral_for(app, older)
    lead = signed_in("safeguarding_lead")
    open_referral(client, ref.id)
    assert record(client, ref.id, people(app, ref.id)[child].id, "note",
                  detail="Talked with the school nurse.").status_code == 302
    html = client.get(f"/safeguarding/child/{child}").get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d) UTC</td><td>(\w+)</td>", html)
    assert [k for _, k in rows][:2] == ["item", "flag"]
    assert {"item", "flag", "referral", "action"} <= {k for _, k in rows}
    assert [t for t, _ in rows] == sorted(t for t, _ in rows)
    assert "They flagged content for bullying" in html and "Talked with the school nurse." in html
    assert "u-unrelated" not in html
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "view.child_chronology")).one()
    assert ev.actor_id == lead.id and ev.target_id == child


def test_target_time_is_admin_editable_and_overdue_is_highlighted(app, client, make_user, db):
    iid = make_item(app, scores={**QUIET, "grooming": 0.97})
    ref = referral_for(app, iid)
    with app.app_context():
        s = new_session(app)
        s.get(SafeguardingReferral, ref.id).opened_at = utcnow() - timedelta(hours=5)
        s.commit()
        s.close()
    lead = app.test_client()
    login(lead, make_user("safeguarding_lead"))
    before = lead.get("/safeguarding").get_data(as_text=True)
    assert "row-overdue" not in before and "1 overdue" not in before
    login(client, make_user("admin", totp=True))
    page = client.get("/policy").get_data(as_text=True)
    assert 'value="24"' in page
    assert client.post("/policy/target", data={"csrf_token": csrf_of(page), "hours": "0"}).status_code == 400
    assert client.post("/policy/target", data={"csrf_token": csrf_of(page), "hours": "4"}).status_code == 302
    html = lead.get("/safeguarding").get_data(as_text=True)
    assert "1 overdue" in html and "row-overdue" in html


# The independent reviewer and the CEO read it (issue 19, item 10; tests/core/test_access_matrix.py).
@pytest.mark.parametrize("role", ["moderator", "case_handler", "admin"])
def test_only_the_lead_and_oversight_get_the_desk(app, client, signed_in, role):
    iid = make_item(app, scores={**QUIET, "grooming": 0.97})
    ref = referral_for(app, iid)
    signed_in(role)
    for url in ("/safeguarding", f"/safeguarding/referrals/{ref.id}", "/safeguarding/child/u-x"):
        assert client.get(url).status_code == 403, url


def test_anonymous_goes_to_sign_in(app, client):
    for url in ("/safeguarding", "/safeguarding/child/u-x", "/policy", "/admin/webhooks"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert ReviewItem


def test_anonymous_safeguarding_reports_are_linked_from_the_desk(app, client, signed_in):
    from models import CaseFile

    with app.app_context():
        s = new_session(app)
        case = CaseFile(reference="SG-TEST-0001", source="anonymous_report", category="safeguarding_minor",
                        routed_role="safeguarding_lead")
        s.add(case)
        s.commit()
        case_id = case.id
        s.close()
    signed_in("safeguarding_lead")
    html = client.get("/safeguarding").get_data(as_text=True)
    assert "SG-TEST-0001" in html
    assert f'href="/cases/{case_id}"' in html
