from __future__ import annotations

import bcrypt
import pyotp
from sqlalchemy import select

from models import AuditEvent, User
from tests.conftest import PASSWORD, TOTP_SECRET, csrf_token, login, post_form


def test_sign_in_and_out(client, make_user, db):
    user = make_user("moderator")
    login(client, user)
    assert client.get("/account").status_code == 200
    resp = post_form(client, "/logout", token_from="/account")
    assert resp.status_code == 302
    assert client.get("/account").status_code == 302
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "auth.login" in actions


def test_wrong_password_is_refused_and_audited(client, make_user, db):
    user = make_user("moderator")
    resp = post_form(client, "/login", {"email": user.email, "password": "wrong-password-x"})
    assert resp.status_code == 401
    assert "do not match" in resp.get_data(as_text=True)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")) is not None


def test_passwords_are_bcrypt(app, make_user, db):
    user = make_user("moderator")
    stored = db.get(User, user.id)
    assert stored.password_hash.startswith("$2b$")
    assert bcrypt.checkpw(PASSWORD.encode(), stored.password_hash.encode())


def test_default_bcrypt_cost_is_at_least_12(app):
    from c2c_safety.accounts.users import BCRYPT_ROUNDS

    assert BCRYPT_ROUNDS >= 12


def test_admin_without_two_factor_must_enrol(client, make_user, db):
    admin = make_user("admin", totp=False)
    resp = post_form(client, "/login", {"email": admin.email, "password": PASSWORD})
    assert resp.headers["Location"].endswith("/login/totp/enrol")
    # Not signed in yet: the admin pages stay closed.
    assert client.get("/admin/users").status_code == 302
    page = client.get("/login/totp/enrol").get_data(as_text=True)
    secret = page.split('<code>')[1].split('</code>')[0]
    bad = post_form(client, "/login/totp/enrol", {"code": "000000"}, token_from="/login/totp/enrol")
    assert bad.status_code == 400
    ok = post_form(client, "/login/totp/enrol", {"code": pyotp.TOTP(secret).now()},
                   token_from="/login/totp/enrol")
    assert ok.status_code == 200 and "recovery codes" in ok.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 200
    assert db.get(User, admin.id).totp_secret is not None


def test_admin_with_two_factor_needs_the_code(client, make_user):
    admin = make_user("admin", totp=True)
    resp = post_form(client, "/login", {"email": admin.email, "password": PASSWORD})
    assert resp.headers["Location"].endswith("/login/totp")
    assert client.get("/admin/users").status_code == 302
    wrong = post_form(client, "/login/totp", {"code": "123456"}, token_from="/login/totp")
    assert wrong.status_code == 401
    good = post_form(client, "/login/totp", {"code": pyotp.TOTP(TOTP_SECRET).now()},
                     token_from="/login/totp")
    assert good.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_totp_code_cannot_be_replayed(client, app, make_user):
    admin = make_user("admin", totp=True)
    code = pyotp.TOTP(TOTP_SECRET).now()
    post_form(client, "/login", {"email": admin.email, "password": PASSWORD})
    assert post_form(client, "/login/totp", {"code": code}, token_from="/login/totp").status_code == 302
    post_form(client, "/logout", token_from="/account")
    other = app.test_client()
    post_form(other, "/login", {"email": admin.email, "password": PASSWORD})
    replay = post_form(other, "/login/totp", {"code": code}, token_from="/login/totp")
    assert replay.status_code == 401


def test_csrf_is_required_on_forms(client, make_user):
    user = make_user("moderator")
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 400
    assert "security token" in resp.get_data(as_text=True)
    login(client, user)
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200  # a forged sign-out ends nothing


def test_logout_is_post_only(client, make_user):
    login(client, make_user("moderator"))
    assert client.get("/logout").status_code == 405


def test_password_change_ends_other_sessions(app, client, make_user):
    user = make_user("moderator")
    login(client, user)
    other = app.test_client()
    login(other, user)
    resp = post_form(client, "/account", {"current": PASSWORD, "new": "another-password-456",
                                          "confirm": "another-password-456"}, token_from="/account")
    assert resp.status_code == 302
    assert client.get("/account").status_code == 200  # this session was re-issued
    assert other.get("/account").status_code == 302  # the other one is gone


def test_session_cookie_flags(client, make_user):
    user = make_user("moderator")
    csrf_token(client)
    resp = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_disabled_account_cannot_sign_in_and_loses_its_session(client, app, make_user, signed_in):
    victim = make_user("moderator")
    other = app.test_client()
    login(other, victim)
    signed_in("admin")
    resp = post_form(client, f"/admin/users/{victim.id}", {"roles": ["moderator"]},
                     token_from=f"/admin/users/{victim.id}")
    assert resp.status_code == 302
    assert other.get("/account").status_code == 302
    again = post_form(app.test_client(), "/login", {"email": victim.email, "password": PASSWORD})
    assert again.status_code == 401


def test_admin_changes_roles_with_audit(client, make_user, signed_in, db):
    person = make_user("moderator")
    signed_in("admin")
    resp = post_form(client, f"/admin/users/{person.id}", {"roles": ["moderator", "case_handler"], "active": "y"},
                     token_from=f"/admin/users/{person.id}")
    assert resp.status_code == 302
    assert db.get(User, person.id).role_names == {"moderator", "case_handler"}
    ev = db.scalar(select(AuditEvent).where(AuditEvent.action == "account.role_granted"))
    assert ev.details == {"role": "case_handler"} and ev.target_id == str(person.id)


def test_admin_creates_account_and_errors_are_form_errors(client, signed_in):
    signed_in("admin")
    resp = post_form(client, "/admin/users/new", {"email": "new@test.c2c"}, token_from="/admin/users/new")
    assert resp.status_code == 200 and "This field is required" in resp.get_data(as_text=True)
    ok = post_form(client, "/admin/users/new", {"email": "new@test.c2c", "roles": ["moderator"]},
                   token_from="/admin/users/new")
    # Issue 20 item 6: the admin gets an invitation link, never types a password.
    assert ok.status_code == 200 and "/invitation/" in ok.get_data(as_text=True)
    dup = post_form(client, "/admin/users/new", {"email": "NEW@test.c2c", "roles": ["moderator"]},
                    token_from="/admin/users/new")
    assert dup.status_code == 400 and "already exists" in dup.get_data(as_text=True)
