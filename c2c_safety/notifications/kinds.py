"""The kinds of notice, who may receive each, and which cannot be switched to in-app only."""

from __future__ import annotations

from models import Role

SAFEGUARDING_URGENT = "safeguarding_urgent"
NEW_CASE = "new_case"
APPEAL = "appeal"
DEADLINE_SOON = "deadline_soon"
DEADLINE_MISSED = "deadline_missed"
WEBHOOK_FAILING = "webhook_failing"
AUDIT_ALARM = "audit_alarm"  # the audit sequencer found the log forked or could not run (audit/)
SAFEGUARDING_OVERDUE = "safeguarding_overdue"  # cover: safeguarding/escalation.py
HANDOVER = "handover"
SECOND_OPINION = "second_opinion"  # a colleague asked you about an item (review/second_opinion.py)

# The notice's category: the only words about the event a notice ever carries.
LABELS: dict[str, str] = {
    SAFEGUARDING_URGENT: "New urgent safeguarding referral",
    NEW_CASE: "New case for your desk",
    APPEAL: "New appeal to review",
    DEADLINE_SOON: "Deadline due within 24 hours",
    DEADLINE_MISSED: "Deadline missed",
    WEBHOOK_FAILING: "Webhook deliveries keep failing",
    AUDIT_ALARM: "Audit log incident: the sequencer stalled",
    SAFEGUARDING_OVERDUE: "Overdue safeguarding referral nobody has taken up",
    HANDOVER: "Handed over to you",
    # The whole text of the notice and its e-mail: the question itself is shown only on the desk.
    SECOND_OPINION: "You were asked for a second opinion",
}

# The inbox groups open notices by kind: "12 new urgent safeguarding referrals".
PLURALS: dict[str, str] = {
    SAFEGUARDING_URGENT: "new urgent safeguarding referrals",
    NEW_CASE: "new cases for your desk",
    APPEAL: "new appeals to review",
    DEADLINE_SOON: "deadlines due within 24 hours",
    DEADLINE_MISSED: "deadlines missed",
    WEBHOOK_FAILING: "days of webhook deliveries failing",
    HANDOVER: "referrals or cases handed over to you",
    AUDIT_ALARM: "audit log incidents",
    SAFEGUARDING_OVERDUE: "overdue safeguarding referrals nobody has taken up",
    SECOND_OPINION: "requests for a second opinion",
}

# Urgent safeguarding always reaches the safeguarding leads by e-mail: a child may be at
# risk, and nobody should have to be looking at the inbox to learn of it.
# An audit incident is e-mailed too: whoever stalled the log may also be reading the inbox.
ALWAYS_EMAIL = frozenset({SAFEGUARDING_URGENT, AUDIT_ALARM, SAFEGUARDING_OVERDUE})

# Which kinds each role can receive: the preferences page offers these.
_CASE_ROLES = frozenset({Role.SAFEGUARDING_LEAD, Role.CASE_HANDLER, Role.CEO, Role.INDEPENDENT_REVIEWER})
FOR_ROLES: dict[str, frozenset[str]] = {
    SAFEGUARDING_URGENT: frozenset({Role.SAFEGUARDING_LEAD}),
    NEW_CASE: _CASE_ROLES,
    APPEAL: frozenset({Role.MODERATOR}),
    DEADLINE_SOON: _CASE_ROLES,
    DEADLINE_MISSED: _CASE_ROLES,
    WEBHOOK_FAILING: frozenset({Role.ADMIN}),
    AUDIT_ALARM: frozenset({Role.ADMIN, Role.INDEPENDENT_REVIEWER}),
    SAFEGUARDING_OVERDUE: frozenset({Role.SAFEGUARDING_LEAD, Role.CEO}),
    HANDOVER: _CASE_ROLES,
    SECOND_OPINION: frozenset({Role.MODERATOR}),
}


def kinds_for(role_names: frozenset[str]) -> list[str]:
    """The kinds a person with these roles can receive, in LABELS order."""
    return [k for k in LABELS if FOR_ROLES[k] & role_names]


def label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " "))


def counted(kind: str, n: int) -> str:
    """"1 new case for your desk" / "12 new urgent safeguarding referrals"."""
    if n == 1:
        one = {HANDOVER: "referral or case handed over to you",
               SECOND_OPINION: "request for a second opinion"}.get(kind) or label(kind)
        return f"1 {one[0].lower()}{one[1:]}"
    return f"{n} {PLURALS.get(kind, label(kind).lower())}"
