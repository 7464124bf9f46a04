"""A subject access export never tips off the person of concern (issue 20, item 1).

Property over random desks: referrals with random people in random parts, chronology
entries and platform requests (whose `child_pseudonym` may hold the person they are about),
moderators' decisions that escalated to a referral or a case, case files, flags and
conversation messages. Every record that concerns the subject as the person of concern
carries a unique marker string; none of them, nor any id or count of such a record, may
appear in the serialised export, the export's shape is the shape of an empty subject's, and
the subject's ordinary data (each with its own marker) is all there. The withholding is
audited with its legal basis.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.accounts import users as accounts
from c2c_safety.core.crypto import seal_text
from c2c_safety.core.db import new_session
from c2c_safety.retention import dsar
from models import AuditEvent, CaseFile, CaseStatus, ConversationMessage, Flag, ReviewItem, utcnow
from models.review import (
    Decision,
    SafeguardingAction,
    SafeguardingPerson,
    SafeguardingReferral,
    StatementOfReasons,
)
from tests.conftest import _wipe

SUBJECT = "adult-7c1e"
POOL = [SUBJECT, "pupil-a", "pupil-b", "adult-c"]
PARTS = ["child_at_risk", "person_of_concern", "involved"]
ACTION_KINDS = ["note", "notify_police", "request_suspension", "request_restriction", "contact_school", "close"]

referral_plan = st.fixed_dictionaries({
    "author": st.sampled_from(POOL),
    "child": st.sampled_from(POOL),
    "people": st.dictionaries(st.sampled_from(POOL), st.sampled_from(PARTS), max_size=4),
    "actions": st.lists(st.tuples(st.sampled_from(POOL), st.integers(0, 5), st.sampled_from(ACTION_KINDS),
                                  st.booleans()), max_size=4),
    "escalated": st.booleans(),
    "subject_flags": st.booleans(),
    "subject_message": st.booleans(),
})
item_plan = st.fixed_dictionaries({
    "action": st.sampled_from(["no_violation", "remove", "escalate_case", "escalate_safeguarding"]),
    "with_case": st.booleans(),
})


@dataclass
class World:
    secret: set[str] = field(default_factory=set)  # markers that must never reach the export
    ordinary: set[str] = field(default_factory=set)  # markers that must reach it
    withheld_referrals: set[int] = field(default_factory=set)
    withheld_items: set[int] = field(default_factory=set)
    withheld_decisions: set[int] = field(default_factory=set)


def _mark(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(5)}"


def _item(s: Session, author: str, text: str) -> ReviewItem:
    at = utcnow()
    item = ReviewItem(content_type="chat_message", platform_content_id=_mark("pcid"), text=text,
                      author_pseudonym=author, author_age_band="adult", author_role="teacher", status="decided",
                      first_flagged_at=at, last_flagged_at=at, created_at=at, decided_at=at)
    s.add(item)
    s.flush()
    return item


def _decide(s: Session, item: ReviewItem, moderator: int, action: str, facts: str,
            case_id: int | None = None) -> Decision:
    d = Decision(item_id=item.id, decided_by_id=moderator, action=action, reason_code="grooming",
                 item_version=1, case_file_id=case_id)
    s.add(d)
    s.flush()
    s.add(StatementOfReasons(decision_id=d.id, restriction="nothing", duration="none", facts=facts,
                             source="notice", automated_detection=False, automated_note="", policy_code="grooming",
                             policy_ground="ground", redress="appeal"))
    return d


def _case(s: Session, item: ReviewItem) -> CaseFile:
    case = CaseFile(reference=f"W-{secrets.token_hex(4).upper()}", category="ethical", routed_role="case_handler",
                    status=CaseStatus.RECEIVED, language="en", review_item_id=item.id,
                    body_sealed=seal_text(_mark("casebody")))
    s.add(case)
    s.flush()
    return case


def _build(s: Session, referrals: list[dict[str, Any]], items: list[dict[str, Any]]) -> World:
    w = World()
    lead = accounts.create_user(s, "lead@prop.test", "prop-password-123", ["safeguarding_lead"]).id
    mod = accounts.create_user(s, "mod@prop.test", "prop-password-123", ["moderator"]).id
    for plan in referrals:
        item = _item(s, plan["author"], _mark("refitem"))
        poc = plan["people"].get(SUBJECT) == "person_of_concern"
        ref = SafeguardingReferral(item_id=item.id, child_pseudonym=plan["child"], reasons=["grooming"])
        s.add(ref)
        s.flush()
        people = []
        for pseudonym, part in plan["people"].items():
            p = SafeguardingPerson(referral_id=ref.id, pseudonym=pseudonym, part=part, platform_role="teacher",
                                   age_band="adult", how_involved="author")
            s.add(p)
            s.flush()
            people.append(p)
        markers = []
        for about, person_ix, kind, withdrawn in plan["actions"]:
            marker = _mark("action")
            person = people[person_ix % len(people)] if people and person_ix < 4 else None
            s.add(SafeguardingAction(referral_id=ref.id, child_pseudonym=about, kind=kind, actor_id=lead,
                                     detail_sealed=seal_text(marker), person_id=person.id if person else None,
                                     authority="Politi", authority_ref_sealed=seal_text(_mark("authref")),
                                     withdrawn_at=utcnow() if withdrawn else None))
            markers.append(marker)
        decision = None
        if plan["escalated"]:
            decision = _decide(s, item, mod, "escalate_safeguarding", _mark("facts"))
        texts = [item.text, *markers]
        if decision is not None:
            texts.append(decision.statement.facts if decision.statement else "")
        if plan["subject_flags"]:
            comment = _mark("flag")
            s.add(Flag(item_id=item.id, flagger_pseudonym=SUBJECT, flagger_role="teacher", reason_category="grooming",
                       comment=comment,
                       flagged_at=utcnow()))
            texts.append(comment)
        if plan["subject_message"]:
            msg = _mark("message")
            s.add(ConversationMessage(item_id=item.id, position=0, author_pseudonym=SUBJECT, author_role="teacher",
                                      author_age_band="adult",
                                      text_sealed=seal_text(msg), sent_at=utcnow()))
            texts.append(msg)
        if poc:
            w.secret.update(t for t in texts if t)
            w.withheld_referrals.add(ref.id)
            w.withheld_items.add(item.id)
            if decision is not None:
                w.withheld_decisions.add(decision.id)
    for plan in items:
        item = _item(s, SUBJECT, _mark("own"))
        case = _case(s, item) if plan["with_case"] or plan["action"] == "escalate_case" else None
        facts = _mark("facts")
        d = _decide(s, item, mod, plan["action"], facts,
                    case.id if case is not None and plan["action"] == "escalate_case" else None)
        if case is not None or plan["action"] in ("escalate_case", "escalate_safeguarding"):
            w.secret.update({item.text, facts, case.reference if case else item.text})
            w.withheld_items.add(item.id)
            w.withheld_decisions.add(d.id)
        else:
            w.ordinary.update({item.text, facts})
    s.commit()
    return w


def _ids(data: dict[str, Any], section: str, key: str) -> set[int]:
    return {row[key] for row in data[section]}


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(referrals=st.lists(referral_plan, max_size=4), items=st.lists(item_plan, max_size=3))
def test_export_never_reveals_a_record_where_the_subject_is_the_person_of_concern(
        app, schema_engine, referrals, items):
    _wipe(schema_engine)
    with app.app_context():
        s = new_session(app)
        try:
            w = _build(s, referrals, items)
            data = dsar.export(s, SUBJECT)
            empty = dsar.export(s, "nobody-at-all")
            s.commit()
            text = json.dumps(data, ensure_ascii=False)
            note(f"withheld referrals {w.withheld_referrals}, items {w.withheld_items}")
            for marker in w.secret:
                assert marker not in text, f"{marker} reached the export"
            for marker in w.ordinary:
                assert marker in text, f"the subject's own {marker} is missing"
            # Same shape as a subject with nothing: no counter, no section that appears only now.
            assert set(data) == set(empty)
            assert not (_ids(data, "safeguarding_referrals", "id") & w.withheld_referrals)
            assert not (_ids(data, "safeguarding_involvement", "referral_id") & w.withheld_referrals)
            item_ids = (_ids(data, "items_authored", "id") | _ids(data, "decisions_on_your_items", "item_id")
                        | _ids(data, "flags_made", "item_id") | _ids(data, "conversation_messages", "item_id")
                        | _ids(data, "safeguarding_referrals", "item_id"))
            assert not (item_ids & w.withheld_items)
            assert not (_ids(data, "decisions_on_your_items", "id") & w.withheld_decisions)
            assert "person_of_concern" not in text and "withheld" not in text
            # Every chronology entry of a withheld referral stays out, whoever it names.
            withheld_actions = set(s.scalars(select(SafeguardingAction.id).where(
                SafeguardingAction.referral_id.in_(w.withheld_referrals))))
            assert not (_ids(data, "safeguarding_chronology", "id") & withheld_actions)
            logged = s.scalars(select(AuditEvent).where(AuditEvent.action == "dsar.withheld")).all()
            if w.withheld_referrals or w.withheld_items:
                (ev,) = logged
                assert "art. 23" in ev.details["legal_basis"] and "§ 22" in ev.details["legal_basis"]
                assert set(ev.details["referral_ids"]) >= w.withheld_referrals
                assert set(ev.details["item_ids"]) >= w.withheld_items
                assert SUBJECT not in json.dumps(ev.details)
            s.rollback()
        finally:
            s.close()


@pytest.fixture()
def tip_off(app, db, make_user):
    """The finding as reported: the lead asks the platform to suspend the person of concern
    with the private reason "police informed, do not alert him"; a moderator had escalated
    his message with their facts."""
    lead, mod = make_user("safeguarding_lead"), make_user("moderator")
    with app.app_context():
        item = _item(db, SUBJECT, "his message to the child")
        d = _decide(db, item, mod.id, "escalate_safeguarding", "moderator facts: asked a 12-year-old for photos")
        ref = SafeguardingReferral(item_id=item.id, child_pseudonym="pupil-a", reasons=["grooming"])
        db.add(ref)
        db.flush()
        poc = SafeguardingPerson(referral_id=ref.id, pseudonym=SUBJECT, part="person_of_concern",
                                 platform_role="teacher", age_band="adult", how_involved="author")
        db.add(poc)
        db.flush()
        db.add(SafeguardingAction(referral_id=ref.id, child_pseudonym=SUBJECT, kind="request_suspension",
                                  actor_id=lead.id, person_id=poc.id,
                                  detail_sealed=seal_text("police informed, do not alert him")))
        ordinary = _item(db, SUBJECT, "an ordinary post about volcanoes")
        _decide(db, ordinary, mod.id, "no_violation", "nothing wrong")
        db.commit()
        return {"referral": ref.id, "decision": d.id}


def test_the_reported_export_no_longer_tips_him_off(app, tip_off, tmp_path):
    out = tmp_path / "export.json"
    res = app.test_cli_runner().invoke(args=["dsar", "export", SUBJECT, "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    for leak in ("police informed", "asked a 12-year-old", "his message to the child", "withheld",
                 "request_suspension", "escalate_safeguarding"):
        assert leak not in text
    assert "volcanoes" in text and "nothing wrong" in text


def test_the_reviewer_sees_the_withholding_in_the_audit_browser(app, tip_off, client, signed_in):
    app.test_cli_runner().invoke(args=["dsar", "export", SUBJECT])
    signed_in("independent_reviewer")
    page = client.get("/review/audit?action=dsar.withheld")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "dsar.withheld" in body and "art. 23" in body


def test_erasure_report_does_not_tip_him_off_either(app, tip_off, db):
    res = app.test_cli_runner().invoke(args=["dsar", "erase", SUBJECT, "--yes"])
    assert res.exit_code == 0, res.output
    assert "referral" not in res.output and "case" not in res.output
    assert db.scalar(select(SafeguardingPerson.id).where(SafeguardingPerson.pseudonym == SUBJECT)) is not None
