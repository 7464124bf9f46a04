"""Staff accounts, their roles and the sign-in throttle."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Role(enum.StrEnum):
    MODERATOR = "moderator"
    SAFEGUARDING_LEAD = "safeguarding_lead"
    CASE_HANDLER = "case_handler"
    CEO = "ceo"
    INDEPENDENT_REVIEWER = "independent_reviewer"
    ADMIN = "admin"


# Accounts holding these roles cannot work without a second factor.
ROLES_REQUIRING_TOTP = frozenset({Role.ADMIN, Role.INDEPENDENT_REVIEWER})


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
    # Bumped on password change and disable so existing sessions stop working.
    session_version: Mapped[int] = mapped_column(default=1)

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
        # The version makes old sessions invalid after a password or role change.
        return f"{self.id}:{self.session_version}"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))

    user: Mapped[User] = relationship(back_populates="roles")


class LoginFailure(Base):
    """One failed sign-in, keyed by a hash of the normalised e-mail (no client address)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "account_key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
