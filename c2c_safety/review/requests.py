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
