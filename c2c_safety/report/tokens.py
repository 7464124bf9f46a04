"""Stateless form tokens for the anonymous forms: CSRF protection without a cookie.

A token is `{purpose, nonce}` signed with the secret key and time-stamped (itsdangerous).
It proves the form came from our own page within TOKEN_MAX_AGE, so a hostile page cannot
post the form blind, and its nonce, remembered in Redis once used, stops a reload of the
result page from sending the same report or message twice. Nothing ties a token to a
person: it holds no address, no cookie and no account.

The report form's token also carries the follow-up code the report will get, sealed
(AES-GCM under the data key, core/crypto): chosen when the form is given out, so that a
reload of the receipt page — or a phone restoring a discarded tab, which re-sends the same
form — can show the same code again for RECEIPT_AGAIN_SECONDS after the report was sent,
without the desk storing anything (docs/reporting.md, "A code that cannot be lost").
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from redis.exceptions import RedisError

from c2c_safety.core.crypto import CryptoError, open_text, seal_text
from c2c_safety.core.redis_conn import EmbeddedRedisError, get_redis

SALT = "c2c.report.form-token"
TOKEN_MAX_AGE = 12 * 3600  # a frightened reporter may take their time writing
RECEIPT_AGAIN_SECONDS = 3600  # a reload within an hour of sending shows the code again


@dataclass(frozen=True)
class TokenCheck:
    ok: bool
    nonce: str = ""
    problem: str = ""  # "expired" | "invalid"
    secret: str | None = None  # the sealed code, opened (report form tokens only)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue(purpose: str, secret: str | None = None) -> str:
    data = {"p": purpose, "n": secrets.token_urlsafe(12)}
    if secret is not None:
        data["s"] = base64.urlsafe_b64encode(seal_text(secret) or b"").decode()
    return _serializer().dumps(data)


def _open_secret(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return open_text(base64.urlsafe_b64decode(value.encode()))
    except (CryptoError, binascii.Error, ValueError):
        return None  # e.g. sealed under a key since retired: the form still works, a new code is made


def check(token: str, purpose: str) -> TokenCheck:
    try:
        data = _serializer().loads(token[:1000], max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        return TokenCheck(False, problem="expired")
    except BadSignature:
        return TokenCheck(False, problem="invalid")
    if not isinstance(data, dict) or data.get("p") != purpose or not isinstance(data.get("n"), str):
        return TokenCheck(False, problem="invalid")
    return TokenCheck(True, nonce=data["n"], secret=_open_secret(data.get("s")))


def _key(nonce: str) -> str:
    return f"c2c:report:token-used:{nonce}"


def already_used(nonce: str) -> bool:
    try:
        return bool(get_redis().exists(_key(nonce)))
    except (RedisError, OSError, EmbeddedRedisError):
        return False  # Redis down: accept; at worst a reload sends a second copy


def mark_used(nonce: str) -> None:
    with contextlib.suppress(RedisError, OSError, EmbeddedRedisError):
        get_redis().set(_key(nonce), str(int(time.time())).encode(), ex=TOKEN_MAX_AGE + 60)


def claim(nonce: str) -> bool:
    """Mark a token used, atomically; False if it already was. Two posts of the same form at
    once (a double tap, a tab restored while the first post is on its way) make one report."""
    try:
        return bool(get_redis().set(_key(nonce), str(int(time.time())).encode(), ex=TOKEN_MAX_AGE + 60,
                                    nx=True))
    except (RedisError, OSError, EmbeddedRedisError):
        return True  # Redis down: accept; at worst a reload sends a second copy


def release(nonce: str) -> None:
    """Undo a claim whose report could not be saved, so sending again works."""
    with contextlib.suppress(RedisError, OSError, EmbeddedRedisError):
        get_redis().delete(_key(nonce))


def used_within(nonce: str, seconds: int) -> bool:
    """True if the token was used no more than `seconds` ago."""
    try:
        raw = get_redis().get(_key(nonce))
    except (RedisError, OSError, EmbeddedRedisError):
        return False
    try:
        used = int(raw) if isinstance(raw, (bytes, str)) else None
    except ValueError:
        used = None  # an old marker ("1"): its time is unknown
    return used is not None and time.time() - used <= seconds
