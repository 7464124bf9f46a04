"""Signing in: password, then the second factor (a code, a recovery code, or setting one up).

Every way into a signed-in session goes through `_complete`, and only from a pending
session row that the password step made for this account:

    password ─┬─ has a key ──▶ SECOND_FACTOR row ─┬─ TOTP code ─────┐
              │                                    └─ recovery code ─┤
              └─ has no key ─▶ ENROL row (its own new key) ─ code ───┴─▶ _complete ─▶ FULL row

A pending row lives 10 minutes, is used once and dies after five wrong codes; each stage
gets a new token. Every failed step counts against the throttle bucket (throttle.py) and,
from browsers the account does not know, the per-client limit (client_limit.py).
Password checks cost one bcrypt at the configured cost whether or not the account exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import bcrypt
from sqlalchemy.orm import Session

from c2c_safety.accounts import client_limit, devices, recovery, sessions, throttle, totp, users
from c2c_safety.audit import log as audit
from models import SessionStage, StaffSession, User, utcnow


class Outcome(StrEnum):
    SECOND_FACTOR = "second_factor"  # password right: a code (or recovery code) next
    ENROL = "enrol"  # password right, no key yet: set one up next
    SIGNED_IN = "signed_in"
    BAD = "bad"
    THROTTLED = "throttled"
    ENDED = "ended"  # the pending sign-in is over (too many wrong codes): start again
    PUBLISHED_KEY = "published_key"  # the account holds the demo's key outside a demo


@dataclass(frozen=True)
class StepResult:
    outcome: Outcome
    token: str = ""
    retry_after: int = 0
    user: User | None = None
    recovery_codes: tuple[str, ...] = ()


def _wait(session: Session, bucket: str, client: str | None) -> int:
    by_client = client_limit.retry_after(client) if client else 0
    if by_client:
        return by_client
    return throttle.check(session, bucket).retry_after


def _count_failure(session: Session, bucket: str, client: str | None) -> None:
    throttle.fail(session, bucket)
    if client:
        client_limit.fail(client)


def password_step(session: Session, email: str, password: str, *, device_cookie: str | None,
                  client: str | None) -> StepResult:
    """Check e-mail and password; on success open a pending session for the second factor.
    `client` is client_limit.client_key() of this request; the caller commits."""
    key = users.account_key(email)
    bucket = devices.bucket_for(key, device_cookie)
    client = None if bucket.known_device else client
    wait = _wait(session, bucket.key, client)
    if wait:
        return StepResult(Outcome.THROTTLED, retry_after=wait)
    user = users.get_for_sign_in(session, email)
    if not users.check_password(user, password) or user is None or not user.active:
        _count_failure(session, bucket.key, client)
        audit.record(session, "auth.login_failed", actor_label="anonymous", target_type="user",
                     target_id=user.id if user else "", details={"account": key[:16], "step": "password"})
        return StepResult(Outcome.BAD)
    if users.needs_rehash(user):
        # Bring older hashes to today's cost, so unknown and known e-mails cost the same.
        user.password_hash = bcrypt.hashpw(password.encode("utf-8")[:users.MAX_PASSWORD_BYTES],
                                           bcrypt.gensalt(users.bcrypt_cost())).decode()
    if totp.has_published_key(user):
        audit.record(session, "auth.published_key_refused", actor=user, target_type="user",
                     target_id=user.id)
        return StepResult(Outcome.PUBLISHED_KEY)
    if user.totp_secret is None:
        _, token = sessions.start(session, user, SessionStage.ENROL, throttle_key=bucket.key,
                                  new_totp_secret_sealed=totp.seal(totp.new_secret()))
        return StepResult(Outcome.ENROL, token=token, user=user)
    _, token = sessions.start(session, user, SessionStage.SECOND_FACTOR, throttle_key=bucket.key)
    return StepResult(Outcome.SECOND_FACTOR, token=token, user=user)


def _client_for(user: User, pending: StaffSession, client: str | None) -> str | None:
    """The per-client limit applies only to browsers the account does not know."""
    unknown = pending.throttle_key == throttle.account_bucket(users.account_key(user.email))
    return client if unknown else None


def _wrong_code(session: Session, user: User, pending: StaffSession, client: str | None,
                action: str) -> StepResult:
    _count_failure(session, pending.throttle_key, client)
    ended = sessions.count_failure(session, pending)
    audit.record(session, action, actor=user, target_type="user", target_id=user.id,
                 details={"session_ended": ended})
    return StepResult(Outcome.ENDED if ended else Outcome.BAD)


def _complete(session: Session, pending: StaffSession, user: User, method: str) -> str:
    sessions.revoke(session, pending)
    throttle.clear(session, pending.throttle_key)
    sessions.prune(session, user.id)
    _, token = sessions.start(session, user, SessionStage.FULL)
    user.last_sign_in_at = utcnow()  # for the access review
    audit.record(session, "auth.login", actor=user, target_type="user", target_id=user.id,
                 details={"second_factor": method})
    return token


def second_factor_step(session: Session, pending: StaffSession, code: str, *, client: str | None,
                       use_recovery_code: bool = False) -> StepResult:
    """A TOTP code (or a recovery code) for a SECOND_FACTOR row; the caller commits."""
    user = session.get(User, pending.user_id)
    if user is None or pending.stage != SessionStage.SECOND_FACTOR:
        return StepResult(Outcome.ENDED)
    client = _client_for(user, pending, client)
    wait = _wait(session, pending.throttle_key, client)
    if wait:
        return StepResult(Outcome.THROTTLED, retry_after=wait)
    if use_recovery_code:
        if not recovery.use(session, user, code):
            return _wrong_code(session, user, pending, client, "auth.recovery_code_failed")
        token = _complete(session, pending, user, "recovery_code")
    else:
        if not totp.check(session, user, code):
            return _wrong_code(session, user, pending, client, "auth.totp_failed")
        token = _complete(session, pending, user, "totp")
    return StepResult(Outcome.SIGNED_IN, token=token, user=user)


def enrol_step(session: Session, pending: StaffSession, code: str, *, client: str | None) -> StepResult:
    """The first code of the key shown on an ENROL row: sets the key (only on an account that
    still has none), makes recovery codes and signs in; the caller commits."""
    user = session.get(User, pending.user_id)
    secret = totp.open_sealed(pending.new_totp_secret_sealed)
    if user is None or pending.stage != SessionStage.ENROL or secret is None or user.totp_secret is not None:
        sessions.revoke(session, pending)
        return StepResult(Outcome.ENDED)
    client = _client_for(user, pending, client)
    wait = _wait(session, pending.throttle_key, client)
    if wait:
        return StepResult(Outcome.THROTTLED, retry_after=wait)
    if not totp.enrol(session, user, secret, code):
        return _wrong_code(session, user, pending, client, "auth.totp_failed")
    codes = recovery.generate(session, user)
    sessions.revoke_all(session, user.id, keep=pending.id)  # a rival enrolment dies here
    token = _complete(session, pending, user, "totp_enrolled")
    return StepResult(Outcome.SIGNED_IN, token=token, user=user, recovery_codes=tuple(codes))


def enrolment_secret(pending: StaffSession) -> str | None:
    return totp.open_sealed(pending.new_totp_secret_sealed)
