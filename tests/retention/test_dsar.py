"""Data-subject requests: export everything about a pseudonymous id, erase what no
retention rule keeps, report what was kept and why; never for anonymous reporters."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from models import AnonymisedRecord, AuditEvent, CaseFile, Flag, ReviewItem, utcnow
from models.review import FlaggerStats
from tests.support.cases import get, make_case, make_item, scalars

SUBJECT = "pupil-7f3a"


def _data(app, db, make_user):
    mod = make_user("moderator")
    recent = make_item(db, author=SUBJECT, text="recent message by the subject", decider_id=mod.id)
    old = make_item(db, author=SUBJECT, text="old message by the subject", decider_id=mod.id,
                    decided_at=utcnow() - timedelta(days=800))
    pending = make_item(db, author=SUBJECT, status="open", text="pending message")
    other = make_item(db, author="someone-else", flagger=SUBJECT, decider_id=mod.id)
    db.add(FlaggerStats(pseudonym=SUBJECT, decided=3, upheld=2))
    db.commit()
    return {"recent": recent, "old": old, "pending": pending, "other": other}


def test_export_holds_everything_about_the_subject(app, db, make_user, tmp_path):
    ids = _data(app, db, make_user)
    out_file = tmp_path / "export.json"
    res = app.test_cli_runner().invoke(args=["dsar", "export", SUBJECT, "--out", str(out_file)])
    assert res.exit_code == 0, res.output
    data = json.loads(out_file.read_text())
    assert data["subject"] == SUBJECT
    assert {i["id"] for i in data["items_authored"]} == {ids["recent"], ids["old"], ids["pending"]}
    assert {d["item_id"] for d in data["decisions_on_your_items"]} == {ids["recent"], ids["old"]}
    assert data["decisions_on_your_items"][0]["statement_of_reasons"]["redress"] == "appeal"
    assert [f["item_id"] for f in data["flags_made"]] == [ids["other"]]
    assert data["flagger_statistics"] == {"decided": 3, "upheld": 2}
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.action == "dsar.exported"))
    assert SUBJECT not in json.dumps(ev.details) and len(ev.details["subject_ref"]) == 16


def test_erase_keeps_what_retention_keeps_and_says_why(app, db, make_user):
    ids = _data(app, db, make_user)
    res = app.test_cli_runner().invoke(args=["dsar", "erase", SUBJECT, "--yes"])
    assert res.exit_code == 0, res.output
    assert "items_authored=1" in res.output and "flags_made=1" in res.output
    assert f"kept: item {ids['recent']}: moderation record kept" in res.output
    assert f"kept: item {ids['pending']}: still under moderation" in res.output
    old = get(db, ReviewItem, ids["old"])
    assert old.text == "" and old.author_pseudonym != SUBJECT
    assert scalars(db, select(AnonymisedRecord.record_id)) == [ids["old"]]
    assert get(db, ReviewItem, ids["recent"]).author_pseudonym == SUBJECT  # kept
    flag = scalars(db, select(Flag).where(Flag.item_id == ids["other"]))[0]
    assert flag.flagger_pseudonym.startswith("erased-") and flag.comment == ""
    assert scalars(db, select(FlaggerStats)) == []
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.action == "dsar.erased"))
    assert SUBJECT not in json.dumps(ev.details)


def test_items_linked_to_a_live_case_are_kept(app, db, make_user):
    mod = make_user("moderator")
    item = make_item(db, author=SUBJECT, decider_id=mod.id, decided_at=utcnow() - timedelta(days=900))
    make_case(app, db, reporter=False, review_item_id=item)
    res = app.test_cli_runner().invoke(args=["dsar", "erase", SUBJECT, "--yes"])
    # Kept, and silently: the item's author may be who the case is about (issue 20 item 1).
    assert res.exit_code == 0 and "case" not in res.output.replace("kept: nothing", "")
    assert get(db, ReviewItem, item).author_pseudonym == SUBJECT


def test_never_for_anonymous_reporters(app, db):
    cid = make_case(app, db)
    ref = get(db, CaseFile, cid).reference
    res = app.test_cli_runner().invoke(args=["dsar", "export", ref])
    assert res.exit_code != 0 and "Anonymous reporters are not identifiable" in res.output
    res = app.test_cli_runner().invoke(args=["dsar", "erase", ref, "--yes"])
    assert res.exit_code != 0
    assert get(db, CaseFile, cid).body_sealed is not None


def test_export_names_referrals_but_withholds_being_the_person_of_concern(app, db, make_user, tmp_path):
    """Where the subject is named in a referral: as a child at risk it is theirs to see; as the
    person of concern the export holds only a count for the safeguarding lead to decide on,
    so a subject access request cannot tip off a suspected abuser about an open inquiry."""
    from models.review import SafeguardingPerson, SafeguardingReferral

    protected = make_item(db, author="adult-teacher-1", status="open")
    concern = make_item(db, author=SUBJECT, status="open")
    r1 = SafeguardingReferral(item_id=protected, child_pseudonym=SUBJECT, reasons=["grooming"])
    r2 = SafeguardingReferral(item_id=concern, child_pseudonym="pupil-other", reasons=["grooming"])
    db.add_all([r1, r2])
    db.flush()
    db.add_all([SafeguardingPerson(referral_id=r1.id, pseudonym=SUBJECT, part="child_at_risk",
                                   platform_role="student", age_band="under13", how_involved="conversation"),
                SafeguardingPerson(referral_id=r2.id, pseudonym=SUBJECT, part="person_of_concern",
                                   platform_role="teacher", age_band="adult", how_involved="author")])
    db.commit()
    out_file = tmp_path / "export.json"
    res = app.test_cli_runner().invoke(args=["dsar", "export", SUBJECT, "--out", str(out_file)])
    assert res.exit_code == 0, res.output
    data = json.loads(out_file.read_text())
    assert data["safeguarding_involvement"] == [{"referral_id": r1.id, "part": "child_at_risk",
                                                 "platform_role": "student", "age_band": "under13",
                                                 "how_involved": "conversation"}]
    assert "withheld" not in out_file.read_text()
    assert "person_of_concern" not in out_file.read_text()
    erased = app.test_cli_runner().invoke(args=["dsar", "erase", SUBJECT, "--yes"])
    assert erased.exit_code == 0 and "named in 1 referral(s)" in erased.output
    assert len(scalars(db, select(SafeguardingPerson).where(SafeguardingPerson.pseudonym == SUBJECT))) == 2
