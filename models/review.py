"""The review desk: human decisions with statements of reasons, appeals, webhook deliveries,
the safeguarding lead's referrals, notes and actions, and what we track for reviewer
wellbeing and automation bias.

A decision is always made by a person (`decided_by_id` is never null): the AI's view at the
time is stored next to it (`ai_band`, `ai_agreed`) only so that rubber-stamping can be seen.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.intake import ReviewItem


class DecisionAction(enum.StrEnum):
    NO_VIOLATION = "no_violation"
    REMOVE = "remove"
    RESTRICT = "restrict"  # hidden pending further review
    WARN = "warn"
    REQUEST_SUSPENSION = "request_suspension"
    ESCALATE_SAFEGUARDING = "escalate_safeguarding"
    ESCALATE_CASE = "escalate_case"


# Actions that restrict the author or their content (DSA Art. 17 applies).
RESTRICTIVE_ACTIONS = frozenset({
    DecisionAction.REMOVE, DecisionAction.RESTRICT, DecisionAction.WARN,
    DecisionAction.REQUEST_SUSPENSION,
})
ESCALATIONS = frozenset({DecisionAction.ESCALATE_SAFEGUARDING, DecisionAction.ESCALATE_CASE})


class DecisionKind(enum.StrEnum):
    INITIAL = "initial"
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_REVERSED = "appeal_reversed"


class PolicyReason(Base):
    """One ground of the platform's ethical guidelines / coexistence policy. Kept as data so
    admins can edit it; decisions snapshot the text they relied on."""

    __tablename__ = "policy_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    ground: Mapped[str] = mapped_column(Text)  # the policy text relied on, quoted in statements
    category: Mapped[str | None] = mapped_column(String(16), default=None)  # classifier category
    safeguarding: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=100)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Decision presets (review/presets.py): statement texts written for a child, editable at
    # /policy. None: never set (the seed text applies); "": the admin switched the preset off.
    template_action: Mapped[str | None] = mapped_column(Text, default=None)
    template_no_violation: Mapped[str | None] = mapped_column(Text, default=None)
    preset_action: Mapped[str] = mapped_column(String(24), default="remove")
    preset_duration: Mapped[str] = mapped_column(String(16), default="permanent")


class DeskSetting(Base):
    """Small admin-editable settings (e.g. the safeguarding target time)."""

    __tablename__ = "desk_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class ItemClaim(Base):
    """One moderator's claim on an item, from claim to decision/release (time-on-item)."""

    __tablename__ = "item_claims"
    __table_args__ = (Index("ix_item_claims_item_user", "item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(16), default=None)


class ItemTriage(Base):
    """Why an item sits where it does: the priority components stored by triage.refresh, so
    the explanation shown always matches the stored priority."""

    __tablename__ = "item_triage"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("review_items.id", ondelete="CASCADE"), primary_key=True
    )
    components: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)  # [[label, points]]
    safeguarding_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlaggerStats(Base):
    """Past outcomes of one platform-side pseudonymous flagger (no personal data)."""

    __tablename__ = "flagger_stats"

    pseudonym: Mapped[str] = mapped_column(String(128), primary_key=True)
    decided: Mapped[int] = mapped_column(default=0)
    upheld: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_item", "item_id"),
        Index("ix_decisions_decider_at", "decided_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20), default=DecisionKind.INITIAL)
    action: Mapped[str] = mapped_column(String(24))
    reason_code: Mapped[str] = mapped_column(String(40))
    policy_reason_id: Mapped[int | None] = mapped_column(ForeignKey("policy_reasons.id"))
    # On an appeal: the decision under review (self-reference keeps the FK graph acyclic).
    reviews_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), default=None)
    case_file_id: Mapped[int | None] = mapped_column(ForeignKey("case_files.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    item_version: Mapped[int] = mapped_column()  # the version the moderator saw
    # Automation-bias watch: what the AI said, how long the person looked, did they agree.
    time_on_item_seconds: Mapped[float | None] = mapped_column(default=None)
    ai_category: Mapped[str | None] = mapped_column(String(16), default=None)
    ai_band: Mapped[str | None] = mapped_column(String(8), default=None)
    ai_model_version: Mapped[str | None] = mapped_column(String(64), default=None)
    ai_agreed: Mapped[bool | None] = mapped_column(default=None)
    # Wellbeing collapse: had this moderator revealed the sensitive content before deciding?
    # None when the content was not sensitive (shown openly).
    content_revealed: Mapped[bool | None] = mapped_column(default=None)
    # A spam-wave decision: the decision taken on the item the moderator had open.
    bulk_of_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), default=None)

    statement: Mapped[StatementOfReasons] = relationship(
        back_populates="decision", uselist=False, cascade="all, delete-orphan"
    )


class StatementOfReasons(Base):
    """DSA Art. 17 statement for one decision, frozen at decision time."""

    __tablename__ = "statements_of_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), unique=True)
    restriction: Mapped[str] = mapped_column(Text)  # what is restricted (or "nothing")
    duration: Mapped[str] = mapped_column(String(40))  # for how long
    facts: Mapped[str] = mapped_column(Text)  # facts and circumstances relied on
    source: Mapped[str] = mapped_column(String(16))  # notice | own_initiative
    automated_detection: Mapped[bool] = mapped_column()
    automated_note: Mapped[str] = mapped_column(Text)
    automated_decision: Mapped[bool] = mapped_column(default=False)  # always False here
    policy_code: Mapped[str] = mapped_column(String(40))
    policy_ground: Mapped[str] = mapped_column(Text)
    redress: Mapped[str] = mapped_column(Text)

    decision: Mapped[Decision] = relationship(back_populates="statement")


class WebhookStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    NOT_CONFIGURED = "not_configured"  # no C2C_WEBHOOK_URL: kept, visible, sent once configured


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=WebhookStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    duration_ms: Mapped[int] = mapped_column(default=0)


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REVERSED = "reversed"


class Appeal(Base):
    """A complaint about a decision (DSA Art. 20), forwarded by the platform."""

    __tablename__ = "appeals"
    __table_args__ = (
        UniqueConstraint("api_client_id", "platform_ref"),
        Index("ix_appeals_item_status", "item_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"))
    appellant: Mapped[str] = mapped_column(String(8))  # author | flagger
    appellant_pseudonym: Mapped[str | None] = mapped_column(String(128), default=None)
    text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    status: Mapped[str] = mapped_column(String(12), default=AppealStatus.OPEN)
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"), default=None)
    platform_ref: Mapped[str | None] = mapped_column(String(128), default=None)
    # Whoever made the decision under appeal may not review it.
    original_decider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class ReferralStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SafeguardingReferral(Base):
    """An item on the safeguarding lead's desk: a minor may be at risk."""

    __tablename__ = "safeguarding_referrals"
    __table_args__ = (
        Index("ix_safeguarding_referrals_status", "status", "opened_at"),
        Index("ix_safeguarding_referrals_child", "child_pseudonym"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The flagged item it came from, or None for a concern that began as an anonymous report.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), unique=True,
                                                default=None)
    # The anonymous report (case file) this referral is, or is linked to: its sealed text,
    # receipt and messaging thread stay in the case file, so the reporter follows up as before.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_files.id"), unique=True, default=None)
    # Kept in step with the people (the first child at risk; "" while no child is identified);
    # the chronology reads the people rows, never this column.
    child_pseudonym: Mapped[str] = mapped_column(String(128))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(8), default=ReferralStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    # The named lead who owns the referral and the deputy who covers for them (both hold the
    # safeguarding_lead role); set round robin when the referral opens, reassignable.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)

    item: Mapped[ReviewItem | None] = relationship()


class RiskAssessment(Base):
    """The lead's judgement of a referral's risk, with the reason, kept as history (the
    latest row is the referral's level; without one the desk shows its own proposal)."""

    __tablename__ = "safeguarding_risk_assessments"
    __table_args__ = (Index("ix_safeguarding_risk_referral", "referral_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_referrals.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column()  # 3 urgent | 2 high | 1 standard
    proposed_level: Mapped[int] = mapped_column()  # what the desk proposed at the time
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SafeguardingPerson(Base):
    """Someone in a referral, with the part they play in it: a child at risk, the person of
    concern, or someone else involved (e.g. an adult who flagged it).

    Derived from the item, its flags and its conversation (`source="derived"`, refreshed
    while nobody corrected it); once the lead corrects a row it is `source="corrected"` and
    never overwritten by derivation again."""

    __tablename__ = "safeguarding_people"
    __table_args__ = (
        UniqueConstraint("referral_id", "pseudonym"),
        Index("ix_safeguarding_people_pseudonym", "pseudonym"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_referrals.id", ondelete="CASCADE"))
    # A platform pseudonym, or the lead's short description of someone not on the platform
    # or not yet identified ("girl, 12, in the reporter's class").
    pseudonym: Mapped[str] = mapped_column(String(128))
    part: Mapped[str] = mapped_column(String(20))  # child_at_risk | person_of_concern | involved
    platform_role: Mapped[str] = mapped_column(String(16), default="unknown")  # student, teacher, ...
    age_band: Mapped[str] = mapped_column(String(16), default="unknown")  # under13 … adult, unknown
    how_involved: Mapped[str] = mapped_column(String(16), default="author")  # author | flagger | conversation | added
    source: Mapped[str] = mapped_column(String(10), default="derived")  # derived | corrected
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class SafeguardingAction(Base):
    """A note or action by the safeguarding lead, with who and when. Free text is sealed."""

    __tablename__ = "safeguarding_actions"
    __table_args__ = (
        Index("ix_safeguarding_actions_child_at", "child_pseudonym", "at"),
        Index("ix_safeguarding_actions_referral", "referral_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("safeguarding_referrals.id", ondelete="SET NULL"), default=None
    )
    child_pseudonym: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(24))
    detail_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_deliveries.id"), default=None)
    # Whom the action was about (None on rows made before people were recorded, and for
    # actions on the whole referral such as closing it).
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("safeguarding_people.id", ondelete="SET NULL"), default=None
    )
    # External referrals: the authority (a public body's name, not personal data) and its
    # reference number for the matter (sealed: it points at a child's file there).
    authority: Mapped[str | None] = mapped_column(String(200), default=None)
    authority_ref_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Requests that change something on the platform can be withdrawn until this moment.
    withdrawable_until: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    withdrawal_delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_deliveries.id"), default=None
    )


class SafeguardingAlert(Base):
    """An in-app alert for the lead: carries no content, only the referral it points to."""

    __tablename__ = "safeguarding_alerts"
    __table_args__ = (Index("ix_safeguarding_alerts_seen", "seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_referrals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # routed | escalated | reopened
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(default=None)
    seen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class ContentReveal(Base):
    """A moderator chose to see an item's sensitive content (one action, a POST, so it works
    without JavaScript and is recorded). Decisions note whether it happened before them."""

    __tablename__ = "content_reveals"
    __table_args__ = (Index("ix_content_reveals_item_user", "item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemNote(Base):
    """An internal note on an item (issue 22.6): for colleagues only, never sent to the
    author, never in a statement of reasons or a webhook. With `asked_id` it is a question
    to a senior colleague: the item waits in their "asked of you" list until they answer."""

    __tablename__ = "item_notes"
    __table_args__ = (
        Index("ix_item_notes_item", "item_id"),
        Index("ix_item_notes_open_asks", "asked_id", postgresql_where=text("answered_at IS NULL"),
              sqlite_where=text("answered_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    asked_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)


class AccountNote(Base):
    """A moderator's note about an author's account as a whole (issue 22.5), internal only.
    Keyed by the platform pseudonym; the text is sealed."""

    __tablename__ = "account_notes"
    __table_args__ = (Index("ix_account_notes_pseudonym", "pseudonym", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    text_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class SavedQueueView(Base):
    """A moderator's named queue filter (issue 22.3): only filter values, never content."""

    __tablename__ = "saved_queue_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_queue_views_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewerExposure(Base):
    """A reviewer opened a high-severity item (counted once per item per day)."""

    __tablename__ = "reviewer_exposures"
    __table_args__ = (UniqueConstraint("user_id", "day", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow)
