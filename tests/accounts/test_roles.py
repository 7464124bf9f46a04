"""Issue 10 item 3: nobody grants themselves power.

The attack before the fix: an admin ticked "independent reviewer" on their own account and
could then read CEO cases and the whole audit log.
"""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select, update

from models import AuditEvent, GrantStatus, RoleGrant, User, utcnow
from tests.conftest import login, post_form


def edit(client: FlaskClient, user_id: int, roles: list[str], active: bool = True):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {"roles": roles}
    if active:
        data["active"] = "y"
    return post_form(client, f"/admin/users/{user_id}", data, token_from="/account")


def roles_of(db, user_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    db.expire_all()
    out = set(db.get(User, user_id).role_names)
    db.rollback()  # an open read would hold SQLite's write lock
    return out


def grant_id(db, user_id: int, role: str) -> int:  # type: ignore[no-untyped-def]
    gid = db.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user_id, RoleGrant.role == role,
                                               RoleGrant.status == GrantStatus.PENDING))
    db.rollback()
    assert gid is not None
    return int(gid)


def actions(db) -> list[str]:  # type: ignore[no-untyped-def]
    out = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    db.rollback()
    return out


def test_an_admin_cannot_make_themselves_independent_reviewer(client, signed_in, db):
    admin = signed_in("admin")
    resp = edit(client, admin.id, ["admin", "independent_reviewer"])
    assert resp.status_code == 400 and "your own roles" in resp.get_data(as_text=True)
    assert roles_of(db, admin.id) == {"admin"}
    assert client.get("/review/audit").status_code == 403
    assert db.scalar(select(RoleGrant)) is None
    db.rollback()


def test_no_one_changes_their_own_roles_in_any_direction(client, signed_in, db):
    admin = signed_in("admin", "case_handler")
    for wanted in (["admin"], ["admin", "case_handler", "moderator"], ["admin", "case_handler", "ceo"]):
        assert edit(client, admin.id, wanted).status_code == 400
    assert roles_of(db, admin.id) == {"admin", "case_handler"}


def test_privileged_roles_wait_for_a_second_admin(app, client, make_user, signed_in, db):
    person = make_user("moderator")
    requester = signed_in("admin")
    resp = edit(client, person.id, ["moderator", "safeguarding_lead"])
    assert resp.status_code == 302
    assert roles_of(db, person.id) == {"moderator"}
    gid = grant_id(db, person.id, "safeguarding_lead")
    # The one who asked cannot confirm it.
    assert post_form(client, f"/admin/grants/{gid}/confirm", token_from="/admin/users").status_code == 403
    # Nor can the person it is for, even if they are an admin themselves.
    assert roles_of(db, person.id) == {"moderator"}
    second = app.test_client()
    confirmer = make_user("admin")
    login(second, confirmer)
    assert "Confirm" in second.get("/admin/users").get_data(as_text=True)
    assert post_form(second, f"/admin/grants/{gid}/confirm", token_from="/admin/users").status_code == 302
    assert roles_of(db, person.id) == {"moderator", "safeguarding_lead"}
    ev = db.scalar(select(AuditEvent).where(AuditEvent.action == "account.role_confirmed"))
    assert ev.actor_id == confirmer.id and ev.details["requested_by"] == requester.id
    db.rollback()


def test_the_person_concerned_cannot_confirm_their_own_grant(app, client, make_user, signed_in, db):
    target = make_user("admin")
    signed_in("admin")
    edit(client, target.id, ["admin", "ceo"])
    gid = grant_id(db, target.id, "ceo")
    theirs = app.test_client()
    login(theirs, target)
    resp = post_form(theirs, f"/admin/grants/{gid}/confirm", token_from="/admin/users")
    assert resp.status_code == 403
    assert roles_of(db, target.id) == {"admin"}


def test_the_reviewer_role_is_confirmed_by_the_current_reviewer_only(app, client, make_user, signed_in, db):
    person = make_user("case_handler")
    reviewer = make_user("independent_reviewer")
    signed_in("admin")
    edit(client, person.id, ["case_handler", "independent_reviewer"])
    gid = grant_id(db, person.id, "independent_reviewer")
    other_admin = app.test_client()
    login(other_admin, make_user("admin"))
    refused = post_form(other_admin, f"/admin/grants/{gid}/confirm", token_from="/admin/users")
    assert refused.status_code == 403 and "independent reviewer" in refused.get_data(as_text=True)
    assert roles_of(db, person.id) == {"case_handler"}
    theirs = app.test_client()
    login(theirs, reviewer)
    page = theirs.get("/review/roles").get_data(as_text=True)
    assert person.email in page and f"/admin/grants/{gid}/confirm" in page
    resp = post_form(theirs, f"/admin/grants/{gid}/confirm", {"back": "review"}, token_from="/review/roles")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/review/roles")
    # Issue 20 item 2: the incoming reviewer accepts the role themselves, after signing in.
    assert roles_of(db, person.id) == {"case_handler"}
    incoming = app.test_client()
    login(incoming, person)
    page = incoming.get("/account/roles").get_data(as_text=True)
    assert "Asked of you" in page and f"/account/roles/{gid}/accept" in page
    resp = post_form(incoming, f"/account/roles/{gid}/accept", token_from="/account/roles")
    assert resp.status_code == 302
    assert roles_of(db, person.id) == {"case_handler", "independent_reviewer"}


def test_new_accounts_get_privileged_roles_only_after_confirmation(app, client, signed_in, db):
    signed_in("admin")
    resp = post_form(client, "/admin/users/new", {"email": "new-ceo@test.c2c", "roles": ["ceo", "moderator"]},
                     token_from="/admin/users/new")
    assert resp.status_code == 200 and "/invitation/" in resp.get_data(as_text=True)
    user = db.scalar(select(User).where(User.email == "new-ceo@test.c2c"))
    uid = user.id
    db.rollback()
    assert roles_of(db, uid) == {"moderator"}
    assert grant_id(db, uid, "ceo")


def test_requests_can_be_rejected_or_withdrawn_and_go_stale(app, client, make_user, signed_in, db):
    a, b = make_user("moderator"), make_user("moderator")
    signed_in("admin")
    edit(client, a.id, ["moderator", "admin"])
    edit(client, b.id, ["moderator", "ceo"])
    withdraw = grant_id(db, a.id, "admin")
    assert post_form(client, f"/admin/grants/{withdraw}/reject", token_from="/admin/users").status_code == 302
    stale = grant_id(db, b.id, "ceo")
    db.execute(update(RoleGrant).where(RoleGrant.id == stale).values(requested_at=utcnow() - timedelta(days=15)))
    db.commit()
    second = app.test_client()
    login(second, make_user("admin"))
    assert post_form(second, f"/admin/grants/{stale}/confirm", token_from="/admin/users").status_code == 403
    assert post_form(second, f"/admin/grants/{stale}/reject", token_from="/admin/users").status_code == 302
    statuses = dict(db.execute(select(RoleGrant.id, RoleGrant.status)).all())
    db.rollback()
    assert statuses == {withdraw: "withdrawn", stale: "rejected"}
    assert roles_of(db, a.id) == {"moderator"} and roles_of(db, b.id) == {"moderator"}
    # A decided request cannot be confirmed afterwards.
    assert post_form(second, f"/admin/grants/{stale}/confirm", token_from="/admin/users").status_code == 403


def test_a_disabled_account_cannot_be_given_a_pending_role(app, client, make_user, signed_in, db):
    person = make_user("moderator")
    signed_in("admin")
    edit(client, person.id, ["moderator", "admin"])
    gid = grant_id(db, person.id, "admin")
    edit(client, person.id, ["moderator"], active=False)
    second = app.test_client()
    login(second, make_user("admin"))
    assert post_form(second, f"/admin/grants/{gid}/confirm", token_from="/admin/users").status_code == 403
    assert roles_of(db, person.id) == {"moderator"}


def test_every_role_change_is_audited_and_on_the_reviewers_page(app, client, make_user, signed_in, db):
    person = make_user("moderator")
    signed_in("admin")
    edit(client, person.id, ["moderator", "case_handler"])  # granted at once
    edit(client, person.id, ["case_handler"])  # removed
    edit(client, person.id, ["case_handler", "ceo"])  # requested
    gid = grant_id(db, person.id, "ceo")
    second = app.test_client()
    login(second, make_user("admin"))
    post_form(second, f"/admin/grants/{gid}/reject", token_from="/admin/users")
    edit(client, person.id, ["case_handler"], active=False)  # disabled
    seen = actions(db)
    for action in ("account.role_granted", "account.role_revoked", "account.role_requested",
                   "account.role_rejected", "account.disabled"):
        assert action in seen
    reviewer = app.test_client()
    login(reviewer, make_user("independent_reviewer"))
    page = reviewer.get("/review/roles").get_data(as_text=True)
    for words in ("role granted", "role revoked", "role requested", "role rejected", "disabled", "case handler"):
        assert words in page, words
    assert person.email in page
    assert "view.role_changes" in actions(db)
    # Only the reviewer sees this page.
    assert client.get("/review/roles").status_code == 403


def test_bootstrap_of_the_first_reviewer_is_the_servers_cli(app, client, make_user, signed_in, db):
    person = make_user("case_handler")
    signed_in("admin")
    edit(client, person.id, ["case_handler", "independent_reviewer"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "no active independent reviewer" in page and "users grant" in page
    result = app.test_cli_runner().invoke(args=["users", "grant", person.email, "independent_reviewer"])
    assert result.exit_code == 0, result.output
    assert roles_of(db, person.id) == {"case_handler", "independent_reviewer"}
    label = db.scalar(select(AuditEvent.actor_label).where(AuditEvent.action == "account.role_granted"))
    status = db.scalar(select(RoleGrant.status))
    db.rollback()
    assert label == "cli" and status == "confirmed"
    bad = app.test_cli_runner().invoke(args=["users", "grant", "nobody@test.c2c", "admin"])
    assert bad.exit_code != 0 and "No account" in bad.output


def test_two_admins_cannot_disable_each_other_into_no_admin(app, make_user):
    """The race: each admin's request loaded the other as active; whoever commits second is
    refused, because the count of other active admins is read (and locked) afresh."""
    from c2c_safety.accounts import grants
    from c2c_safety.accounts.users import AccountError
    from c2c_safety.core.db import new_session

    a, b = make_user("admin"), make_user("admin")
    with app.app_context():
        late = new_session(app)
        stale_a, stale_b = late.get(User, a.id), late.get(User, b.id)
        _ = stale_a.role_names, stale_b.role_names
        late.expunge_all()
        late.rollback()
        first = new_session(app)
        grants.set_active(first, first.get(User, b.id), False, actor=first.get(User, a.id))
        first.commit()
        first.close()
        late.add(stale_a)
        late.add(stale_b)
        try:
            grants.set_active(late, stale_a, False, actor=stale_b)
        except AccountError as exc:
            assert "last active admin" in str(exc)
        else:
            raise AssertionError("the last active admin was disabled")
        finally:
            late.rollback()
            late.close()


def test_only_those_who_may_second_a_grant_reach_grant_decisions(client, make_user, signed_in):
    for role in ("moderator", "case_handler"):
        signed_in(role)
        assert post_form(client, "/admin/grants/1/confirm", token_from="/account").status_code == 403
        assert post_form(client, "/admin/grants/1/reject", token_from="/account").status_code == 403
    # Issue 20 item 6: in a small organisation the CEO, a safeguarding lead (a deputy lead) and
    # the reviewer second grants; the service decides which (tests/accounts/test_small_org.py).
    for role in ("admin", "ceo", "safeguarding_lead"):
        signed_in(role)
        assert post_form(client, "/admin/grants/1/confirm", token_from="/account").status_code == 404


def test_a_request_lapses_when_its_requester_loses_admin(app, client, make_user, signed_in, db):
    person = make_user("moderator")
    requester = make_user("admin")
    theirs = app.test_client()
    login(theirs, requester)
    edit(theirs, person.id, ["moderator", "ceo"])
    gid = grant_id(db, person.id, "ceo")
    signed_in("admin")
    edit(client, requester.id, ["moderator"])  # the requester is no longer an admin
    resp = post_form(client, f"/admin/grants/{gid}/confirm", token_from="/admin/users")
    assert resp.status_code == 403 and "no longer" in resp.get_data(as_text=True)
    assert roles_of(db, person.id) == {"moderator"}
