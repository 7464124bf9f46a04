"""Issue 10 item 5: sign-out (and every other trigger) ends the session on the server.

Each test captures the session cookie, triggers the change, then replays the captured cookie
from a fresh browser: it must be sent to sign-in. Before the fix a cookie captured before
sign-out still opened /queue.
"""

from __future__ import annotations

import pyotp
from flask import Flask, session
from flask.testing import FlaskClient
from sqlalchemy import event, select

from c2c_safety.accounts import sessions as staff_sessions
from c2c_safety.core.access import SESSION_TOKEN_KEY, load_staff
from c2c_safety.core.db import engine_for, new_session
from models import AuditEvent, SessionStage, User
from tests.conftest import PASSWORD, csrf_token, login, post_form, totp_code

COOKIE = "c2c_session"


def capture(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def replay(app: Flask, value: str, path: str = "/queue") -> int:
    """The status a fresh browser holding only this cookie gets; 302 to sign-in means dead."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    resp = other.get(path)
    if resp.status_code == 302:
        assert "/login" in resp.headers["Location"]
    return resp.status_code


def test_cookie_captured_before_sign_out_no_longer_opens_the_queue(app, client, make_user, db):
    login(client, make_user("moderator"))
    stolen = capture(client)
    assert replay(app, stolen) == 200
    assert post_form(client, "/logout", token_from="/account").status_code == 302
    assert replay(app, stolen) == 302
    assert replay(app, stolen, "/account") == 302
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.logout")) is not None


def test_sign_out_ends_only_this_session(app, client, make_user):
    user = make_user("moderator")
    login(client, user)
    laptop = app.test_client()
    login(laptop, user)
    post_form(client, "/logout", token_from="/account")
    assert laptop.get("/queue").status_code == 200


def test_password_change_ends_every_earlier_cookie(app, client, make_user):
    user = make_user("moderator")
    login(client, user)
    before_here = capture(client)
    phone = app.test_client()
    login(phone, user)
    before_there = capture(phone)
    resp = post_form(client, "/account", {"current": PASSWORD, "new": "another-password-456",
                                          "confirm": "another-password-456"}, token_from="/account")
    assert resp.status_code == 302
    assert client.get("/queue").status_code == 200  # this browser carries on under a new token
    assert replay(app, before_here) == 302
    assert replay(app, before_there) == 302


def test_role_change_ends_the_persons_sessions(app, client, make_user, signed_in):
    person = make_user("moderator")
    theirs = app.test_client()
    login(theirs, person)
    stolen = capture(theirs)
    signed_in("admin")
    resp = post_form(client, f"/admin/users/{person.id}", {"roles": ["moderator", "case_handler"], "active": "y"},
                     token_from=f"/admin/users/{person.id}")
    assert resp.status_code == 302
    assert replay(app, stolen) == 302


def test_role_removal_ends_the_persons_sessions(app, client, make_user, signed_in):
    person = make_user("moderator", "case_handler")
    theirs = app.test_client()
    login(theirs, person)
    stolen = capture(theirs)
    signed_in("admin")
    post_form(client, f"/admin/users/{person.id}", {"roles": ["moderator"], "active": "y"},
              token_from=f"/admin/users/{person.id}")
    assert replay(app, stolen) == 302


def test_confirmed_privileged_grant_ends_the_persons_sessions(app, client, make_user, signed_in):
    person = make_user("moderator")
    theirs = app.test_client()
    login(theirs, person)
    stolen = capture(theirs)
    signed_in("admin")
    post_form(client, f"/admin/users/{person.id}", {"roles": ["moderator", "ceo"], "active": "y"},
              token_from=f"/admin/users/{person.id}")
    assert replay(app, stolen) == 200  # only a request so far: nothing changed for them
    second = app.test_client()
    login(second, make_user("admin"))
    page = second.get("/admin/users").get_data(as_text=True)
    grant_id = int(page.split("/admin/grants/")[1].split("/")[0])
    assert post_form(second, f"/admin/grants/{grant_id}/confirm", token_from="/admin/users").status_code == 302
    assert replay(app, stolen) == 302


def test_two_factor_reset_ends_the_persons_sessions(app, client, make_user, signed_in):
    person = make_user("moderator")
    theirs = app.test_client()
    login(theirs, person)
    stolen = capture(theirs)
    signed_in("admin")
    resp = post_form(client, f"/admin/users/{person.id}/reset-two-factor", token_from=f"/admin/users/{person.id}")
    assert resp.status_code == 302
    assert replay(app, stolen) == 302


def test_disabling_ends_the_persons_sessions(app, client, make_user, signed_in):
    person = make_user("moderator")
    theirs = app.test_client()
    login(theirs, person)
    stolen = capture(theirs)
    signed_in("admin")
    post_form(client, f"/admin/users/{person.id}", {"roles": ["moderator"]}, token_from=f"/admin/users/{person.id}")
    assert replay(app, stolen) == 302


def test_sign_out_my_other_sessions(app, client, make_user, db):
    user = make_user("case_handler")
    login(client, user)
    phones = [app.test_client() for _ in range(2)]
    for phone in phones:
        login(phone, user)
    stolen = [capture(p) for p in phones]
    page = client.get("/account").get_data(as_text=True)
    assert "signed in 2 other times" in page
    resp = post_form(client, "/account/sessions/end-others", token_from="/account")
    assert resp.status_code == 302
    assert client.get("/account").status_code == 200
    assert "signed in only here" in client.get("/account").get_data(as_text=True)
    assert [replay(app, v, "/account") for v in stolen] == [302, 302]
    ev = db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.other_sessions_ended"))
    assert ev is not None and ev.details == {"ended": 2}


def test_replacing_the_authenticator_ends_other_sessions(app, client, make_user):
    user = make_user("moderator")
    login(client, user)
    before_here = capture(client)
    phone = app.test_client()
    login(phone, user)
    assert post_form(client, "/account/two-factor/new", token_from="/account/two-factor").status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    new_secret = page.split('<p class="secret">')[1].split("<code>")[1].split("</code>")[0]
    resp = post_form(client, "/account/two-factor",
                     {"proof": totp_code(user), "new_code": pyotp.TOTP(new_secret).now()},
                     token_from="/account/two-factor")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    assert client.get("/queue").status_code == 200
    assert replay(app, before_here) == 302
    assert phone.get("/queue").status_code == 302


def test_the_password_step_alone_opens_no_page(app, client, make_user):
    user = make_user("admin")
    resp = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert resp.headers["Location"].endswith("/login/totp")
    halfway = capture(client)
    for path in ("/queue", "/account", "/admin/users"):
        assert client.get(path).status_code == 302
    # Finishing the sign-in issues a new token: the half-way cookie stays worthless.
    post_form(client, "/login/totp", {"code": totp_code(user)}, token_from="/login/totp")
    assert client.get("/admin/users").status_code == 200
    assert replay(app, halfway, "/admin/users") == 302
    other = app.test_client()
    other.set_cookie(COOKIE, halfway)
    assert other.get("/login/totp").status_code == 302  # used once: back to sign-in


def test_a_cookie_signed_with_the_key_but_naming_another_user_opens_nothing(app, client, make_user):
    victim = make_user("admin")
    login(client, make_user("moderator"))
    with client.session_transaction() as sess:
        sess["_user_id"] = str(victim.id)  # as if the signing key had leaked
    assert client.get("/admin/users").status_code == 302


def test_the_user_loader_reads_user_and_roles_in_one_query(app, make_user):
    user = make_user("moderator", "case_handler")
    with app.app_context():
        s = new_session(app)
        _, token = staff_sessions.start(s, s.get(User, user.id), SessionStage.FULL)
        s.commit()
        s.close()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE is no query
            statements.append(statement)

    engine = engine_for(app)
    with app.test_request_context("/queue"):
        session[SESSION_TOKEN_KEY] = token
        event.listen(engine, "before_cursor_execute", count)
        try:
            loaded = load_staff(str(user.id))
            assert loaded is not None
            assert loaded.role_names == {"moderator", "case_handler"}
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    # And a revoked or unknown token, or hostile ids, load nobody (and never raise).
    with app.test_request_context("/queue"):
        session[SESSION_TOKEN_KEY] = "x" * 43
        assert load_staff(str(user.id)) is None
        session[SESSION_TOKEN_KEY] = token
        assert load_staff("99999999999999999999") is None
        assert load_staff("abc") is None
        assert load_staff(str(user.id + 1)) is None


def test_sessions_expire_after_a_working_day(app, client, make_user, db):
    from datetime import timedelta

    from models import StaffSession, utcnow

    login(client, make_user("moderator"))
    for row in db.scalars(select(StaffSession)):
        assert row.expires_at - row.created_at <= timedelta(hours=12)
        row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    assert client.get("/queue").status_code == 302


def test_signing_out_half_way_ends_the_pending_sign_in(app, client, make_user):
    user = make_user("moderator")
    post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    token = csrf_token(client, "/login/totp")
    halfway = capture(client)  # holds the pending session and a valid form token
    assert post_form(client, "/logout", token_from="/login/totp").status_code == 302
    other = app.test_client()
    other.set_cookie(COOKIE, halfway)
    resp = other.post("/login/totp", data={"code": totp_code(user), "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert other.get("/queue").status_code == 302


def test_visiting_sign_in_steps_while_signed_in_ends_nothing(client, make_user):
    login(client, make_user("moderator"))
    for path in ("/login/totp", "/login/recovery", "/login/totp/enrol", "/login"):
        client.get(path)
    assert client.get("/queue").status_code == 200
