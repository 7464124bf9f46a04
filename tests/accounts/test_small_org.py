"""Accounts for a small organisation (issue 20, item 6; issue 19, item 6 for the deputy lead).

As reported: with one admin no admin, CEO or safeguarding-lead grant could ever be
confirmed; the admin typed each new user's initial password and passed it on; nobody ever
reviewed who still holds which role."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pyotp
from sqlalchemy import select, update

from c2c_safety.accounts import grants
from models import AccessReview, AuditEvent, Invitation, RoleGrant, User, utcnow
from tests.conftest import SECRET_RE, csrf_token, login, post_form

LINK_RE = re.compile(r"/invitation/([A-Za-z0-9_-]{20,})")


def _roles(db, user_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    db.expire_all()
    out = set(db.get(User, user_id).role_names)
    db.rollback()
    return out


def _one(db, stmt):  # type: ignore[no-untyped-def]
    db.expire_all()
    out = db.scalar(stmt)
    db.rollback()
    return out


# --- invitations: no admin knows a colleague's password ----------------------------------

def test_a_new_colleague_chooses_their_own_password_with_a_single_use_link(app, client, db, signed_in):
    signed_in("admin")
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert 'type="password"' not in form and "Initial password" not in form
    resp = post_form(client, "/admin/users/new", {"email": "newbie@test.c2c", "display_name": "Nina Newbie",
                                                  "roles": ["moderator"]}, token_from="/admin/users/new")
    assert resp.status_code == 200
    token = LINK_RE.search(resp.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    db.expire_all()
    token_hash, created, expires = db.execute(select(Invitation.token_hash, Invitation.created_at,
                                                     Invitation.expires_at)).one()
    db.rollback()
    assert token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert timedelta(hours=71) < expires - created <= timedelta(hours=72)
    assert "Nina Newbie" in client.get("/admin/users").get_data(as_text=True)

    newbie = app.test_client()
    assert newbie.get(f"/invitation/{token}").status_code == 200
    mismatch = post_form(newbie, f"/invitation/{token}", {"password": "my own secret words",
                                                          "confirm": "something else entirely"})
    assert mismatch.status_code == 400
    done = post_form(newbie, f"/invitation/{token}", {"password": "my own secret words",
                                                      "confirm": "my own secret words"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    # Single use: the link is dead now, for anyone.
    assert app.test_client().get(f"/invitation/{token}").status_code == 404
    again = post_form(app.test_client(), f"/invitation/{token}", {"password": "mallory's password!",
                                                                  "confirm": "mallory's password!"},
                      token_from="/login")
    assert again.status_code == 404
    # They sign in with their password and set up their second factor.
    resp = post_form(newbie, "/login", {"email": "newbie@test.c2c", "password": "my own secret words"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/totp/enrol")
    secret = SECRET_RE.search(newbie.get("/login/totp/enrol").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    resp = post_form(newbie, "/login/totp/enrol", {"code": pyotp.TOTP(secret).now()}, token_from="/login/totp/enrol")
    assert resp.status_code == 200 and "recovery codes" in resp.get_data(as_text=True)
    actions = {a for a in db.scalars(select(AuditEvent.action))}
    db.rollback()
    assert {"account.invited", "account.invitation_used"} <= actions


def test_expired_revoked_and_unknown_links_do_not_work(app, client, db, signed_in):
    admin = signed_in("admin")
    resp = post_form(client, "/admin/users/new", {"email": "late@test.c2c", "roles": ["moderator"]},
                     token_from="/admin/users/new")
    first = LINK_RE.search(resp.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    uid = _one(db, select(User.id).where(User.email == "late@test.c2c"))
    again = post_form(client, f"/admin/users/{uid}/invite", token_from=f"/admin/users/{uid}")
    second = LINK_RE.search(again.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert first != second
    assert client.get(f"/invitation/{first}").status_code == 404  # revoked by the new one
    assert client.get(f"/invitation/{second}").status_code == 200
    db.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert client.get(f"/invitation/{second}").status_code == 404
    assert client.get("/invitation/not-a-real-token").status_code == 404
    for hostile in ("%00", "%C2%B2", "x" * 500, "..%2F..%2Fadmin"):
        assert client.get(f"/invitation/{hostile}").status_code == 404
    # An account already in use never gets a link (it would let an admin set its password).
    used = post_form(client, f"/admin/users/{admin.id}/invite", token_from=f"/admin/users/{admin.id}")
    assert used.status_code == 403


# --- grants when there is one admin ----------------------------------------------------

def test_with_one_admin_the_ceo_or_the_reviewer_confirms_privileged_grants(app, client, db, make_user, signed_in):
    ceo, reviewer = make_user("ceo"), make_user("independent_reviewer")
    a, b, c = make_user("moderator"), make_user("moderator"), make_user("moderator")
    signed_in("admin")  # the only admin
    for person, role in ((a, "admin"), (b, "ceo"), (c, "safeguarding_lead")):
        post_form(client, f"/admin/users/{person.id}", {"roles": ["moderator", role], "active": "y"},
                  token_from=f"/admin/users/{person.id}")
    ids = {role: gid for gid, role in db.execute(select(RoleGrant.id, RoleGrant.role))}
    db.rollback()
    # The requesting admin cannot confirm their own request.
    assert post_form(client, f"/admin/grants/{ids['admin']}/confirm", token_from="/admin/users").status_code == 403
    ceo_client = app.test_client()
    login(ceo_client, ceo)
    page = ceo_client.get("/account/roles").get_data(as_text=True)
    assert f"/admin/grants/{ids['admin']}/confirm" in page
    for role in ("admin", "safeguarding_lead"):
        resp = post_form(ceo_client, f"/admin/grants/{ids[role]}/confirm", {"back": "account"},
                         token_from="/account/roles")
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/roles")
    rev_client = app.test_client()
    login(rev_client, reviewer)
    assert post_form(rev_client, f"/admin/grants/{ids['ceo']}/confirm", {"back": "account"},
                     token_from="/account/roles").status_code == 302
    assert "admin" in _roles(db, a.id) and "ceo" in _roles(db, b.id) and "safeguarding_lead" in _roles(db, c.id)


def test_a_deputy_lead_is_appointed_by_the_lead_without_a_second_admin(app, client, db, make_user, signed_in):
    lead, deputy = make_user("safeguarding_lead"), make_user("moderator")
    signed_in("admin")
    post_form(client, f"/admin/users/{deputy.id}", {"roles": ["moderator", "safeguarding_lead"], "active": "y"},
              token_from=f"/admin/users/{deputy.id}")
    gid = _one(db, select(RoleGrant.id))
    lead_client = app.test_client()
    login(lead_client, lead)
    resp = post_form(lead_client, f"/admin/grants/{gid}/confirm", {"back": "account"}, token_from="/account/roles")
    assert resp.status_code == 302
    assert "safeguarding_lead" in _roles(db, deputy.id)
    db.expire_all()
    actor_id, details = db.execute(select(AuditEvent.actor_id, AuditEvent.details).where(
        AuditEvent.action == "account.role_confirmed")).one()
    db.rollback()
    assert actor_id == lead.id and details["confirmed_by"] == lead.id
    # A lead cannot confirm other privileged roles.
    person = make_user("moderator")
    post_form(client, f"/admin/users/{person.id}", {"roles": ["moderator", "admin"], "active": "y"},
              token_from=f"/admin/users/{person.id}")
    gid2 = _one(db, select(RoleGrant.id).where(RoleGrant.role == "admin"))
    assert post_form(lead_client, f"/admin/grants/{gid2}/confirm", token_from="/account/roles").status_code == 403


def test_the_desk_warns_when_fewer_than_two_people_could_confirm_a_grant(app, client, db, make_user, signed_in):
    admin = signed_in("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Fewer than two people could confirm a grant" in page
    make_user("ceo")
    make_user("independent_reviewer")
    make_user("independent_reviewer")
    with app.app_context():
        from c2c_safety.core.db import new_session
        s = new_session(app)
        assert grants.thin_confirmers(s, s.get(User, admin.id)) == {}
        s.close()
    assert "Fewer than two people could confirm a grant" not in client.get("/admin/users").get_data(as_text=True)


# --- the quarterly access review -------------------------------------------------------

def test_the_reviewer_reviews_every_persons_roles_and_an_overdue_review_shows_on_jobs(
        app, client, db, make_user, signed_in):
    admin_client = app.test_client()
    admin = make_user("admin")
    login(admin_client, admin)
    mod = make_user("moderator")
    db.execute(update(User).values(created_at=utcnow() - timedelta(days=120)))
    db.commit()
    jobs = admin_client.get("/admin/jobs/").get_data(as_text=True)
    assert "Quarterly access review" in jobs and "Overdue" in jobs
    reviewer = signed_in("independent_reviewer")
    page = client.get("/review/access").get_data(as_text=True)
    assert mod.email in page and "never" in page, page[page.find("<main"):][:1500]  # last sign-in
    post_form(client, "/review/access/start", token_from="/review/access")
    rid = _one(db, select(AccessReview.id))
    flagged = post_form(client, f"/review/access/{rid}/{mod.id}", {"verdict": "flagged", "note": "Left in May"},
                        token_from="/review/access")
    assert flagged.status_code == 302
    for person in (admin, reviewer):
        post_form(client, f"/review/access/{rid}/{person.id}", {"verdict": "confirmed"}, token_from="/review/access")
    assert _one(db, select(AccessReview.completed_at)) is not None
    assert "Left in May" in admin_client.get("/admin/users").get_data(as_text=True)
    jobs = admin_client.get("/admin/jobs/").get_data(as_text=True)
    assert "Next due" in jobs
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("access_review.%"))))
    db.rollback()
    assert {"access_review.started", "access_review.flagged", "access_review.confirmed",
            "access_review.completed"} <= actions
    # Only the reviewer reviews.
    assert post_form(admin_client, f"/review/access/{rid}/{mod.id}", {"verdict": "confirmed"},
                     token_from="/account").status_code == 403
    assert csrf_token


def test_signing_in_records_the_last_sign_in(app, client, db, make_user):
    person = make_user("moderator")
    assert _one(db, select(User.last_sign_in_at).where(User.id == person.id)) is None
    login(client, person)
    assert _one(db, select(User.last_sign_in_at).where(User.id == person.id)) is not None
