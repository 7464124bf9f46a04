"""Reviewing an appeal quickly (issue 22.4): "uphold" is one action, with an optional note,
and the original statement of reasons is kept (its ground, facts and duration; the note is
added to the facts as the answer to the complaint). "Reverse" uses the presets, each
replacing the original with another action. Both go through decisions.decide like every
decision: a different moderator, a live claim, the version seen, a new statement and webhook.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from c2c_safety.review import decisions, loop, statements
from c2c_safety.review.requests import DecisionRequest
from c2c_safety.review.skips import SkipList
from models import User
from models.review import Decision

MAX_NOTE = 2000
NOTE_INTRO = "We looked at this again after your complaint."
_DURATION_KEYS = {text: key for key, text in statements.DURATIONS.items()}


def original_decision(session: Session, item_id: int) -> Decision | None:
    appeal = decisions.open_appeal(session, item_id)
    return session.get(Decision, appeal.decision_id) if appeal is not None else None


def upheld_facts(original: Decision, note: str) -> str:
    """The original facts, kept, plus the moderator's note when there is one."""
    facts = original.statement.facts if original.statement is not None else ""
    note = note.strip()
    return f"{facts}\n\n{NOTE_INTRO} {note}" if note else facts


def uphold_request(session: Session, item_id: int, version: int, note: str, *,
                   confirm_unrevealed: bool = False, confirm_support: bool = False) -> DecisionRequest:
    """The request that upholds the decision under appeal with its own statement (raises
    DecisionError when there is no open appeal or the note is too long)."""
    if len(note) > MAX_NOTE:
        raise decisions.DecisionError(_("Keep the note under %(n)s characters.", n=MAX_NOTE), "note")
    original = original_decision(session, item_id)
    if original is None or original.statement is None:
        raise decisions.DecisionError(_("There is no open appeal on this item."))
    return DecisionRequest(
        item_id=item_id, version=version, action=original.action, reason_code=original.reason_code,
        facts=upheld_facts(original, note), duration=_DURATION_KEYS.get(original.statement.duration, ""),
        appeal_outcome="uphold", confirm_unrevealed=confirm_unrevealed, confirm_support=confirm_support)


def uphold(session: Session, user: User, item_id: int, version: int, note: str, *, then_next: bool,
           confirm_unrevealed: bool = False, confirm_support: bool = False,
           skips: SkipList | None = None) -> loop.LoopResult:
    """Uphold in one action (caller commits, then enqueues the deliveries)."""
    req = uphold_request(session, item_id, version, note, confirm_unrevealed=confirm_unrevealed,
                         confirm_support=confirm_support)
    return loop.decide(session, user, req, then_next=then_next, apply_to_same_text=False, skips=skips)
