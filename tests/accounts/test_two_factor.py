"""Issue 10 items 1 and 2: the second factor cannot be bypassed, and every staff role has one.

The attack before the fix: after the password step, GET /login/totp/enrol showed a fresh key
even to an account that had one; posting its code signed in and replaced the owner's key.
"""

from __future__ import annotations

import re
import threading

import pyotp
import pytest
import segno
from flask.testing import FlaskClient
from sqlalchemy import select

from c2c_safety import create_app
from c2c_safety.accounts import recovery as recovery_codes
from c2c_safety.accounts import totp as totp_keys
from c2c_safety.accounts.users import AccountError
from c2c_safety.core.crypto import keyring
from models import AuditEvent, RecoveryCode, Role, User
from tests.conftest import PASSWORD, TOTP_SECRET, csrf_token, login, make_config, post_form, totp_code

SECRET_RE = re.compile(r'<p class="secret">.*?<code>([A-Z2-7]+)</code>', re.S)
CODES_RE = re.compile(r"<li><code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code></li>")


def password_step(client: FlaskClient, user: User) -> str:
    resp = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return str(resp.headers["Location"])


def enrol(client: FlaskClient, user: User) -> list[str]:
    """Set up two-factor through the forms; returns the recovery codes shown."""
    assert password_step(client, user).endswith("/login/totp/enrol")
    secret = SECRET_RE.search(client.get("/login/totp/enrol").get_data(as_text=True))
    assert secret
    resp = post_form(client, "/login/totp/enrol", {"code": pyotp.TOTP(secret.group(1)).now()},
                     token_from="/login/totp/enrol")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    return CODES_RE.findall(resp.get_data(as_text=True))


def stored_secret(db, user: User) -> str | None:  # type: ignore[no-untyped-def]
    """The account's key as stored now (the read ends its transaction: on SQLite an open one
    would hold the write lock the desk needs)."""
    db.expire_all()
    blob = db.get(User, user.id).totp_secret
    db.rollback()
    return keyring().open(blob).decode() if blob is not None else None


# --- item 1: no bypass ----------------------------------------------------------------------

def test_enrolment_is_closed_to_an_account_that_has_a_key(app, client, make_user, db):
    victim = make_user("admin")  # has a key
    assert password_step(client, victim).endswith("/login/totp")
    page = client.get("/login/totp/enrol")
    assert page.status_code == 302 and page.headers["Location"].endswith("/login")
    assert "<code>" not in client.get("/login").get_data(as_text=True)
    # Posting a code of a key of the attacker's choosing neither signs in nor replaces the key.
    password_step(client, victim)
    attacker_key = pyotp.random_base32()
    resp = client.post("/login/totp/enrol", data={"code": pyotp.TOTP(attacker_key).now(),
                                                 "csrf_token": csrf_token(client, "/login/totp")})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert client.get("/admin/users").status_code == 302
    with app.app_context():
        assert stored_secret(db, victim) == TOTP_SECRET


def test_second_factor_step_cannot_be_reached_through_enrolment_state(app, client, make_user, db):
    newcomer = make_user("moderator", totp=False)
    assert password_step(client, newcomer).endswith("/login/totp/enrol")
    # The enrolment row does not pass for a second-factor row, nor the other way round.
    assert client.get("/login/totp").status_code == 302
    assert client.get("/login/recovery").status_code == 302
    assert client.get("/queue").status_code == 302


def test_two_racing_enrolments_cannot_both_set_a_key(app, make_user, db):
    newcomer = make_user("moderator", totp=False)
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert password_step(c, newcomer).endswith("/login/totp/enrol")
    keys = [SECRET_RE.search(c.get("/login/totp/enrol").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
            for c in (first, second)]
    assert keys[0] != keys[1]
    token = csrf_token(second, "/login/totp/enrol")
    ok = post_form(first, "/login/totp/enrol", {"code": pyotp.TOTP(keys[0]).now()}, token_from="/login/totp/enrol")
    assert ok.status_code == 200
    late = second.post("/login/totp/enrol", data={"code": pyotp.TOTP(keys[1]).now(), "csrf_token": token})
    assert late.status_code == 302 and late.headers["Location"].endswith("/login")
    assert second.get("/queue").status_code == 302
    with app.app_context():
        assert stored_secret(db, newcomer) == keys[0]


def test_concurrent_use_of_one_code_signs_in_once(app, make_user):
    user = make_user("moderator")
    clients = [app.test_client() for _ in range(4)]
    tokens = []
    for c in clients:
        assert password_step(c, user).endswith("/login/totp")
        tokens.append(csrf_token(c, "/login/totp"))
    code = totp_code(user)
    results: list[int] = []

    def go(c: FlaskClient, token: str) -> None:
        results.append(c.post("/login/totp", data={"code": code, "csrf_token": token}).status_code)

    threads = [threading.Thread(target=go, args=(c, t)) for c, t in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [302, 401, 401, 401]


def test_five_wrong_codes_end_the_pending_sign_in(client, make_user, db):
    user = make_user("case_handler")
    password_step(client, user)
    for _ in range(4):
        assert post_form(client, "/login/totp", {"code": "000000"}, token_from="/login/totp").status_code == 401
    last = post_form(client, "/login/totp", {"code": "000000"}, token_from="/login/totp")
    assert last.status_code == 302 and last.headers["Location"].endswith("/login")
    # The right code no longer helps: the pending sign-in is over.
    token = csrf_token(client, "/login")
    resp = client.post("/login/totp", data={"code": totp_code(user), "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    assert client.get("/queue").status_code == 302


def test_recovery_codes_are_shown_once_stored_hashed_and_work_once(app, client, make_user, db):
    user = make_user("safeguarding_lead", totp=False)
    codes = enrol(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    hashes = list(db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    db.rollback()
    assert len(hashes) == 10
    for stored in hashes:
        assert stored.startswith("scrypt$")
        assert not any(c.replace("-", "") in stored for c in codes)
    post_form(client, "/logout", token_from="/account")

    other = app.test_client()
    assert password_step(other, user).endswith("/login/totp")
    assert "recovery code" in other.get("/login/totp").get_data(as_text=True)
    typed = codes[3].upper().replace("-", " ")  # as someone might type it
    resp = post_form(other, "/login/recovery", {"code": typed}, token_from="/login/recovery")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account/two-factor")
    assert other.get("/account").status_code == 200
    assert "9 unused recovery codes" in other.get("/account/two-factor").get_data(as_text=True)
    details = db.scalar(select(AuditEvent.details).where(AuditEvent.action == "auth.recovery_code_used"))
    db.rollback()
    assert details == {"remaining": 9}

    again = app.test_client()
    password_step(again, user)
    reused = post_form(again, "/login/recovery", {"code": codes[3]}, token_from="/login/recovery")
    assert reused.status_code == 401
    assert again.get("/account").status_code == 302


def test_recovery_codes_are_regenerated_only_with_a_current_code(app, client, make_user, db):
    user = make_user("moderator")
    login(client, user)
    wrong = post_form(client, "/account/recovery-codes", {"code": "123456"}, token_from="/account/two-factor")
    assert wrong.status_code == 400
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.recovery_codes_generated")) is None
    db.rollback()
    first = post_form(client, "/account/recovery-codes", {"code": totp_code(user)}, token_from="/account/two-factor")
    old_codes = CODES_RE.findall(first.get_data(as_text=True))
    assert first.status_code == 200 and len(old_codes) == 10
    second = post_form(client, "/account/recovery-codes", {"code": totp_code(user)}, token_from="/account/two-factor")
    new_codes = CODES_RE.findall(second.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    other = app.test_client()
    password_step(other, user)
    assert post_form(other, "/login/recovery", {"code": old_codes[0]}, token_from="/login/recovery").status_code == 401
    assert post_form(other, "/login/recovery", {"code": new_codes[0]}, token_from="/login/recovery").status_code == 302


def test_replacing_the_authenticator_needs_the_current_factor(app, client, make_user, db):
    user = make_user("ceo")
    login(client, user)
    post_form(client, "/account/two-factor/new", token_from="/account/two-factor")
    page = client.get("/account/two-factor").get_data(as_text=True)
    new_key = SECRET_RE.search(page).group(1)  # type: ignore[union-attr]
    refused = post_form(client, "/account/two-factor", {"proof": "000000", "new_code": pyotp.TOTP(new_key).now()},
                        token_from="/account/two-factor")
    assert refused.status_code == 400
    with app.app_context():
        assert stored_secret(db, user) == TOTP_SECRET
    # A recovery code proves the factor too (the phone is lost).
    codes = CODES_RE.findall(post_form(client, "/account/recovery-codes", {"code": totp_code(user)},
                                       token_from="/account/two-factor").get_data(as_text=True))
    post_form(client, "/account/two-factor/new", token_from="/account/two-factor")
    new_key = SECRET_RE.search(client.get("/account/two-factor").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    ok = post_form(client, "/account/two-factor", {"proof": codes[0], "new_code": pyotp.TOTP(new_key).now()},
                   token_from="/account/two-factor")
    assert ok.status_code == 302
    with app.app_context():
        assert stored_secret(db, user) == new_key
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.totp_replaced")) is not None


def test_step_up_guessing_ends_the_session(app, client, make_user, db):
    """A stolen session cookie cannot be used to guess the current code and swap the key."""
    user = make_user("admin")
    login(client, user)
    post_form(client, "/account/two-factor/new", token_from="/account/two-factor")
    new_key = SECRET_RE.search(client.get("/account/two-factor").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    statuses = []
    for guess in ("111111", "222222", "333333", "444444", "555555"):
        token = csrf_token(client, "/account")
        statuses.append(client.post("/account/two-factor", data={
            "proof": guess, "new_code": pyotp.TOTP(new_key).now(), "csrf_token": token}).status_code)
    assert statuses == [400, 400, 400, 400, 302]
    assert client.get("/account").status_code == 302
    with app.app_context():
        assert stored_secret(db, user) == TOTP_SECRET


def test_admin_resets_someone_elses_factor_but_never_their_own(app, client, make_user, signed_in, db):
    person = make_user("moderator")
    admin = signed_in("admin")
    own = post_form(client, f"/admin/users/{admin.id}/reset-two-factor", token_from="/admin/users")
    assert own.status_code == 403 and "your own" in own.get_data(as_text=True)
    with app.app_context():
        assert stored_secret(db, admin) == TOTP_SECRET
    ok = post_form(client, f"/admin/users/{person.id}/reset-two-factor", token_from="/admin/users")
    assert ok.status_code == 302
    with app.app_context():
        assert stored_secret(db, person) is None
    ev = db.execute(select(AuditEvent.actor_id, AuditEvent.target_id)
                    .where(AuditEvent.action == "account.totp_reset")).one()
    db.rollback()
    assert ev == (admin.id, str(person.id))
    # They set up a new key at their next sign-in.
    other = app.test_client()
    assert password_step(other, person).endswith("/login/totp/enrol")


def test_only_admins_reset_factors(client, make_user, signed_in):
    person = make_user("moderator")
    for role in ("independent_reviewer", "safeguarding_lead"):
        signed_in(role)
        assert post_form(client, f"/admin/users/{person.id}/reset-two-factor", token_from="/account").status_code == 403


# --- item 2: every role ---------------------------------------------------------------------

@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_role_sets_up_two_factor_at_first_sign_in(app, client, make_user, role):
    user = make_user(role, totp=False)
    assert password_step(client, user).endswith("/login/totp/enrol")
    assert client.get("/account").status_code == 302
    assert len(enrol(client, user)) == 10
    assert client.get("/account").status_code == 200


def test_roles_requiring_totp_is_every_role():
    from models import ROLES_REQUIRING_TOTP

    assert set(ROLES_REQUIRING_TOTP) == set(Role)


def test_a_session_of_an_account_without_a_key_opens_nothing(app, client, make_user, db):
    user = make_user("moderator")
    login(client, user)
    db.get(User, user.id).totp_secret = None  # e.g. a row edited behind the desk's back
    db.commit()
    assert client.get("/queue").status_code == 302


def test_setup_page_shows_a_server_made_qr_code_and_the_key(client, make_user):
    user = make_user("moderator", totp=False)
    password_step(client, user)
    resp = client.get("/login/totp/enrol")
    html = resp.get_data(as_text=True)
    key = SECRET_RE.search(html).group(1)  # type: ignore[union-attr]
    uri = re.search(r'<code class="wrap-anywhere">([^<]+)</code>', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert uri.startswith("otpauth://totp/") and f"secret={key}" in uri
    img = re.search(r'<img src="([^"]+)"[^>]*alt="([^"]+)"', html)
    assert img and img.group(2)
    expected = segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    assert img.group(1).replace("&amp;", "&").replace("&#39;", "'") == expected
    assert "<script" not in html and "style=" not in html
    assert "img-src 'self' data:" in resp.headers["Content-Security-Policy"]


def test_the_published_demo_key_is_refused_outside_demo_and_test(tmp_path, database_url, redis_url, make_user, db):
    user = make_user("admin")  # holds the demo/test key
    prod = create_app(make_config(tmp_path, database_url, redis_url, env="production"))
    try:
        c = prod.test_client()
        resp = post_form(c, "/login", {"email": user.email, "password": PASSWORD})
        assert resp.status_code == 403 and "demo" in resp.get_data(as_text=True)
        assert c.get("/admin/users").status_code == 302
        with prod.app_context():
            from c2c_safety.core.db import new_session

            s = new_session(prod)
            assert totp_keys.check(s, s.get(User, user.id), pyotp.TOTP(TOTP_SECRET).now()) is False
            s.close()
        with prod.app_context(), pytest.raises(AccountError):
            totp_keys.seal(totp_keys.DEMO_TOTP_SECRET)  # nor can it be stored there
    finally:
        prod.extensions["c2c_engine"].dispose()
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.published_key_refused"))


def test_demo_accounts_all_get_the_demo_key_and_the_demo_prints_a_code(app):
    from c2c_safety.core.db import new_session
    from c2c_safety.demo.seed import DEMO_ACCOUNTS, seed_staff

    with app.app_context():
        s = new_session(app)
        seed_staff(s)
        s.commit()
        for acct in DEMO_ACCOUNTS:
            u = s.scalar(select(User).where(User.email == acct.email))
            assert u is not None and keyring().open(u.totp_secret).decode() == totp_keys.DEMO_TOTP_SECRET
        s.close()
    code = app.test_cli_runner().invoke(args=["demo", "totp"])
    assert code.exit_code == 0 and re.match(r"^\d{6}$", code.stdout.strip())
    login(app.test_client(), User(email="reviewer@demo.c2c"), "demo-password-123")


def test_demo_commands_refuse_to_run_in_production(tmp_path, database_url, redis_url):
    prod = create_app(make_config(tmp_path, database_url, redis_url, env="production"))
    try:
        result = prod.test_cli_runner().invoke(args=["demo", "totp"])
        assert result.exit_code != 0 and "C2C_ENV=demo" in result.output
    finally:
        prod.extensions["c2c_engine"].dispose()


def test_cli_reset_two_factor_is_the_trust_root(app, make_user, db):
    admin = make_user("admin")
    result = app.test_cli_runner().invoke(args=["users", "reset-two-factor", admin.email])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert stored_secret(db, admin) is None
    label = db.scalar(select(AuditEvent.actor_label).where(AuditEvent.action == "account.totp_reset"))
    db.rollback()
    assert label == "cli"


def test_recovery_code_format_is_forgiving_but_strict():
    assert recovery_codes.normalise("ABCD-EFGH-JKMN") == "abcdefghjkmn"
    assert recovery_codes.normalise(" o1i l ") is None  # too short
    assert recovery_codes.normalise("0o0o-1i1l-2222") == "000011112222"
    assert recovery_codes.normalise("abcd-efgh-jkm!") is None
    assert recovery_codes.normalise("x" * 1000) is None
