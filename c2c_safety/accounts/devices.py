"""Device cookies: a browser that completed a sign-in is recognised at the next one.

After a full sign-in the desk sets `c2c_device`, signed with the secret key, holding for up
to five accounts a random nonce and a prefix of the account key (a hash of the e-mail). At
the next password step for one of those accounts, the browser's failures count against its
own throttle bucket instead of the account's "unknown browsers" bucket, and the per-client
limit does not apply: a stranger hammering a colleague's e-mail slows only unknown browsers
(OWASP's "device cookie" defence against lock-out).

The cookie authenticates nothing (the password and the second factor are still needed), is
scoped to /login (never sent to /report or any other page), HttpOnly, SameSite=Strict, Secure
behind TLS, and expires after 90 days.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from c2c_safety.accounts.throttle import account_bucket, device_bucket

COOKIE = "c2c_device"
PATH = "/login"
MAX_AGE = 90 * 24 * 3600
MAX_ACCOUNTS = 5
_PREFIX = 32  # hex characters of the account key kept in the cookie


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="c2c-device-cookie")


def _entries(cookie: str | None) -> list[tuple[str, str]]:
    if not cookie or len(cookie) > 4096:
        return []
    try:
        data = _serializer().loads(cookie, max_age=MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return []
    if not isinstance(data, list):
        return []
    out = []
    for item in data[:MAX_ACCOUNTS]:
        if (isinstance(item, list) and len(item) == 2
                and all(isinstance(x, str) and 0 < len(x) <= 64 for x in item)):
            out.append((item[0], item[1]))
    return out


@dataclass(frozen=True)
class Bucket:
    key: str
    known_device: bool


def bucket_for(account_key: str, cookie: str | None) -> Bucket:
    """The throttle bucket of a sign-in for this account from the browser sending `cookie`."""
    for prefix, nonce in _entries(cookie):
        if prefix == account_key[:_PREFIX]:
            return Bucket(device_bucket(account_key, nonce), True)
    return Bucket(account_bucket(account_key), False)


def remember(account_key: str, cookie: str | None) -> str:
    """The cookie value after a full sign-in: this account first, its nonce kept if known."""
    entries = _entries(cookie)
    nonce = next((n for p, n in entries if p == account_key[:_PREFIX]), None) or secrets.token_urlsafe(16)
    rest = [[p, n] for p, n in entries if p != account_key[:_PREFIX]]
    value: str = _serializer().dumps([[account_key[:_PREFIX], nonce], *rest][:MAX_ACCOUNTS])
    return value
