"""SQLAlchemy models of c2c-safety. Importing this package registers every table."""

from models.accounts import ROLES_REQUIRING_TOTP, LoginFailure, Role, User, UserRole
from models.audit import AuditAnchor, AuditEvent
from models.base import Base, UTCDateTime, utcnow
from models.cases import (
    Attachment,
    CaseCategory,
    CaseFile,
    CaseMessage,
    CaseSource,
    CaseStatus,
)
from models.intake import ApiClient, Flag, ItemStatus, ReviewItem, ScoreStatus
from models.scoring import ItemScore

__all__ = [
    "ROLES_REQUIRING_TOTP",
    "ApiClient",
    "Attachment",
    "AuditAnchor",
    "AuditEvent",
    "Base",
    "CaseCategory",
    "CaseFile",
    "CaseMessage",
    "CaseSource",
    "CaseStatus",
    "Flag",
    "ItemScore",
    "ItemStatus",
    "LoginFailure",
    "ReviewItem",
    "Role",
    "ScoreStatus",
    "UTCDateTime",
    "User",
    "UserRole",
    "utcnow",
]
