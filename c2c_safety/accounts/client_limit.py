"""A per-client limit on failed staff sign-in steps (/login routes only).

This is the only module of the desk that reads a client address, and only the staff sign-in
views call it; the anonymous channel never does (tests/accounts/test_throttle.py checks both).
The address is kept only as an HMAC under a key derived from the secret key (so the stored
value cannot be turned back into an address by trying all 2^32 IPv4 addresses), in Redis,
with an expiry of `client_window_seconds` (10 minutes; far inside the 90 days the privacy
statement allows for staff-side security logs). Nothing else about the client is kept.

Browsers that signed in to the account before (a device cookie) are not counted here: a
flood from one address — or from a proxy that hides every address behind its own — cannot
shut colleagues out of their own browsers.

If Redis is down the limit is skipped (logged): the per-account delays in the database
still hold, and staff must be able to sign in during a Redis outage.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from flask import current_app, request
from redis.exceptions import RedisError

from c2c_safety.core.redis_conn import get_redis

log = logging.getLogger(__name__)
PREFIX = "c2c:staff-login-client:"


def _address() -> str:
    cfg = current_app.config["C2C"]
    if cfg.client_address_header:
        # Set by our own proxy on /login (docs/deploy.md); the first hop is the client.
        return request.headers.get(cfg.client_address_header, "").split(",")[0].strip()[:64]
    return request.remote_addr or ""


def client_key() -> str:
    """The Redis key of this request's client (an HMAC of its address, never the address)."""
    secret = hashlib.sha256(b"c2c-staff-client\x00" + current_app.config["SECRET_KEY"].encode()).digest()
    digest = hmac.new(secret, _address().encode(), hashlib.sha256).hexdigest()[:32]
    return PREFIX + digest


def retry_after(key: str) -> int:
    """Seconds this client must wait, or 0."""
    cfg = current_app.config["C2C"]
    try:
        conn = get_redis()
        count = int(conn.get(key) or 0)
        if count < cfg.client_max_failures:
            return 0
        ttl = int(conn.ttl(key))
    except (RedisError, OSError, ValueError) as exc:
        log.warning("client sign-in limit skipped: %s", type(exc).__name__)
        return 0
    return ttl if ttl > 0 else cfg.client_window_seconds


def fail(key: str) -> None:
    """Count one failed sign-in step for this client; the window starts at its first failure."""
    cfg = current_app.config["C2C"]
    try:
        pipe = get_redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, cfg.client_window_seconds, nx=True)
        pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("client sign-in limit not counted: %s", type(exc).__name__)
