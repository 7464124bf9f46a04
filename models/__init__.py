"""SQLAlchemy models of c2c-safety. Importing this package registers every table."""

from models import review as review  # registers the review desk's tables (decisions, appeals…)
from models.accounts import ROLES_REQUIRING_TOTP, LoginFailure, Role, User, UserRole
from models.audit import AuditAnchor, AuditEvent
from models.base import Base, UTCDateTime, utcnow
from models.cases import (
    SUBSTANTIATED_OUTCOMES,
    AlertKind,
    Attachment,
    CaseAlert,
    CaseCategory,
    CaseExclusion,
    CaseFile,
    CaseMessage,
    CaseNote,
    CaseOutcome,
    CaseRedaction,
    CaseSource,
    CaseStatus,
    CaseTransition,
    ExclusionKind,
    LegalHold,
)
from models.intake import ApiClient, Flag, ItemStatus, ReviewItem, ScoreStatus
from models.retention import (
    AnonymisedRecord,
    PeriodUnit,
    RetentionCategory,
    RetentionPolicy,
    RetentionRun,
)
from models.reviewer import QualitySample, ReviewNote, Verdict
from models.scoring import ItemScore

__all__ = [
    "ROLES_REQUIRING_TOTP",
    "SUBSTANTIATED_OUTCOMES",
    "AlertKind",
    "AnonymisedRecord",
    "ApiClient",
    "Attachment",
    "AuditAnchor",
    "AuditEvent",
    "Base",
    "CaseAlert",
    "CaseCategory",
    "CaseExclusion",
    "CaseFile",
    "CaseMessage",
    "CaseNote",
    "CaseOutcome",
    "CaseRedaction",
    "CaseSource",
    "CaseStatus",
    "CaseTransition",
    "ExclusionKind",
    "Flag",
    "ItemScore",
    "ItemStatus",
    "LegalHold",
    "LoginFailure",
    "PeriodUnit",
    "QualitySample",
    "RetentionCategory",
    "RetentionPolicy",
    "RetentionRun",
    "ReviewItem",
    "ReviewNote",
    "Role",
    "ScoreStatus",
    "UTCDateTime",
    "User",
    "UserRole",
    "Verdict",
    "utcnow",
]
