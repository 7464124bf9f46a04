"""Staff accounts, their roles, role grants, sessions, recovery codes and the sign-in throttle."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Role(enum.StrEnum):
    MODERATOR = "moderator"
    SAFEGUARDING_LEAD = "safeguarding_lead"
    CASE_HANDLER = "case_handler"
    CEO = "ceo"
    INDEPENDENT_REVIEWER = "independent_reviewer"
    ADMIN = "admin"


# Every staff role reads children's data or whistleblower cases, so every role needs a second
# factor (c2c_safety.accounts.totp enforces it at sign-in, core.access on every request).
ROLES_REQUIRING_TOTP = frozenset(Role)

# Granting one of these needs a second person's confirmation (c2c_safety.accounts.grants).
PRIVILEGED_ROLES = frozenset({Role.ADMIN, Role.CEO, Role.SAFEGUARDING_LEAD, Role.INDEPENDENT_REVIEWER})


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(100))
    # Sealed with the data key (core.crypto); None until the person enrols.
    totp_secret: Mapped[bytes | None] = mapped_column(default=None)
    totp_last_step: Mapped[int | None] = mapped_column(default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # For the access review (accounts.access_review): the last full sign-in.
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)
    # The desk's page language this person chose (core.locale.STAFF_LANGUAGES); None: the
    # browser's. Kept on the account, never in a cookie.
    language: Mapped[str | None] = mapped_column(String(8), default=None)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    # The Flask-Login user protocol, written out so models/ needs no web imports.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # Only names the account: whether a cookie still opens a session is decided by its
        # StaffSession row (core.access.load_staff), which sign-out and the like revoke.
        return str(self.id)


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))

    user: Mapped[User] = relationship(back_populates="roles")


class SessionStage(enum.StrEnum):
    SECOND_FACTOR = "second_factor"  # password right; waits for a TOTP or recovery code
    ENROL = "enrol"  # password right, no second factor yet: may set one up, nothing else
    FULL = "full"  # signed in


class StaffSession(Base):
    """One browser's sign-in, from the password step on; the cookie holds a random token, the
    database its SHA-256. Every request checks the row, so revoking it ends the session at
    once (sign-out, password or role change, two-factor reset, disabling)."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # The sign-in throttle bucket this browser's attempts count against (see LoginThrottle).
    throttle_key: Mapped[str] = mapped_column(String(64), default="")
    # Wrong codes or passwords given in this session (second factor, step-up forms).
    failed_attempts: Mapped[int] = mapped_column(default=0)
    # Sealed (core.crypto): the authenticator key being set up, until it is confirmed.
    new_totp_secret_sealed: Mapped[bytes | None] = mapped_column(default=None)


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator (a lost phone). Stored as scrypt."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class GrantStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class RoleGrant(Base):
    """A request to give someone a privileged role; it takes effect when a second person
    confirms it (c2c_safety.accounts.grants)."""

    __tablename__ = "role_grants"
    __table_args__ = (
        # At most one open request per person and role.
        Index("uq_role_grants_pending", "user_id", "role", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=GrantStatus.PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                      default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    # The independent reviewer role also needs the incoming person's own acceptance (given
    # after signing in): the second person's confirmation is kept here until then.
    seconded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                       default=None)
    seconded_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id], lazy="joined")


class LoginThrottle(Base):
    """Failed sign-in steps of one bucket: an account as seen from unknown browsers, or an
    account on one known browser (a device cookie). Keyed by a hash, never by a client address;
    exists for unknown e-mails too, so the answers do not tell who has an account."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    blocked_until: Mapped[datetime | None] = mapped_column(default=None)


class Invitation(Base):
    """A single-use, expiring link with which a new colleague chooses their own password
    (and then sets up their second factor): no admin ever knows it. The token is stored as
    its SHA-256 (accounts.invitations)."""

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AccessReview(Base):
    """The quarterly access review: the independent reviewer confirms or flags, for every
    account, the roles it holds (accounts.access_review)."""

    __tablename__ = "access_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class AccessReviewEntry(Base):
    __tablename__ = "access_review_entries"
    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("access_reviews.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    roles: Mapped[str] = mapped_column(String(200))  # the roles as reviewed, comma-separated
    verdict: Mapped[str] = mapped_column(String(12))  # confirmed | flagged
    note: Mapped[str] = mapped_column(String(500), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
