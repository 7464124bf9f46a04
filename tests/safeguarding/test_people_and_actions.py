"""People in a referral with the part they play, actions offered per person, the lead's
corrections (audited), and closing only with the outcome's record (issue 13, parts 1-2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from c2c_safety.core.db import new_session
from models import AuditEvent, utcnow
from models.review import SafeguardingAction, SafeguardingPerson, SafeguardingReferral, WebhookDelivery
from tests.support.review import make_item
from tests.support.safeguarding import (
    QUIET,
    close,
    open_referral,
    people,
    post,
    radios_checked,
    record,
    referral_id,
    request_platform,
    withdraw,
)


def teacher_dm(app, **kw):
    """An adult teacher messaging an under-13 one-to-one, flagged by the child."""
    return make_item(app, author="u-teacher-1", age_band="adult", author_role="teacher", chat_kind="one_to_one",
                     audience="under13", flags=[("u-child-1", "student", kw.pop("reason", "other"))],
                     scores=QUIET, content_type="chat_message", **kw)


def test_adult_teacher_is_the_person_of_concern_and_the_child_is_at_risk(app, client, signed_in):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    html = open_referral(client, rid)
    ppl = people(app, rid)
    teacher, child = ppl["u-teacher-1"], ppl["u-child-1"]
    assert (teacher.part, teacher.platform_role, teacher.age_band) == ("person_of_concern", "teacher", "adult")
    assert (child.part, child.platform_role, child.age_band) == ("child_at_risk", "student", "under13")
    # Per person, the actions that fit their part; nothing checked, nothing chosen for the lead.
    assert not radios_checked(html[html.index("People in this referral"):])
    child_section = html[html.index(f'id="person-{child.id}"'):html.index(f'id="person-{teacher.id}"')]
    teacher_section = html[html.index(f'id="person-{teacher.id}"'):html.index("Add someone the desk missed")]
    assert "underretning" in child_section and "police" in child_section.lower()
    assert "consent" not in child_section.lower() and "restrict" not in child_section.lower()
    assert "Informed the school&#39;s leadership" in teacher_section or "school's leadership" in teacher_section
    assert "restrict their messaging" in teacher_section and "suspend their account" in teacher_section
    assert "parental consent" not in teacher_section  # a teacher has no parental consent to withdraw


@pytest.mark.parametrize("kind", ["consent_block", "request_restriction", "request_suspension"])
def test_nothing_that_changes_the_platform_can_target_the_child_at_risk(app, client, signed_in, db, kind):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    page = client.get(f"/safeguarding/referrals/{rid}/people/{child.id}/request?kind={kind}")
    assert page.status_code == 400 and "not offered" in page.get_data(as_text=True)
    # Not by crafting the POST either, nor through the "record" route.
    sent = post(client, f"/safeguarding/referrals/{rid}/people/{child.id}/request", {"kind": kind},
                f"/safeguarding/referrals/{rid}")
    assert sent.status_code == 409
    assert record(client, rid, child.id, kind).status_code == 400
    assert db.scalar(select(WebhookDelivery.id)) is None
    assert db.scalar(select(SafeguardingAction.id)) is None
    db.rollback()


def test_consent_block_is_offered_only_for_a_student_who_is_not_at_risk(app, client, signed_in):
    # Peer harm: a 13-15 pupil sends a sexual request to an under-13 pupil, who flags it.
    iid = make_item(app, author="u-pupil-a", age_band="13to15", chat_kind="one_to_one", audience="under13",
                    flags=[("u-pupil-b", "student", "sexual")], scores=QUIET)
    rid = referral_id(app, iid)
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    ppl = people(app, rid)
    assert ppl["u-pupil-a"].part == "person_of_concern" and ppl["u-pupil-b"].part == "child_at_risk"
    ok = client.get(f"/safeguarding/referrals/{rid}/people/{ppl['u-pupil-a'].id}/request?kind=consent_block")
    assert ok.status_code == 200
    refused = client.get(f"/safeguarding/referrals/{rid}/people/{ppl['u-pupil-b'].id}/request?kind=consent_block")
    assert refused.status_code == 400
    # A child person of concern can have their messaging restricted, but no account suspension.
    assert client.get(f"/safeguarding/referrals/{rid}/people/{ppl['u-pupil-a'].id}/request"
                      f"?kind=request_suspension").status_code == 400


def test_a_child_writing_about_self_harm_is_the_child_at_risk(app, client, signed_in):
    iid = make_item(app, author="u-kid-9", age_band="13to15", flags=[("u-friend-9", "student", "self_harm")],
                    scores=QUIET)
    rid = referral_id(app, iid)
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    ppl = people(app, rid)
    assert ppl["u-kid-9"].part == "child_at_risk" and ppl["u-friend-9"].part == "involved"
    assert "person_of_concern" not in {p.part for p in ppl.values()}


def test_conversation_participants_join_the_referral(app, client, signed_in):
    from models.intake import ConversationMessage, ItemConversation

    iid = teacher_dm(app)
    with app.app_context():
        s = new_session(app)
        s.add(ItemConversation(item_id=iid, kind="group", participant_age_bands=["under13", "adult"]))
        s.add(ConversationMessage(item_id=iid, position=-2, author_pseudonym="u-child-2", author_role="student",
                                  author_age_band="under13", sent_at=utcnow() - timedelta(minutes=3)))
        s.add(ConversationMessage(item_id=iid, position=-1, author_pseudonym="u-teacher-1", author_role="teacher",
                                  author_age_band="adult", sent_at=utcnow() - timedelta(minutes=2)))
        s.commit()
        s.close()
    rid = referral_id(app, iid)
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    ppl = people(app, rid)
    assert ppl["u-child-2"].part == "child_at_risk" and ppl["u-child-2"].how_involved == "conversation"
    assert ppl["u-teacher-1"].part == "person_of_concern"


def test_the_lead_corrects_a_person_and_it_is_audited_and_kept(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    lead = signed_in("safeguarding_lead")
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    bad = post(client, f"/safeguarding/referrals/{rid}/people/{child.id}",
               {f"c{child.id}-part": "boss", f"c{child.id}-platform_role": "student",
                f"c{child.id}-age_band": "under13"}, f"/safeguarding/referrals/{rid}")
    assert bad.status_code == 400
    resp = post(client, f"/safeguarding/referrals/{rid}/people/{child.id}",
                {f"c{child.id}-part": "child_at_risk", f"c{child.id}-platform_role": "student",
                 f"c{child.id}-age_band": "13to15"}, f"/safeguarding/referrals/{rid}")
    assert resp.status_code == 302
    ev = db.scalars(select(AuditEvent).where(AuditEvent.action == "safeguarding.person_corrected")).one()
    assert ev.actor_id == lead.id and ev.details["changes"] == {"age_band": ["under13", "13to15"]}
    db.rollback()  # SQLite: end the test's read before the next request writes
    open_referral(client, rid)  # derivation runs again on every view: the correction stays
    assert people(app, rid)["u-child-1"].age_band == "13to15"
    assert people(app, rid)["u-child-1"].source == "corrected"


def test_the_lead_adds_someone_the_desk_missed(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    data = {"add-pseudonym": "u-sibling-3", "add-part": "child_at_risk", "add-platform_role": "student",
            "add-age_band": "under13"}
    assert post(client, f"/safeguarding/referrals/{rid}/people", {**data, "add-pseudonym": "no spaces <b>"},
                f"/safeguarding/referrals/{rid}").status_code == 400
    assert post(client, f"/safeguarding/referrals/{rid}/people", data,
                f"/safeguarding/referrals/{rid}").status_code == 302
    assert post(client, f"/safeguarding/referrals/{rid}/people", data,
                f"/safeguarding/referrals/{rid}").status_code == 400  # already there
    assert people(app, rid)["u-sibling-3"].how_involved == "added"
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "safeguarding.person_added"))


def test_a_notification_needs_the_authority_and_its_reference(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    assert record(client, rid, child.id, "notify_police", authority="Københavns Politi").status_code == 400
    assert record(client, rid, child.id, "notify_police", authority_ref="J.nr. 0100-1").status_code == 400
    assert record(client, rid, child.id, "notify_police", authority="Københavns Politi",
                  authority_ref="J.nr. 0100-1").status_code == 302
    row = db.scalars(select(SafeguardingAction)).one()
    assert (row.kind, row.person_id, row.child_pseudonym) == ("notify_police", child.id, "u-child-1")
    db.rollback()
    html = open_referral(client, rid)
    assert "Københavns Politi" in html and "J.nr. 0100-1" in html


@pytest.mark.parametrize("outcome,needs", [
    ("referred_externally", ("notify_municipality", {"authority": "Aarhus Kommune", "authority_ref": "U-77"})),
    ("resolved_with_school", ("contact_school", {"detail": "Spoke to the head."})),
])
def test_closing_needs_the_outcomes_record(app, client, signed_in, db, outcome, needs):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    refused = close(client, rid, outcome)
    assert refused.status_code == 400 and "first record" in refused.get_data(as_text=True)
    assert db.get(SafeguardingReferral, rid).status == "open"
    db.rollback()
    # A note is not the record this outcome needs.
    assert record(client, rid, child.id, "note", detail="Thinking about it.").status_code == 302
    assert close(client, rid, outcome).status_code == 400
    kind, fields = needs
    assert record(client, rid, child.id, kind, **fields).status_code == 302
    assert close(client, rid, outcome).status_code == 302
    db.expire_all()
    assert db.get(SafeguardingReferral, rid).outcome == outcome


def test_no_concern_needs_a_reason_and_access_outcomes_need_a_live_request(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    teacher = people(app, rid)["u-teacher-1"]
    assert close(client, rid, "no_concern", detail="").status_code == 400
    assert close(client, rid, "no_concern", detail="too short").status_code == 400
    assert close(client, rid, "access_restricted").status_code == 400
    assert close(client, rid, "access_blocked").status_code == 400  # no consent block exists
    assert request_platform(client, rid, teacher.id, "request_restriction").status_code == 302
    action_id = db.scalars(select(SafeguardingAction.id)).one()
    db.rollback()
    # Withdrawn: it no longer counts as the record of a restriction.
    page = client.get(f"/safeguarding/actions/{action_id}/withdraw")
    assert page.status_code == 200
    assert withdraw(client, action_id).status_code == 302
    assert close(client, rid, "access_restricted").status_code == 400
    assert request_platform(client, rid, teacher.id, "request_suspension").status_code == 302
    assert close(client, rid, "access_restricted").status_code == 302


def test_records_before_a_reopening_do_not_count_for_the_reopened_referral(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    assert record(client, rid, child.id, "contact_school", detail="Phoned.").status_code == 302
    assert close(client, rid, "resolved_with_school").status_code == 302
    with app.app_context():  # a new flag reopens it (review/referrals.ensure_referral)
        from c2c_safety.review import referrals

        s = new_session(app)
        ref = s.get(SafeguardingReferral, rid)
        ref.item.last_flagged_at = utcnow()
        referrals.ensure_referral(s, ref.item, ["flagged for a safeguarding reason"])
        s.commit()
        s.close()
    assert db.get(SafeguardingReferral, rid).status == "open"
    db.rollback()
    assert close(client, rid, "resolved_with_school").status_code == 400


def test_only_the_lead_acts_and_closed_referrals_take_no_actions(app, client, signed_in, make_user, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    open_referral(client, rid)
    child = people(app, rid)["u-child-1"]
    assert record(client, rid, child.id, "contact_school", detail="Phoned.").status_code == 302
    assert close(client, rid, "resolved_with_school").status_code == 302
    late = record(client, rid, child.id, "note", detail="late")
    assert late.status_code == 400 and "closed" in late.get_data(as_text=True)
    from tests.conftest import login

    other = app.test_client()
    login(other, make_user("moderator"))
    assert other.post(f"/safeguarding/referrals/{rid}/people/{child.id}/actions").status_code in (400, 403)
    assert other.get(f"/safeguarding/referrals/{rid}/people/{child.id}/request?kind=consent_block").status_code \
        == 403


def test_a_person_of_another_referral_is_a_404(app, client, signed_in):
    rid1 = referral_id(app, teacher_dm(app))
    rid2 = referral_id(app, make_item(app, author="u-t-2", age_band="adult", author_role="teacher",
                                      chat_kind="one_to_one", audience="under13",
                                      flags=[("u-c-2", "student", "other")], scores=QUIET))
    signed_in("safeguarding_lead")
    open_referral(client, rid1)
    open_referral(client, rid2)
    other = people(app, rid2)["u-t-2"]
    assert client.get(f"/safeguarding/referrals/{rid1}/people/{other.id}/request?kind=request_restriction"
                      ).status_code == 404
    assert record(client, rid1, other.id, "note", detail="x").status_code == 404


def test_derived_people_are_not_duplicated_by_many_views(app, client, signed_in, db):
    rid = referral_id(app, teacher_dm(app))
    signed_in("safeguarding_lead")
    for _ in range(3):
        open_referral(client, rid)
    assert len(db.scalars(select(SafeguardingPerson).where(SafeguardingPerson.referral_id == rid)).all()) == 2
