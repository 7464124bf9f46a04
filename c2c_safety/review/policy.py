"""The policy list (reason codes for decisions) and the desk's admin-editable settings.

Reasons are data, seeded from the platform's ethical guidelines and coexistence policy and
editable by admins. A decision snapshots the ground's text into its statement of reasons,
so editing the list later never rewrites what a user was told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from models import User, utcnow
from models.review import DecisionAction, DeskSetting, PolicyReason


class PolicyError(ValueError):
    """A rule about the policy list or settings was broken; the message is safe to show.
    `field` names the form field it is about (None: the code)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SeedReason:
    code: str
    label: str
    ground: str
    category: str | None
    safeguarding: bool = False


GUIDELINES = "Class2Class ethical guidelines"
COEXISTENCE = "Class2Class coexistence policy"

SEED_REASONS: tuple[SeedReason, ...] = (
    SeedReason("bullying_harassment", "Bullying or harassment",
               f"{COEXISTENCE}, 'Respect for everyone': no insulting, mocking, excluding or "
               "repeatedly targeting another participant.", "harassment"),
    SeedReason("hate", "Hate or discrimination",
               f"{GUIDELINES}, 'Equal dignity': no content attacking people for who they are "
               "(origin, religion, disability, gender, sexual orientation or similar).", "hate"),
    SeedReason("violence_threats", "Violence or threats",
               f"{COEXISTENCE}, 'Safety': no threats of violence or encouragement of harm to "
               "others.", "threat"),
    SeedReason("sexual_content", "Sexual content",
               f"{GUIDELINES}, 'Age-appropriate platform': no sexual content or sexualised "
               "comments.", "sexual", safeguarding=True),
    SeedReason("grooming_child_safety", "Grooming or child safety",
               f"{GUIDELINES}, 'Child safety first': no attempts to build inappropriate trust "
               "with a child, move them to private channels, or ask for images or secrets.",
               "grooming", safeguarding=True),
    SeedReason("self_harm", "Self-harm or suicide",
               f"{GUIDELINES}, 'Care for each other': content promoting or describing self-harm "
               "is restricted and the person is offered help.", "self_harm", safeguarding=True),
    SeedReason("privacy", "Privacy or personal data",
               f"{COEXISTENCE}, 'Privacy': no sharing of someone's address, phone number, "
               "photos or other personal data without consent.", None),
    SeedReason("spam_scam", "Spam or scams",
               f"{COEXISTENCE}, 'Meaningful collaboration': no advertising, chain messages, "
               "scams or links to unsafe sites.", None),
    SeedReason("impersonation", "Impersonation",
               f"{COEXISTENCE}, 'Honesty': no pretending to be another student, teacher or "
               "school.", None),
    SeedReason("inappropriate_for_age", "Inappropriate for age",
               f"{GUIDELINES}, 'Age-appropriate platform': no swearing, crude or shocking "
               "content unsuitable for the participants' ages.", "profanity"),
    SeedReason("other", "Other breach of the guidelines",
               f"{GUIDELINES} and {COEXISTENCE}: another breach, described in the facts.", None),
)

# Settings kept as data. Values are strings; each getter parses and bounds its own.
SAFEGUARDING_TARGET_HOURS = "safeguarding_target_hours"
DEFAULT_SAFEGUARDING_TARGET_HOURS = 24
MAX_TARGET_HOURS = 24 * 14


def seed_reasons(session: Session) -> int:
    """Insert any seed reason not present yet, and give seeded reasons their statement
    templates unless an admin set them (idempotent); return how many were added."""
    from c2c_safety.review.presets import apply_seed_templates

    have = {row.code: row for row in session.scalars(select(PolicyReason))}
    added = 0
    for pos, r in enumerate(SEED_REASONS):
        row = have.get(r.code)
        if row is None:
            row = PolicyReason(code=r.code, label=r.label, ground=r.ground, category=r.category,
                               safeguarding=r.safeguarding, position=(pos + 1) * 10)
            session.add(row)
            added += 1
        apply_seed_templates(row)
    session.flush()
    return added


def reasons(session: Session, *, active_only: bool = True) -> list[PolicyReason]:
    stmt = select(PolicyReason).order_by(PolicyReason.position, PolicyReason.label)
    if active_only:
        stmt = stmt.where(PolicyReason.active.is_(True))
    rows = list(session.scalars(stmt))
    if not rows and session.scalar(select(PolicyReason.id).limit(1)) is None:
        seed_reasons(session)  # a fresh database still offers the list
        rows = list(session.scalars(stmt))
    return rows


def reason_by_code(session: Session, code: str) -> PolicyReason | None:
    for obj in session.identity_map.values():  # the decide form has just loaded the list
        if isinstance(obj, PolicyReason) and obj.code == code:
            return obj
    row = session.scalars(select(PolicyReason).where(PolicyReason.code == code)).first()
    if row is None and session.scalar(select(PolicyReason.id).limit(1)) is None:
        seed_reasons(session)  # a fresh database: the default list applies
        row = session.scalars(select(PolicyReason).where(PolicyReason.code == code)).first()
    return row


def save_reason(
    session: Session,
    *,
    actor: User,
    code: str,
    label: str,
    ground: str,
    category: str | None,
    safeguarding: bool,
    active: bool,
    position: int,
    reason_id: int | None = None,
    template_action: str | None = None,
    template_no_violation: str | None = None,
    preset_action: str | None = None,
    preset_duration: str | None = None,
) -> PolicyReason:
    """Create (reason_id None) or update a reason; the code of an existing reason is fixed.
    Template arguments left None keep what the reason has."""
    code = code.strip().lower()
    if not code.replace("_", "").isalnum():
        raise PolicyError(_("Use lower-case letters, digits and underscores for the code."))
    if reason_id is None:
        if reason_by_code(session, code) is not None:
            raise PolicyError(_("A reason with that code already exists."))
        row = PolicyReason(code=code)
        session.add(row)
        action = "policy.reason_created"
    else:
        found = session.get(PolicyReason, reason_id)
        if found is None:
            raise PolicyError(_("No such reason."))
        row = found
        action = "policy.reason_updated"
    row.label, row.ground, row.category = label.strip(), ground.strip(), category or None
    row.safeguarding, row.active, row.position = safeguarding, active, position
    _set_templates(row, template_action, template_no_violation, preset_action, preset_duration)
    row.updated_at = utcnow()
    session.flush()
    audit.record(session, action, actor=actor, target_type="policy_reason", target_id=row.id,
                 details={"code": row.code, "active": row.active, "safeguarding": row.safeguarding})
    return row


def _set_templates(row: PolicyReason, action_text: str | None, no_text: str | None,
                   action: str | None, duration: str | None) -> None:
    from c2c_safety.review.statements import DURATION_ACTIONS, DURATIONS

    for name, text in (("template_action", action_text), ("template_no_violation", no_text)):
        if text is None:
            continue
        text = text.strip()
        if text and not 20 <= len(text) <= 2000:
            raise PolicyError(_("A statement template is 20 to 2,000 characters, or empty to switch it off."), name)
        setattr(row, name, text)
    if action is not None:
        if action not in set(DecisionAction):
            raise PolicyError(_("Choose the action the preset proposes."), "preset_action")
        row.preset_action = action
    if duration is None:
        return
    if row.preset_action not in DURATION_ACTIONS:
        row.preset_duration = ""
    elif duration in DURATIONS:
        row.preset_duration = duration
    elif (row.template_action or "").strip():
        raise PolicyError(_("This action needs a duration for its preset."), "preset_duration")
    else:
        row.preset_duration = "permanent"  # no preset text: the duration is never offered


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(DeskSetting, key)
    return row.value if row is not None else None


def set_setting(session: Session, key: str, value: str, *, actor: User) -> None:
    row = session.get(DeskSetting, key)
    old = row.value if row is not None else None
    if row is None:
        row = DeskSetting(key=key, value=value)
        session.add(row)
    row.value, row.updated_at, row.updated_by_id = value, utcnow(), actor.id
    session.flush()
    audit.record(session, "settings.changed", actor=actor, target_type="setting", target_id=key,
                 details={"from": old, "to": value})


def safeguarding_target_hours(session: Session) -> int:
    raw = get_setting(session, SAFEGUARDING_TARGET_HOURS)
    try:
        hours = int(raw) if raw is not None else DEFAULT_SAFEGUARDING_TARGET_HOURS
    except ValueError:
        hours = DEFAULT_SAFEGUARDING_TARGET_HOURS
    return hours if 1 <= hours <= MAX_TARGET_HOURS else DEFAULT_SAFEGUARDING_TARGET_HOURS


def safeguarding_target(session: Session) -> timedelta:
    return timedelta(hours=safeguarding_target_hours(session))


def set_safeguarding_target_hours(session: Session, hours: int, *, actor: User) -> None:
    if not 1 <= hours <= MAX_TARGET_HOURS:
        raise PolicyError(_("Give a target between 1 and %(n)s hours.", n=MAX_TARGET_HOURS))
    set_setting(session, SAFEGUARDING_TARGET_HOURS, str(hours), actor=actor)
