"""API clients of the token API (`/api/v1/...`): keys, scopes, revocation.

A key looks like `c2c_1a2b3c4d_<43 url-safe characters>`: the first 12 characters are a
public prefix kept in clear for lookup, the rest is 256 bits from `secrets`. Only the
SHA-256 of the whole key is stored. A slow hash is not needed: the key is random and
long, so there is nothing to guess that a fast hash would make easier.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from models import ApiClient, User, utcnow

KEY_START = "c2c_"
PREFIX_LEN = 12  # "c2c_" + 8 hex characters
MAX_KEY_LEN = 200

# Every scope a route can ask for. Routes name one scope; a client holds several.
SCOPES: dict[str, LazyString] = {  # what each lets a client do, as the admin form shows it
    "flags:write": lazy_gettext("report flagged content (POST /api/v1/flags)"),
    "items:read": lazy_gettext("read the review status of items this client flagged (GET /api/v1/items/<id>)"),
    "appeals:write": lazy_gettext("forward a user's appeal against a decision (POST /api/v1/appeals)"),
}
DEFAULT_SCOPES = ("flags:write", "items:read", "appeals:write")

# Demo only (`flask demo seed`): a fixed, published key so the curl example works as printed.
DEMO_KEY = "c2c_demo0000_DEMO-ONLY-key-never-valid-outside-C2C_ENV-demo"


class ApiKeyError(ValueError):
    """A rule about API clients was broken; the message is safe to show."""


@dataclass(frozen=True)
class NewClient:
    client: ApiClient
    key: str  # shown once, never stored


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _new_key() -> str:
    return f"{KEY_START}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


def _check_scopes(scopes: list[str] | tuple[str, ...]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ApiKeyError(_("Unknown scope(s): %(unknown)s. Known: %(known)s.", unknown=", ".join(unknown),
                            known=", ".join(SCOPES)))
    if not scopes:
        raise ApiKeyError(_("Give at least one scope."))
    return sorted(set(scopes))


def get_by_name(session: Session, name: str) -> ApiClient | None:
    return session.scalars(select(ApiClient).where(ApiClient.name == name)).first()


def create_client(
    session: Session, name: str, scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES, *,
    key: str | None = None, actor: User | None = None,
) -> NewClient:
    """Register a client and return its key (the only time the key exists in clear).

    `key` is for the demo seeder only; everyone else gets a fresh random key. `actor`: the
    admin who did it from the admin pages (None: the command line).
    """
    name = name.strip()
    if not name or len(name) > 80:
        raise ApiKeyError(_("A client name is 1 to 80 characters."))
    if not name.isprintable():  # control characters (PostgreSQL refuses NUL outright)
        raise ApiKeyError(_("A client name cannot contain control characters."))
    if get_by_name(session, name) is not None:
        raise ApiKeyError(_("A client named %(name)s already exists (revoked ones keep their name).",
                            name=repr(name)))
    checked = _check_scopes(scopes)
    key = key or _new_key()
    client = ApiClient(name=name, key_prefix=key[:PREFIX_LEN], key_hash=hash_key(key),
                       scopes=" ".join(checked))
    session.add(client)
    session.flush()
    audit.record(session, "api_client.created", actor=actor, actor_label=None if actor else "cli",
                 target_type="api_client", target_id=client.id, details={"name": name, "scopes": checked})
    return NewClient(client, key)


def revoke_client(session: Session, name: str, *, actor: User | None = None) -> ApiClient:
    client = get_by_name(session, name)
    if client is None:
        raise ApiKeyError(_("No client named %(name)s.", name=repr(name)))
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        audit.record(session, "api_client.revoked", actor=actor, actor_label=None if actor else "cli",
                     target_type="api_client", target_id=client.id, details={"name": client.name})
    return client


def list_clients(session: Session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(ApiClient.name)))


# No cache of authenticated clients: every request reads its client (one indexed SELECT on
# the unique key prefix, sent in the request's own transaction), so a revocation committed
# by any process — another gunicorn worker, the CLI — refuses the very next request
# everywhere. The per-process cache this replaces saved that one statement and let a revoked
# key work for up to 10 s on every other worker (issue 20.4); `bench/bench_statements.py`
# measured the difference at about 0.1 ms of CPU per flag, inside its noise.


# Built once: building a statement per request (and its cache key) cost more than running it.
_BY_PREFIX = (select(ApiClient.id, ApiClient.name, ApiClient.key_hash, ApiClient.scopes, ApiClient.revoked_at)
              .where(ApiClient.key_prefix == bindparam("prefix")))


def authenticate(session: Session, key: str) -> ApiClient | None:
    """The active client owning `key`, or None (unknown, malformed or revoked), read from the
    database on every call: a revocation anywhere applies to the next request everywhere."""
    if not key.startswith(KEY_START) or len(key) > MAX_KEY_LEN or len(key) <= PREFIX_LEN:
        return None
    if key == DEMO_KEY and current_app.config["C2C"].env not in {"demo", "test"}:
        return None  # the demo key is published; it must never open a real desk
    digest = hash_key(key)
    # One indexed row, only the columns the API needs, as plain values, on the session's
    # connection (no identity map, no ORM execution layer): this runs on every API request.
    row = session.connection().execute(_BY_PREFIX, {"prefix": key[:PREFIX_LEN]}).first()
    # Hash and compare even when the prefix is unknown, so timing says nothing about prefixes.
    stored = row.key_hash if row is not None else "0" * 64
    if not hmac.compare_digest(stored, digest) or row is None or row.revoked_at is not None:
        return None
    # Detached and read-only: the view's commit never touches it.
    return ApiClient(id=row.id, name=row.name, key_prefix=key[:PREFIX_LEN], key_hash=row.key_hash,
                     scopes=row.scopes)


def has_scope(client: ApiClient, scope: str) -> bool:
    return scope in client.scopes.split()
