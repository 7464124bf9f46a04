"""Exclusions cannot bury a case (issue 10, item 4): who may exclude, the reviewer on CEO
cases, lifting by the reviewer (audited both ways), no existence oracle on the exclusions
page, refusals that would leave a case with nobody, and deadline alerts that reach someone.
The property over random histories is tests/cases/test_exclusion_invariant.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from c2c_safety.accounts import grants
from c2c_safety.accounts.users import AccountError
from c2c_safety.cases import access as case_access
from c2c_safety.cases import alerts as case_alerts
from c2c_safety.cases import reviewer_oversight
from c2c_safety.core.db import new_session
from models import AuditEvent, CaseAlert, CaseExclusion, CaseFile, CaseStatus, ExclusionRequest, User, utcnow
from tests.conftest import csrf_token, login, post_form
from tests.support.cases import get, make_case, scalars


def _exclude(app, case_id: int, person_id: int, actor_id: int) -> None:
    with app.app_context():
        s = new_session(app)
        try:
            case_access.exclude(s, s.get(CaseFile, case_id), s.get(User, person_id), actor=s.get(User, actor_id),
                                reason="The case is about them.")
            s.commit()
        finally:
            s.close()


def test_the_finding_a_handler_cannot_exclude_the_reviewer_from_the_case_about_the_ceo(app, db, make_user):
    handler = make_user("case_handler")
    reviewer = make_user("independent_reviewer", totp=True)
    cid = make_case(app, db, category="ceo", status=CaseStatus.RECEIVED, received_at=utcnow() - timedelta(days=20))
    with pytest.raises(PermissionError):  # the handler cannot open a case about the CEO at all
        _exclude(app, cid, reviewer.id, handler.id)
    other_reviewer = make_user("independent_reviewer", totp=True)
    with pytest.raises(case_access.ExclusionError, match="cannot be excluded from a case about the CEO"):
        _exclude(app, cid, reviewer.id, other_reviewer.id)
    assert scalars(db, select(CaseExclusion)) == []
    with app.app_context():
        s = new_session(app)
        assert case_access.can_handle(s, s.get(User, reviewer.id), s.get(CaseFile, cid))
        case_alerts.generate(s, utcnow())
        s.commit()
        s.close()
    assert {a.user_id for a in scalars(db, select(CaseAlert).where(CaseAlert.case_id == cid))} == {
        reviewer.id, other_reviewer.id}


def test_only_someone_who_can_open_the_case_may_exclude(app, db, make_user):
    lead = make_user("safeguarding_lead")
    handler = make_user("case_handler")
    colleague = make_user("case_handler")
    admin = make_user("admin", totp=True)
    safeguarding = make_case(app, db, category="safeguarding_minor")
    for outsider in (handler, admin):  # neither can open a safeguarding case
        with pytest.raises(PermissionError):
            _exclude(app, safeguarding, lead.id, outsider.id)
    ethical = make_case(app, db, category="ethical")
    _exclude(app, ethical, colleague.id, handler.id)  # a handler of the case may
    assert [r.user_id for r in scalars(db, select(CaseExclusion))] == [colleague.id]


def _form_error(html: str) -> str:
    found = re.search(r'<ul class="errors"[^>]*>(.*?)</ul>', html, re.S)
    return found.group(1).strip() if found else ""


@pytest.mark.parametrize("viewer", ["case_handler", "ceo", "excluded_handler"])
def test_the_exclusions_form_answers_not_yours_exactly_as_no_such_case(app, client, db, make_user, viewer):
    hidden = {"case_handler": "safeguarding_minor", "ceo": "ceo", "excluded_handler": "ethical"}[viewer]
    person = make_user("case_handler" if viewer == "excluded_handler" else viewer)
    make_user("case_handler")  # so an exclusion of `person` leaves someone to handle the case
    reviewer = make_user("independent_reviewer", totp=True)
    cid = make_case(app, db, category=hidden)
    if viewer == "excluded_handler":
        _exclude(app, cid, person.id, reviewer.id)
    ref = get(db, CaseFile, cid).reference
    login(client, person)
    target = make_user("moderator")

    def attempt(reference: str):  # type: ignore[no-untyped-def]
        return post_form(client, "/cases/exclusions", {"reference": reference, "email": target.email,
                                                       "reason": "testing this"}, token_from="/cases/exclusions")

    real, unknown = attempt(ref), attempt("AR-ZZZZ-ZZZZ")
    assert real.status_code == unknown.status_code == 400
    assert _form_error(real.get_data(as_text=True)) == _form_error(unknown.get_data(as_text=True)) != ""
    # Nor does an unknown e-mail (which is checked only for a case they can open) tell them.
    wrong_person = post_form(client, "/cases/exclusions", {"reference": ref, "email": "nobody@x.test",
                                                           "reason": "testing this"}, token_from="/cases/exclusions")
    assert _form_error(wrong_person.get_data(as_text=True)) == _form_error(unknown.get_data(as_text=True))
    page = client.get("/cases/exclusions").get_data(as_text=True)
    assert ref not in page  # the list shows exclusions only on cases they can open
    assert len(scalars(db, select(CaseExclusion))) == (1 if viewer == "excluded_handler" else 0)


def test_the_reviewer_lifts_an_exclusion_and_both_are_audited(app, client, db, make_user):
    handler, colleague = make_user("case_handler"), make_user("case_handler")
    reviewer = make_user("independent_reviewer", totp=True)
    cid = make_case(app, db, category="ethical")
    _exclude(app, cid, colleague.id, handler.id)
    (row_id,) = scalars(db, select(CaseExclusion.id))
    # A handler (even the one who excluded) cannot lift it.
    login(client, handler)
    resp = client.post(f"/cases/exclusions/{row_id}/lift", data={"csrf_token": csrf_token(client, "/account")})
    assert resp.status_code == 403
    reviewer_client = app.test_client()
    login(reviewer_client, reviewer)
    page = reviewer_client.get("/cases/exclusions").get_data(as_text=True)
    assert f"/cases/exclusions/{row_id}/lift" in page
    resp = post_form(reviewer_client, f"/cases/exclusions/{row_id}/lift", {}, token_from="/cases/exclusions")
    assert resp.status_code == 302
    assert scalars(db, select(CaseExclusion)) == []
    actions = [(e.action, e.target_id, e.case_id) for e in scalars(
        db, select(AuditEvent).where(AuditEvent.action.like("case.exclusion_%")).order_by(AuditEvent.id))]
    assert actions == [("case.exclusion_added", str(colleague.id), cid),
                       ("case.exclusion_lifted", str(colleague.id), cid)]
    ref = get(db, CaseFile, cid).reference
    audit_page = reviewer_client.get(f"/review/audit?case={ref}").get_data(as_text=True)
    assert "case.exclusion_added" in audit_page and "case.exclusion_lifted" in audit_page
    colleague_client = app.test_client()
    login(colleague_client, colleague)
    assert colleague_client.get(f"/cases/{cid}").status_code == 200  # they see it again


def test_an_excluded_reviewer_cannot_lift_their_own_exclusion(app, client, db, make_user):
    handler = make_user("case_handler")
    reviewer = make_user("independent_reviewer", totp=True)
    cid = make_case(app, db, category="ethical")
    _exclude(app, cid, reviewer.id, handler.id)  # the case is about the reviewer (allowed: not a CEO case)
    ceo = make_user("ceo")
    with app.app_context():  # issue 20: a second person (here the CEO) confirms it
        s = new_session(app)
        (req_id,) = s.scalars(select(ExclusionRequest.id)).all()
        reviewer_oversight.confirm(s, req_id, actor=s.get(User, ceo.id))
        s.commit()
        s.close()
    (row_id,) = scalars(db, select(CaseExclusion.id))
    ref = get(db, CaseFile, cid).reference
    login(client, reviewer)
    assert ref not in client.get("/cases/exclusions").get_data(as_text=True)
    resp = post_form(client, f"/cases/exclusions/{row_id}/lift", {}, token_from="/cases/exclusions")
    assert resp.status_code == 404  # as for an exclusion that does not exist
    assert post_form(client, "/cases/exclusions/999999/lift", {}, token_from="/cases/exclusions").status_code == 404
    assert len(scalars(db, select(CaseExclusion))) == 1


def test_a_change_that_would_leave_a_case_with_nobody_is_refused(app, db, make_user):
    handler = make_user("case_handler")
    reviewer = make_user("independent_reviewer", totp=True)
    admin, admin2 = make_user("admin", totp=True), make_user("admin", totp=True)
    cid = make_case(app, db, category="ceo")
    with app.app_context():
        s = new_session(app)
        # Disabling or demoting the only reviewer while a case about the CEO is open: refused.
        with pytest.raises(AccountError, match="nobody who may handle"):
            grants.set_active(s, s.get(User, reviewer.id), False, actor=s.get(User, admin.id))
        s.rollback()
        with pytest.raises(AccountError, match="nobody who may handle"):
            grants.change_roles(s, s.get(User, reviewer.id), ["moderator"], actor=s.get(User, admin.id))
        s.rollback()
        # Giving the reviewer the CEO role would hide the CEO case from them: refused on confirmation.
        grants.change_roles(s, s.get(User, reviewer.id), ["independent_reviewer", "ceo"], actor=s.get(User, admin.id))
        s.commit()
        (grant_id,) = [g.id for g in grants.pending_grants(s)]
        with pytest.raises(AccountError, match="nobody who may handle"):
            grants.confirm(s, grant_id, actor=s.get(User, admin2.id))
        s.rollback()
        # Disabling the only handler of an ethical case sends it to the reviewer instead.
        ethical = make_case(app, db, category="ethical")
        grants.set_active(s, s.get(User, handler.id), False, actor=s.get(User, admin.id))
        s.commit()
        assert s.get(CaseFile, ethical).routed_role == "independent_reviewer"
        assert s.get(User, reviewer.id).active and s.get(CaseFile, cid).routed_role == "independent_reviewer"
        assert case_access.unhandled_case_ids(s) == []
        s.close()


def test_recusing_from_the_last_seat_is_refused_when_nobody_could_take_over(app, db, make_user):
    reviewer = make_user("independent_reviewer", totp=True)
    cid = make_case(app, db, category="ceo")
    with app.app_context():
        s = new_session(app)
        with pytest.raises(case_access.OrphanedCaseError):
            case_access.recuse(s, s.get(CaseFile, cid), actor=s.get(User, reviewer.id), reason="I know them well.")
        s.rollback()
        s.close()
    assert scalars(db, select(CaseExclusion)) == []
