"""Time-based one-time codes (RFC 6238): setting up, checking, replacing and resetting.

Rules that keep the second factor a second factor:
- a key is set up only on an account that has none (the database update itself says
  `WHERE totp_secret IS NULL`, so two racing enrolments cannot both win);
- replacing it needs the current factor (a code or a recovery code), in a full session;
- an admin may reset another person's factor (audited, every session of theirs ends), never
  their own; the server's CLI is the trust root for the last admin;
- each 30-second step is accepted once per account (no replay), also under concurrency;
- the demo's published key works only with C2C_ENV=demo or test.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from c2c_safety.accounts.sessions import revoke_all
from c2c_safety.accounts.users import AccountError
from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import keyring
from models import RecoveryCode, User, utcnow

# Printed by `flask demo seed` and in the README; anyone may know it, so it is refused as a
# factor unless the desk runs as a demo or under test.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_PUBLISHED = frozenset({DEMO_TOTP_SECRET, DEMO_TOTP_SECRET[:16]})
STEP = 30
ISSUER = "Class2Class safety desk"


def published_keys_allowed() -> bool:
    return str(current_app.config["C2C"].env) in {"demo", "test"}


def new_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def seal(secret: str) -> bytes:
    if secret.upper() in _PUBLISHED and not published_keys_allowed():
        raise AccountError(_("The demo's published two-factor key cannot be stored outside a demo."))
    return keyring().seal(secret.encode())


def open_sealed(blob: bytes | None) -> str | None:
    return keyring().open(blob).decode() if blob is not None else None


def has_published_key(user: User) -> bool:
    """The account carries a key printed in the docs, and the desk is not a demo."""
    secret = open_sealed(user.totp_secret)
    return secret is not None and secret.upper() in _PUBLISHED and not published_keys_allowed()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The setup link as a QR code, an SVG data: URI (the CSP allows `img-src data:`; no
    script, nothing from another host). Black on white with the standard quiet zone so phone
    cameras read it in dark mode too."""
    uri_out: str = segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    return uri_out


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def matching_step(secret: str, code: str, last_step: int | None, now: datetime | None = None) -> int | None:
    """The time step `code` belongs to (one step of clock drift either way), if it is later
    than the last step this account used."""
    code = normalise_code(code)
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((now or utcnow()).timestamp()) // STEP
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP), code) and (last_step is None or step > last_step):
            return step
    return None


def _consume(session: Session, user: User, step: int) -> bool:
    """Mark the step used, atomically: of two requests with one code only one wins."""
    result = session.execute(
        update(User).where(User.id == user.id,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    session.expire(user, ["totp_last_step"])
    return True


def check(session: Session, user: User, code: str) -> bool:
    """Is this a fresh code of the account's own key? Uses the code up if so. A published
    key is refused outside a demo."""
    if has_published_key(user):
        return False
    secret = open_sealed(user.totp_secret)
    if secret is None:
        return False
    step = matching_step(secret, code, user.totp_last_step)
    return step is not None and _consume(session, user, step)


def enrol(session: Session, user: User, secret: str, code: str) -> bool:
    """Set the first key of an account that has none, once its code checks out."""
    step = matching_step(secret, code, None)
    if step is None:
        return False
    result = session.execute(
        update(User).where(User.id == user.id, User.totp_secret.is_(None))
        .values(totp_secret=seal(secret), totp_last_step=step)
        .execution_options(synchronize_session=False))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise AccountError(_("Two-factor sign-in is already set up for this account."))
    session.expire(user, ["totp_secret", "totp_last_step"])
    audit.record(session, "auth.totp_enrolled", actor=user, target_type="user", target_id=user.id)
    return True


def replace(session: Session, user: User, secret: str, code: str) -> bool:
    """Swap in a new key (the caller has checked the current factor) once its code checks out."""
    step = matching_step(secret, code, None)
    if step is None:
        return False
    user.totp_secret = seal(secret)
    user.totp_last_step = max(step, user.totp_last_step or step)
    session.flush()
    audit.record(session, "auth.totp_replaced", actor=user, target_type="user", target_id=user.id)
    return True


def _clear(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    revoke_all(session, user.id)
    session.flush()


def reset_by_admin(session: Session, user: User, *, actor: User) -> None:
    """An admin removes someone else's second factor (a lost phone and lost recovery codes):
    every session of theirs ends and they set up a new one at their next sign-in."""
    if actor.id == user.id:
        raise AccountError(_("You cannot reset your own two-factor sign-in; ask another admin."))
    if not actor.active or not actor.has_role("admin"):
        raise AccountError(_("Only an admin can reset two-factor sign-in."))
    _clear(session, user)
    audit.record(session, "account.totp_reset", actor=actor, target_type="user", target_id=user.id)


def reset_from_server(session: Session, user: User) -> None:
    """`flask users reset-two-factor`: the server's shell is the trust root (e.g. the only
    admin lost both phone and recovery codes)."""
    _clear(session, user)
    audit.record(session, "account.totp_reset", actor_label="cli", target_type="user",
                 target_id=user.id)
