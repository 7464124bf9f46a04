"""The kinds of notice, who may receive each, and which cannot be switched to in-app only."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import LazyString, lazy_gettext, ngettext

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
LABELS: dict[str, LazyString] = {
    SAFEGUARDING_URGENT: lazy_gettext("New urgent safeguarding referral"),
    NEW_CASE: lazy_gettext("New case for your desk"),
    APPEAL: lazy_gettext("New appeal to review"),
    DEADLINE_SOON: lazy_gettext("Deadline due within 24 hours"),
    DEADLINE_MISSED: lazy_gettext("Deadline missed"),
    WEBHOOK_FAILING: lazy_gettext("Webhook deliveries keep failing"),
    AUDIT_ALARM: lazy_gettext("Audit log incident: the sequencer stalled"),
    SAFEGUARDING_OVERDUE: lazy_gettext("Overdue safeguarding referral nobody has taken up"),
    HANDOVER: lazy_gettext("Handed over to you"),
    # The whole text of the notice and its e-mail: the question itself is shown only on the desk.
    SECOND_OPINION: lazy_gettext("You were asked for a second opinion"),
}

# The inbox groups open notices by kind: "12 new urgent safeguarding referrals".
# Whole sentences per kind, so each language can inflect the count its own way.
COUNTED: dict[str, Callable[[int], str]] = {
    SAFEGUARDING_URGENT: lambda n: ngettext("%(num)d new urgent safeguarding referral",
                                            "%(num)d new urgent safeguarding referrals", n),
    NEW_CASE: lambda n: ngettext("%(num)d new case for your desk", "%(num)d new cases for your desk", n),
    APPEAL: lambda n: ngettext("%(num)d new appeal to review", "%(num)d new appeals to review", n),
    DEADLINE_SOON: lambda n: ngettext("%(num)d deadline due within 24 hours",
                                      "%(num)d deadlines due within 24 hours", n),
    DEADLINE_MISSED: lambda n: ngettext("%(num)d deadline missed", "%(num)d deadlines missed", n),
    WEBHOOK_FAILING: lambda n: ngettext("%(num)d webhook deliveries keep failing",
                                        "%(num)d days of webhook deliveries failing", n),
    HANDOVER: lambda n: ngettext("%(num)d referral or case handed over to you",
                                 "%(num)d referrals or cases handed over to you", n),
    AUDIT_ALARM: lambda n: ngettext("%(num)d audit log incident: the sequencer stalled",
                                    "%(num)d audit log incidents", n),
    SAFEGUARDING_OVERDUE: lambda n: ngettext("%(num)d overdue safeguarding referral nobody has taken up",
                                             "%(num)d overdue safeguarding referrals nobody has taken up", n),
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
    known = LABELS.get(kind)
    return str(known) if known is not None else kind.replace("_", " ")


def counted(kind: str, n: int) -> str:
    """"1 new case for your desk" / "12 new urgent safeguarding referrals"."""
    sentence = COUNTED.get(kind)
    if sentence is not None:
        return sentence(n)
    return f"{n} {label(kind).lower()}"
