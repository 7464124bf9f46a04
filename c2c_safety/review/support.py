"""Support first (issue 19.5): "no violation" on a child-safety item about a minor.

A self-harm post that breaks no rule is still a child who may be in crisis; a grooming or
sexual flag that was not a violation may still be a child who was frightened. Such a "no
violation" needs the moderator's confirmation (the desk asks once, like deciding without
looking), and its `decision.made` webhook carries a supportive notice for the author with
helplines for the school's country, which the platform shows with the statement. The
statement never thanks "whoever told us" (the author reads it).

Helplines are public numbers, not personal data; 116 111 is the EU-wide number for child
helplines, so it is the fallback everywhere in Europe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from c2c_safety.review import priority
from models import ReviewItem
from models.review import DecisionAction

SUPPORT_CATEGORIES = priority.SENSITIVE_CATEGORIES  # self-harm, grooming, sexual


@dataclass(frozen=True)
class Helpline:
    name: str
    number: str
    note: str


EMERGENCY = Helpline("Emergency services", "112", "if someone is in danger right now")
HELPLINES: dict[str, Helpline] = {
    "DK": Helpline("BørneTelefonen", "116 111", "free and anonymous, for children and young people"),
    "DE": Helpline("Nummer gegen Kummer", "116 111", "free and anonymous, for children and young people"),
    "SE": Helpline("BRIS", "116 111", "free and anonymous, for children and young people"),
    "NO": Helpline("Alarmtelefonen for barn og unge", "116 111", "free, day and night"),
    "FI": Helpline("MLL Lasten ja nuorten puhelin", "116 111", "free and anonymous"),
    "GB": Helpline("Childline", "0800 1111", "free, day and night"),
    "IE": Helpline("Childline", "1800 66 66 66", "free, day and night"),
}
DEFAULT = Helpline("Child helpline", "116 111", "the child helpline number in most European countries")
EMERGENCY_NUMBERS: dict[str, str] = {"GB": "999", "US": "911"}

MESSAGES: dict[str, str] = {
    "self_harm": ("We read what you wrote and we want to check that you are okay. If you feel very sad, "
                  "or think about hurting yourself, you do not have to deal with it alone: talk to a "
                  "teacher or another adult you trust, or call a helpline below. They listen, and you "
                  "can stay anonymous."),
    "child_safety": ("If someone online asks you for secrets, pictures or to talk somewhere private, or "
                     "something made you feel scared or uncomfortable, it is never your fault. Tell a "
                     "teacher or another adult you trust, or call a helpline below."),
}


def support_kind(item: ReviewItem, scores: Mapping[str, float] | None) -> str | None:
    """'self_harm' or 'child_safety' when a "no violation" on this item needs the support
    notice (and the moderator's confirmation); None otherwise."""
    if not item.minor_involved:
        return None
    cats = priority.categories_in_play(item, scores) & SUPPORT_CATEGORIES
    if not cats:
        return None
    return "self_harm" if "self_harm" in cats else "child_safety"


def needs_confirmation(item: ReviewItem, scores: Mapping[str, float] | None, action: str) -> str | None:
    return support_kind(item, scores) if action == DecisionAction.NO_VIOLATION else None


def helplines(country: str | None) -> list[Helpline]:
    code = (country or "").upper()
    line = HELPLINES.get(code, DEFAULT)
    emergency = Helpline(EMERGENCY.name, EMERGENCY_NUMBERS.get(code, EMERGENCY.number), EMERGENCY.note)
    return [line, emergency]


def notice(kind: str, country: str | None) -> dict[str, object]:
    """The supportive notice in the `decision.made` payload (docs/api.md)."""
    return {"kind": kind, "message": MESSAGES[kind],
            "helplines": [{"name": h.name, "number": h.number, "note": h.note} for h in helplines(country)]}
