"""What a moderator asks for when deciding an item: shared by decisions.py and statements.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DecisionRequest:
    item_id: int
    version: int
    action: str
    reason_code: str
    facts: str
    duration: str = ""
    restriction: str = ""
    appeal_outcome: str | None = None  # "uphold" | "reverse" when reviewing an appeal
    # Sensitive content the moderator never revealed: they confirmed deciding without looking.
    confirm_unrevealed: bool = False
    # Escalating to safeguarding: also ask the platform to hide the content now (review/hide.py).
    hide_content: bool = False
    # "No violation" on a child-safety item about a minor: the moderator confirmed it, and the
    # author gets a supportive notice with help (review/support.py).
    confirm_support: bool = False
