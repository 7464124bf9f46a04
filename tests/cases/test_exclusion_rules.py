"""Marking exclusions and recusals, and what happens to the case."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditEvent, CaseExclusion, CaseFile, Notice
from tests.conftest import login, post_form
from tests.support.cases import get, make_case, scalars


def test_handler_excludes_a_colleague_from_the_case_page(app, client, db, signed_in, make_user):
    signed_in("case_handler")
    colleague = make_user("case_handler")
    cid = make_case(app, db, assigned_to_id=colleague.id)
    resp = post_form(client, f"/cases/{cid}/exclude", {"person": colleague.id, "reason": "The report names them."},
                     token_from=f"/cases/{cid}")
    assert resp.status_code == 302
    (row,) = scalars(db, select(CaseExclusion))
    assert row.user_id == colleague.id and row.kind == "excluded" and b"names them" not in row.reason_sealed
    assert get(db, CaseFile, cid).assigned_to_id is None  # unassigned at once
    (ev,) = scalars(db, select(AuditEvent).where(AuditEvent.action == "case.exclusion_added"))
    assert ev.case_id == cid and "names them" not in str(ev.details)


def test_recusal_hides_the_case_from_the_handler(app, client, db, signed_in, make_user):
    me = signed_in("case_handler")
    make_user("case_handler")  # someone else can still handle it
    cid = make_case(app, db)
    resp = post_form(client, f"/cases/{cid}/recuse", {"recuse-reason": "I know the family."},
                     token_from=f"/cases/{cid}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/cases/")
    assert client.get(f"/cases/{cid}").status_code == 404
    (row,) = scalars(db, select(CaseExclusion))
    assert row.user_id == me.id and row.kind == "recused"
    assert get(db, CaseFile, cid).routed_role == "case_handler"


def test_case_goes_to_the_reviewer_when_nobody_unconflicted_is_left(app, client, db, make_user):
    ceo = make_user("ceo")
    reviewer = make_user("independent_reviewer", totp=True)
    cid = make_case(app, db, category="team_member")
    login(client, reviewer)  # the reviewer opens every case, so may mark exclusions on it
    ref = get(db, CaseFile, cid).reference
    resp = post_form(client, "/cases/exclusions", {"reference": ref.lower(), "email": ceo.email,
                                                   "reason": "The team member reports to the CEO directly."},
                     token_from="/cases/exclusions")
    assert resp.status_code == 302
    case = get(db, CaseFile, cid)
    assert case.routed_role == "independent_reviewer"
    # ...and the reviewer, its new holder, is told (issue 19.6), in the same transaction.
    assert [e.action for e in scalars(db, select(AuditEvent).where(AuditEvent.case_id == cid))][-4:] == [
        "case.exclusion_added", "case.rerouted", "notifications.created", "notifications.handover"]
    assert scalars(db, select(Notice.user_id).where(Notice.case_id == cid, Notice.kind == "handover")) == [
        reviewer.id]
    page = client.get("/cases/exclusions").get_data(as_text=True)
    assert ref in page and ceo.email in page


def test_unknown_reference_and_unknown_person_are_form_errors(app, client, db, signed_in):
    signed_in("case_handler")
    cid = make_case(app, db)
    ref = get(db, CaseFile, cid).reference
    bad_ref = post_form(client, "/cases/exclusions", {"reference": "NOPE-1", "email": "x@test.c2c",
                                                      "reason": "testing"}, token_from="/cases/exclusions")
    assert bad_ref.status_code == 400 and "No case with that reference" in bad_ref.get_data(as_text=True)
    bad_person = post_form(client, "/cases/exclusions", {"reference": ref, "email": "nobody@test.c2c",
                                                         "reason": "testing"}, token_from="/cases/exclusions")
    assert bad_person.status_code == 400 and "No staff account" in bad_person.get_data(as_text=True)
    assert scalars(db, select(CaseExclusion)) == []
