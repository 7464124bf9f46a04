"""Oversight cannot be removed or blinded (issue 20, item 2): the findings as reported, and
what replaces them. The random histories are in test_exclusion_invariant.py."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from c2c_safety.accounts import grants
from c2c_safety.accounts.users import AccountError
from c2c_safety.cases import access as case_access
from c2c_safety.cases import reviewer_oversight
from c2c_safety.core.db import new_session
from models import AuditEvent, CaseExclusion, CaseFile, ExclusionRequest, RoleGrant, User
from tests.conftest import PASSWORD, login, post_form, totp_code
from tests.support.cases import make_case, scalars


def _in(app: Flask, fn):  # type: ignore[no-untyped-def]
    with app.app_context():
        s = new_session(app)
        try:
            out = fn(s)
            s.commit()
            return out
        except Exception:
            s.rollback()
            raise
        finally:
            s.close()


def _u(s, user: User) -> User:  # type: ignore[no-untyped-def]
    found = s.get(User, user.id)
    assert found is not None
    return found


def _roles(db, user_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    db.expire_all()
    out = set(db.get(User, user_id).role_names)
    db.rollback()
    return out


# --- one admin can no longer silence the reviewer ---------------------------------------

def test_the_last_reviewer_cannot_be_removed_or_disabled_even_with_no_open_case(app, db, make_user):
    reviewer, admin = make_user("independent_reviewer"), make_user("admin")
    with pytest.raises(AccountError, match="without an active independent reviewer"):
        _in(app, lambda s: grants.change_roles(s, _u(s, reviewer), [], actor=_u(s, admin)))
    with pytest.raises(AccountError, match="without an active independent reviewer"):
        _in(app, lambda s: grants.set_active(s, _u(s, reviewer), False, actor=_u(s, admin)))
    assert _roles(db, reviewer.id) == {"independent_reviewer"}
    # Nor by making them CEO (the CEO role hides cases about the CEO from its holder).
    ceo_grant = _in(app, lambda s: grants.change_roles(s, _u(s, reviewer), ["independent_reviewer", "ceo"],
                                                       actor=_u(s, admin)))
    assert ceo_grant.requested == ["ceo"]
    gid = scalars(db, select(RoleGrant.id).where(RoleGrant.role == "ceo"))[0]
    other_admin = make_user("admin")
    with pytest.raises(AccountError, match="without an active independent reviewer"):
        _in(app, lambda s: grants.confirm(s, gid, actor=_u(s, other_admin)))


def test_the_admin_page_refuses_it_with_a_form_error(app, client, db, make_user, signed_in):
    reviewer = make_user("independent_reviewer")
    signed_in("admin")
    resp = post_form(client, f"/admin/users/{reviewer.id}", {"roles": ["moderator"], "active": "y"},
                     token_from=f"/admin/users/{reviewer.id}")
    assert resp.status_code == 400 and "without an active independent reviewer" in resp.get_data(as_text=True)
    resp = post_form(client, f"/admin/users/{reviewer.id}", {"roles": ["independent_reviewer"]},
                     token_from=f"/admin/users/{reviewer.id}")
    assert resp.status_code == 400
    assert _roles(db, reviewer.id) == {"independent_reviewer"}


def test_replacing_the_reviewer_needs_a_second_person_and_the_incoming_reviewers_acceptance(
        app, client, db, make_user):
    old, admin, other_admin = make_user("independent_reviewer"), make_user("admin"), make_user("admin")
    new = make_user("moderator")
    _in(app, lambda s: grants.change_roles(s, _u(s, new), ["moderator", "independent_reviewer"],
                                           actor=_u(s, admin)))
    gid = scalars(db, select(RoleGrant.id).where(RoleGrant.role == "independent_reviewer"))[0]
    with pytest.raises(AccountError):  # another admin is not the second person for this role
        _in(app, lambda s: grants.confirm(s, gid, actor=_u(s, other_admin)))
    with pytest.raises(AccountError):  # nor the incoming reviewer themselves
        _in(app, lambda s: grants.confirm(s, gid, actor=_u(s, new)))
    _in(app, lambda s: grants.confirm(s, gid, actor=_u(s, old)))
    assert _roles(db, new.id) == {"moderator"}  # not before they accept
    with pytest.raises(AccountError, match="Only the person asked"):
        _in(app, lambda s: grants.accept(s, gid, actor=_u(s, admin)))
    # At sign-in they are taken to the request and accept it themselves.
    resp = post_form(client, "/login", {"email": new.email, "password": PASSWORD})
    assert resp.status_code == 302
    resp = post_form(client, "/login/totp", {"code": totp_code(new, app)}, token_from="/login/totp")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/roles")
    resp = post_form(client, f"/account/roles/{gid}/accept", token_from="/account/roles")
    assert resp.status_code == 302
    assert _roles(db, new.id) == {"moderator", "independent_reviewer"}
    # Now, and only now, the old reviewer can step down.
    _in(app, lambda s: grants.change_roles(s, _u(s, old), [], actor=_u(s, admin)))
    actions = scalars(db, select(AuditEvent.action).where(AuditEvent.action.like("account.role_%")))
    assert {"account.role_seconded", "account.role_accepted", "account.role_confirmed"} <= set(actions)


def test_a_declined_or_unaccepted_grant_never_applies(app, db, make_user):
    old, admin = make_user("independent_reviewer"), make_user("admin")
    new = make_user("moderator")
    _in(app, lambda s: grants.change_roles(s, _u(s, new), ["moderator", "independent_reviewer"],
                                           actor=_u(s, admin)))
    gid = scalars(db, select(RoleGrant.id).where(RoleGrant.role == "independent_reviewer"))[0]
    _in(app, lambda s: grants.accept(s, gid, actor=_u(s, new)))  # accepting first is fine
    assert _roles(db, new.id) == {"moderator"}
    _in(app, lambda s: grants.decline(s, gid, actor=_u(s, new)))
    with pytest.raises(AccountError):
        _in(app, lambda s: grants.confirm(s, gid, actor=_u(s, old)))
    assert _roles(db, new.id) == {"moderator"}


# --- a handler can no longer blind the reviewer ------------------------------------------

def test_excluding_the_reviewer_waits_for_the_ceo_and_leaves_a_stub(app, client, db, make_user):
    handler, reviewer, ceo = make_user("case_handler"), make_user("independent_reviewer"), make_user("ceo")
    cid = make_case(app, db, category="ethical")
    done = _in(app, lambda s: case_access.exclude(s, s.get(CaseFile, cid),
                                                  _u(s, reviewer), actor=_u(s, handler),
                                                  reason="The report names the reviewer's brother."))
    assert isinstance(done, ExclusionRequest)
    assert scalars(db, select(CaseExclusion)) == []
    login(client, reviewer)
    assert client.get(f"/cases/{cid}").status_code == 200  # still theirs to read while it waits
    req_id = scalars(db, select(ExclusionRequest.id))[0]
    for not_second in (handler, make_user("case_handler"), make_user("admin")):
        with pytest.raises((case_access.ExclusionError, LookupError)):
            _in(app, lambda s, p=not_second: reviewer_oversight.confirm(s, req_id, actor=_u(s, p)))
    with pytest.raises(case_access.ExclusionError):  # nor the reviewer concerned
        _in(app, lambda s: reviewer_oversight.confirm(s, req_id, actor=_u(s, reviewer)))
    # The CEO confirms on the exclusions page (they see the request, not the case).
    ceo_client = app.test_client()
    login(ceo_client, ceo)
    page = ceo_client.get("/cases/exclusions").get_data(as_text=True)
    assert "a case you cannot open" in page and reviewer.email in page
    resp = post_form(ceo_client, f"/cases/exclusions/requests/{req_id}/confirm", token_from="/cases/exclusions")
    assert resp.status_code == 302
    assert client.get(f"/cases/{cid}").status_code == 404
    listing = client.get("/cases/?show=all").get_data(as_text=True)
    assert "A case you are excluded from" in listing
    assert handler.email in listing and ceo.email in listing and "reviewer&#39;s brother" in listing
    ref = scalars(db, select(CaseFile.reference).where(CaseFile.id == cid))[0]
    assert ref not in listing
    audit_page = client.get("/review/audit?action=case.exclusion").get_data(as_text=True)
    for action in ("case.exclusion_requested", "case.exclusion_confirmed", "case.exclusion_added"):
        assert action in audit_page
    assert "a case you are excluded from" in audit_page and f"/cases/{cid}" not in audit_page


def test_with_two_reviewers_the_other_one_confirms_and_the_last_sighted_one_cannot_be_removed(
        app, db, make_user):
    handler, admin = make_user("case_handler"), make_user("admin")
    r1, r2 = make_user("independent_reviewer"), make_user("independent_reviewer")
    cid = make_case(app, db, category="ethical")
    req = _in(app, lambda s: case_access.exclude(s, s.get(CaseFile, cid), _u(s, r2), actor=_u(s, handler),
                                                 reason="The case is about them.").id)
    _in(app, lambda s: reviewer_oversight.confirm(s, req, actor=_u(s, r1)))
    (row,) = scalars(db, select(CaseExclusion))
    assert (row.created_by_id, row.confirmed_by_id) == (handler.id, r1.id)
    # r1 is now the only reviewer who can read the case: disabling or demoting them is refused.
    with pytest.raises(AccountError, match="readable by no independent reviewer"):
        _in(app, lambda s: grants.set_active(s, _u(s, r1), False, actor=_u(s, admin)))
    with pytest.raises(AccountError, match="readable by no independent reviewer"):
        _in(app, lambda s: grants.change_roles(s, _u(s, r1), ["moderator"], actor=_u(s, admin)))
    # r2 can still go (r1 reads everything).
    _in(app, lambda s: grants.set_active(s, _u(s, r2), False, actor=_u(s, admin)))


def test_a_requester_cannot_confirm_their_own_request_but_may_withdraw_it(app, db, make_user):
    ceo, r1 = make_user("ceo"), make_user("independent_reviewer")
    cid = make_case(app, db, category="team_member")  # routed to the CEO, who can exclude on it
    req = _in(app, lambda s: case_access.exclude(s, s.get(CaseFile, cid), _u(s, r1), actor=_u(s, ceo),
                                                 reason="Conflict of interest.").id)
    with pytest.raises(case_access.ExclusionError, match="second person"):
        _in(app, lambda s: reviewer_oversight.confirm(s, req, actor=_u(s, ceo)))
    _in(app, lambda s: reviewer_oversight.reject(s, req, actor=_u(s, ceo)))
    assert scalars(db, select(ExclusionRequest.status)) == ["withdrawn"]
    assert scalars(db, select(CaseExclusion)) == []
