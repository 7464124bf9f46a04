"""Reasons and the second look, enforced on the server (issue 19, item 8).

Every step that changes a child's or an adult's life on the platform — a restriction, a
suspension, a consent block, withdrawing one of them — and closing a referral needs its
rationale: written, not blank, at least MIN_RATIONALE characters (`actions.rationale`). The
form cannot skip it: the services check it whatever the page sent.

The confirmation page is not only a page: it carries a signed, short-lived token (`issue`)
bound to the person confirming, the referral, the person it is about, the exact action and
a digest of the exact rationale shown. The POST that acts must bring it back (`redeem`): a
direct POST without one, a token older than MAX_AGE, a token for another person, action,
referral, user or reason, and a token already used are all refused before anything is
recorded or sent. Spent nonces are kept (`ConfirmationUse`) in the acting transaction, so a
refused action (rolled back) leaves its token usable and a done one can never repeat.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c2c_safety.safeguarding.actions import MIN_RATIONALE as MIN_RATIONALE
from c2c_safety.safeguarding.actions import SafeguardingError
from c2c_safety.safeguarding.actions import rationale as rationale
from models import User, utcnow
from models.safeguarding_records import ConfirmationUse

MAX_AGE_SECONDS = 15 * 60  # long enough to read the page and think; short enough not to linger
SALT = "c2c-safeguarding-confirmation"


class ConfirmationError(SafeguardingError):
    """The confirmation is missing, expired, spent or for something else (safe to show)."""


@dataclass(frozen=True)
class Subject:
    """What one confirmation is for."""

    referral_id: int
    person_id: int | None
    action: str  # e.g. "request_restriction" or "withdraw:17"

    @property
    def purpose(self) -> str:
        return f"r{self.referral_id}:p{self.person_id or 0}:{self.action}"[:60]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def issue(user: User, subject: Subject, rationale_text: str) -> str:
    """A token for the confirmation page (changes nothing)."""
    return str(_serializer().dumps({"u": user.id, "s": subject.purpose, "h": _digest(rationale_text),
                                    "n": secrets.token_urlsafe(18)}))


def redeem(session: Session, token: str | None, user: User, subject: Subject, rationale_text: str, *,
           max_age: int = MAX_AGE_SECONDS) -> None:
    """Spend a token in the caller's transaction, or raise ConfirmationError."""
    if not token:
        raise ConfirmationError(_("This needs its confirmation page first: go back to the referral and "
                                  "continue to confirmation."))
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ConfirmationError(_("The confirmation expired. Go back to the referral and confirm again.")) from None
    except BadSignature:
        raise ConfirmationError(
            _("The confirmation is not valid. Go back to the referral and confirm again.")) from None
    if not isinstance(data, dict) or data.get("u") != user.id or data.get("s") != subject.purpose:
        raise ConfirmationError(_("This confirmation was for another person or another action. Go back to "
                                  "the referral and confirm again."))
    if data.get("h") != _digest(rationale_text):
        raise ConfirmationError(_("The reason differs from the one you confirmed. Go back and confirm again."))
    nonce = str(data.get("n") or "")[:40]
    if not nonce:
        raise ConfirmationError(_("The confirmation is not valid. Go back to the referral and confirm again."))
    if session.get(ConfirmationUse, nonce) is not None:
        raise ConfirmationError(_("This confirmation was already used. Go back to the referral to see what "
                                  "was done."))
    try:
        with session.begin_nested():
            session.add(ConfirmationUse(nonce=nonce, user_id=user.id, purpose=subject.purpose, used_at=utcnow()))
            session.flush()
    except IntegrityError:
        raise ConfirmationError(_("This confirmation was already used.")) from None
