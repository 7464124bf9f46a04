"""Shared fixtures. Everything is real: a real Redis-compatible server, real SQLite or
PostgreSQL (set C2C_TEST_DATABASE_URL), real bcrypt, real HTTP through Flask's client.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

import models
from c2c_safety import create_app
from c2c_safety.accounts import users as accounts
from c2c_safety.core.config import Config
from c2c_safety.core.crypto import keyring
from c2c_safety.core.db import make_engine, new_session
from c2c_safety.core.redis_conn import start_embedded, stop_embedded
from models import User

PASSWORD = "test-password-123"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def pytest_configure(config: pytest.Config) -> None:
    """Compile the gettext catalogs a fresh clone lacks (only .po files are committed; `make
    install` compiles them too), so the pages are tested in their languages."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parents[1] / "c2c_safety" / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open(encoding="utf-8") as f:
            catalog = read_po(f)
        tmp = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo)  # atomic: parallel test processes may compile at once


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("C2C_TEST_REDIS_URL")
    if url:
        yield url
        return
    inst = tmp_path_factory.mktemp("redis")
    yield start_embedded(inst, own=False)
    stop_embedded(inst)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite in a temp dir, or a fresh PostgreSQL database made for this test session
    (next to the one C2C_TEST_DATABASE_URL names), so parallel runs never share tables."""
    url = os.environ.get("C2C_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"c2c_test_{os.getpid()}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def schema_engine(database_url: str) -> Iterator[Engine]:
    """One schema per test session, built from the models (test_migrations checks that the
    Alembic migrations build the same schema)."""
    engine = make_engine(database_url)
    models.Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _wipe(engine: Engine) -> None:
    tables = list(reversed(models.Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(t.delete())


def make_config(tmp_path: Path, database_url: str, redis_url: str, **overrides: object) -> Config:
    env = {
        "C2C_ENV": "test",
        "C2C_INSTANCE_PATH": str(tmp_path / "instance"),
        "C2C_DATABASE_URL": database_url,
        "C2C_REDIS_URL": redis_url,
        "C2C_BCRYPT_ROUNDS": "4",
    }
    cfg = Config.from_env(env)
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


@pytest.fixture
def app(tmp_path: Path, database_url: str, redis_url: str, schema_engine: Engine) -> Iterator[Flask]:
    # Each test starts with an empty Redis too: throttles and replay guards live there.
    Redis.from_url(redis_url).flushdb()
    application = create_app(make_config(tmp_path, database_url, redis_url))
    _APPS.append(application)
    yield application
    _APPS.remove(application)
    application.extensions["c2c_engine"].dispose()
    _wipe(schema_engine)


@pytest.fixture
def redis_conn(app: Flask, redis_url: str) -> Redis:
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    return conn


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session for arranging and checking data directly.

    No app context is kept pushed: Flask would reuse it for every test request, sharing
    `g` (and so the signed-in user and CSRF token) between requests.
    """
    s = new_session(app)
    yield s
    s.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def _make(*roles: str, totp: bool = True, email: str | None = None) -> User:
        """A new account with these roles; with `totp=False` it has no second factor yet
        (it must enrol at its first sign-in)."""
        with app.app_context():
            s = new_session(app)
            user = accounts.create_user(
                s, email or f"{'-'.join(roles) or 'staff'}{next(counter)}@test.c2c", PASSWORD,
                list(roles))
            if totp:
                user.totp_secret = keyring().seal(TOTP_SECRET.encode())
            s.commit()
            s.expunge(user)
            s.close()
            return user

    return _make


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no csrf token on {url}"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, object] | None = None,
              token_from: str = "/login", **kwargs: object):  # type: ignore[no-untyped-def]
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, token_from)
    return client.post(url, data=payload, **kwargs)  # type: ignore[arg-type]


# Apps made by the `app` fixture, so helpers without one (browser_login) can read the database.
_APPS: list[Flask] = []
SECRET_RE = re.compile(r'<p class="secret">.*?<code>([A-Z2-7]+)</code>', re.S)


def totp_code(user: User | str, app: Flask | None = None) -> str:
    """A code of the account's own key that the desk has not seen yet.

    Each 30-second step works once per account, and the desk accepts the steps either side of
    the current one: take the earliest unused of those three, or wait for the next step."""
    app = app or _APPS[-1]
    email = user if isinstance(user, str) else user.email
    with app.app_context():
        s = new_session(app)
        try:
            stored = accounts.get_by_email(s, email)
            assert stored is not None and stored.totp_secret is not None, f"{email} has no key"
            secret = keyring().open(stored.totp_secret).decode()
            last = stored.totp_last_step
        finally:
            s.close()
    while True:
        now = time.time()
        if now % 30 > 28:  # too close to the next step: the desk might see another one
            time.sleep(30 - now % 30 + 0.05)
            continue
        current = int(now // 30)
        for step in (current - 1, current, current + 1):
            if last is None or step > last:
                return pyotp.TOTP(secret).at(step * 30)
        time.sleep(30 - now % 30 + 0.05)


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    """Sign in through the real forms, second factor included (setting it up if the account
    has none yet)."""
    resp = post_form(client, "/login", {"email": user.email, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    app = client.application
    if resp.headers["Location"].endswith("/login/totp"):
        resp = post_form(client, "/login/totp", {"code": totp_code(user, app)}, token_from="/login/totp")
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    elif resp.headers["Location"].endswith("/login/totp/enrol"):
        page = client.get("/login/totp/enrol").get_data(as_text=True)
        match = SECRET_RE.search(page)
        assert match, page[:500]
        resp = post_form(client, "/login/totp/enrol", {"code": pyotp.TOTP(match.group(1)).now()},
                         token_from="/login/totp/enrol")
        assert resp.status_code == 200 and "recovery codes" in resp.get_data(as_text=True), \
            resp.get_data(as_text=True)[:500]
        return
    assert not resp.headers["Location"].endswith("/login")


@pytest.fixture
def signed_in(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """signed_in("moderator") -> a new user with that role, signed in on `client`."""

    def _sign_in(*roles: str) -> User:
        user = make_user(*roles)  # every staff account has a second factor
        login(client, user)
        return user

    return _sign_in
