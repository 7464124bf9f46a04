"""Stateless form tokens for the anonymous forms: CSRF protection without a cookie.

A token is `{purpose, nonce}` signed with the secret key and time-stamped (itsdangerous).
It proves the form came from our own page within TOKEN_MAX_AGE, so a hostile page cannot
post the form blind, and its nonce, remembered in Redis once used, stops a reload of the
result page from sending the same report or message twice. Nothing ties a token to a
person: it holds no address, no cookie and no account.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from redis.exceptions import RedisError

from c2c_safety.core.redis_conn import EmbeddedRedisError, get_redis

SALT = "c2c.report.form-token"
TOKEN_MAX_AGE = 12 * 3600  # a frightened reporter may take their time writing


@dataclass(frozen=True)
class TokenCheck:
    ok: bool
    nonce: str = ""
    problem: str = ""  # "expired" | "invalid"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue(purpose: str) -> str:
    return _serializer().dumps({"p": purpose, "n": secrets.token_urlsafe(12)})


def check(token: str, purpose: str) -> TokenCheck:
    try:
        data = _serializer().loads(token[:500], max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        return TokenCheck(False, problem="expired")
    except BadSignature:
        return TokenCheck(False, problem="invalid")
    if not isinstance(data, dict) or data.get("p") != purpose or not isinstance(data.get("n"), str):
        return TokenCheck(False, problem="invalid")
    return TokenCheck(True, nonce=data["n"])


def _key(nonce: str) -> str:
    return f"c2c:report:token-used:{nonce}"


def already_used(nonce: str) -> bool:
    try:
        return bool(get_redis().exists(_key(nonce)))
    except (RedisError, OSError, EmbeddedRedisError):
        return False  # Redis down: accept; at worst a reload sends a second copy


def mark_used(nonce: str) -> None:
    with contextlib.suppress(RedisError, OSError, EmbeddedRedisError):
        get_redis().set(_key(nonce), b"1", ex=TOKEN_MAX_AGE + 60)
