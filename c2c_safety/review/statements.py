"""Statements of reasons (DSA Art. 17), webhook payloads and flagger statistics for decisions.

A statement says what is restricted and for how long, the facts and circumstances relied
on, whether the case came from a notice or the platform's own initiative, that automated
means at most detected and assessed the content (a person decided), the policy ground,
and how to complain. It is frozen at decision time.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from c2c_safety.core.locale import N_
from models import ReviewItem, utcnow
from models.review import (
    Appeal,
    Decision,
    DecisionAction,
    DecisionKind,
    FlaggerStats,
    PolicyReason,
    StatementOfReasons,
)

if TYPE_CHECKING:
    from c2c_safety.review.requests import DecisionRequest

DURATIONS: dict[str, str] = {
    "permanent": N_("Permanently"),
    "until_review": N_("Until further review, at most 30 days"),
    "7_days": N_("For 7 days"),
    "30_days": N_("For 30 days"),
}
RESTRICTIVE_DURATIONS = frozenset(DURATIONS)
NOT_APPLICABLE = "Not applicable"
# Actions that need a duration (a warning restricts nothing in time).
DURATION_ACTIONS = frozenset({DecisionAction.REMOVE, DecisionAction.RESTRICT,
                              DecisionAction.REQUEST_SUSPENSION})

_RESTRICTION: dict[str, str] = {
    DecisionAction.NO_VIOLATION: "Nothing is restricted: the {ct} stays visible.",
    DecisionAction.REMOVE: "The {ct} is removed from Class2Class.",
    DecisionAction.RESTRICT: "The {ct} is hidden from other users pending further review.",
    DecisionAction.WARN: "Nothing is removed; the author receives a warning under the guidelines.",
    DecisionAction.REQUEST_SUSPENSION: "Class2Class is asked to suspend the author's account.",
    DecisionAction.ESCALATE_SAFEGUARDING: "Nothing is restricted by this step; the matter is "
                                          "referred to the safeguarding lead.",
    DecisionAction.ESCALATE_CASE: "Nothing is restricted by this step; the matter is referred to "
                                  "a case handler.",
}

HIDDEN_FOR_LEAD = ("The {ct} is hidden from other users while the safeguarding lead looks at it; it is "
                   "kept, not deleted, so the lead can see it.")
HIDDEN_DURATION = "Until the safeguarding lead decides"  # fits the 40-character column

# What a statement may claim was done, per recorded decision (issue 19.4): a statement never
# claims a removal, hiding, restriction or suspension that was not recorded.
EFFECTS: dict[str, frozenset[str]] = {
    DecisionAction.REMOVE: frozenset({"removed", "hidden"}),
    DecisionAction.RESTRICT: frozenset({"hidden", "restricted"}),
    DecisionAction.REQUEST_SUSPENSION: frozenset({"suspended", "restricted"}),
}
# A claim is "we (have) removed / will remove" or "it is / has been removed": first person or
# passive, so facts such as "the author blocked a classmate" are not read as our action.
_PARTICIPLES: dict[str, str] = {
    "removed": r"removed|deleted|taken (?:down|off)", "hidden": r"hidden|hid",
    "restricted": r"restricted|blocked", "suspended": r"suspended",
}
_VERBS: dict[str, str] = {
    "removed": r"remove|delete|take (?:it )?(?:down|off)", "hidden": r"hide",
    "restricted": r"restrict|block", "suspended": r"suspend",
}
_BEFORE = r"(?:we(?:'ve| have| had)?|is|are|was|were|be|been|gets?|got)\s+(?:\w+\s+)?"
_NEGATION = re.compile(r"(?:\b(?:nothing|not|never|no)\b|n't\b)[^.!?;:]*$", re.I)


def effects_of(action: str, hidden: bool) -> frozenset[str]:
    """What the recorded decision actually does to the content or the account."""
    out = EFFECTS.get(action, frozenset())
    return out | {"hidden"} if hidden else out


def claimed_effects(text: str) -> set[str]:
    """The actions a text says were (or will be) taken: "we have removed it", "it is hidden",
    "we will suspend"; a negation earlier in the same clause ("nothing is removed", "it is
    not hidden") does not count."""
    found: set[str] = set()
    for effect in _PARTICIPLES:
        pattern = (rf"\b{_BEFORE}(?:{_PARTICIPLES[effect]})\b"
                   rf"|\bwe(?:'ll| will| shall| are going to)?\s+(?:{_VERBS[effect]})\b"
                   rf"|\basked to (?:{_VERBS[effect]})\b")
        for m in re.finditer(pattern, text, re.I):
            negated = _NEGATION.search(text[:m.end()]) or re.match(r"\s+(?:nothing|no\b)", text[m.end():], re.I)
            if not negated:
                found.add(effect)
    return found


def unrecorded_claims(text: str, action: str, hidden: bool) -> set[str]:
    return claimed_effects(text) - effects_of(action, hidden)


REDRESS = ("You can ask Class2Class to look at this decision again through the complaint form "
           "on the platform, free of charge, within six months; a different person will review "
           "it. You can also turn to a certified out-of-court dispute settlement body or to a "
           "court. A parent, teacher or other trusted adult can help you with this.")
REDRESS_AFTER_APPEAL = ("This decision answers a complaint and was taken by a moderator who did "
                        "not take the original decision. You can still turn to a certified "
                        "out-of-court dispute settlement body or to a court.")


def source_of(item: ReviewItem) -> str:
    """'notice' if anyone flagged it; 'own_initiative' if only the platform's systems did."""
    return "notice" if any(f.flagger_role != "system" for f in item.flags) else "own_initiative"


def automated_note(item: ReviewItem, score_version: str | None) -> tuple[bool, str]:
    system_flag = any(f.flagger_role == "system" for f in item.flags)
    parts: list[str] = []
    if system_flag:
        parts.append("The platform's automated filters detected this content.")
    if score_version:
        parts.append(f"Automated means ({score_version}) assessed it to help order the review "
                     "queue.")
    detected = bool(parts)
    if not detected:
        parts.append("No automated means were used to detect or assess this content.")
    parts.append("Automated means did not take this decision: a moderator reviewed the "
                 "content and decided.")
    return detected, " ".join(parts)


def build(item: ReviewItem, action: str, reason: PolicyReason, req: DecisionRequest, *,
          score_version: str | None, appeal: Appeal | None) -> StatementOfReasons:
    hidden = req.hide_content and action == DecisionAction.ESCALATE_SAFEGUARDING
    ct = item.content_type.replace("_", " ")
    restriction = HIDDEN_FOR_LEAD.format(ct=ct) + " The matter is referred to the safeguarding lead." \
        if hidden else _RESTRICTION[action].format(ct=ct)
    extra = req.restriction.strip()
    if extra:
        restriction = f"{restriction} {extra}"
    duration = DURATIONS[req.duration] if action in DURATION_ACTIONS else NOT_APPLICABLE
    detected, note = automated_note(item, score_version)
    return StatementOfReasons(
        restriction=restriction,
        duration=HIDDEN_DURATION if hidden else duration,
        facts=req.facts.strip(), source=source_of(item), automated_detection=detected,
        automated_note=note, automated_decision=False, policy_code=reason.code,
        policy_ground=f"{reason.label}. {reason.ground}",
        redress=REDRESS_AFTER_APPEAL if appeal is not None else REDRESS,
    )


def payload(item: ReviewItem, decision: Decision, original: Decision | None,
            appeal: Appeal | None) -> dict[str, Any]:
    """What the platform needs to act and to tell the user. No staff identity, no scores."""
    st = decision.statement
    return {
        "decision_id": decision.id,
        "kind": decision.kind,
        "action": decision.action,
        "decided_at": decision.created_at.isoformat(),
        "decided_by_human": True,
        "content": {"type": item.content_type, "id": item.platform_content_id},
        "author": {"id": item.author_pseudonym},
        "appeal": ({"id": appeal.id, "appellant": appeal.appellant, "original_decision_id":
                    original.id if original else None, "original_action":
                    original.action if original else None} if appeal is not None else None),
        "statement_of_reasons": {
            "restriction": st.restriction, "duration": st.duration, "facts": st.facts,
            "source": st.source, "automated_detection": st.automated_detection,
            "automated_note": st.automated_note, "automated_decision": False,
            "policy": {"code": st.policy_code, "ground": st.policy_ground},
            "redress": st.redress,
        },
    }


def _upheld(action: str | None) -> int:
    return 0 if action in (None, DecisionAction.NO_VIOLATION) else 1


def update_flagger_stats(session: Session, item: ReviewItem, action: str,
                         original_action: str | None) -> None:
    """Count each human flagger's outcome once per decision (upsert: races are safe)."""
    names = sorted({f.flagger_pseudonym for f in item.flags if f.flagger_role != "system"})
    if not names:
        return
    if original_action is None:
        d_decided, d_upheld = 1, _upheld(action)
    else:  # an appeal outcome corrects the earlier count; decided stays the same
        d_decided, d_upheld = 0, _upheld(action) - _upheld(original_action)
        if d_upheld == 0:
            return
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    # One multi-row upsert: concurrent decisions sharing a flagger both count.
    stmt = dialect_insert(FlaggerStats).values(
        [{"pseudonym": name, "decided": d_decided, "upheld": max(d_upheld, 0), "updated_at": now}
         for name in names])
    stmt = stmt.on_conflict_do_update(
        index_elements=[FlaggerStats.pseudonym],
        set_={"decided": FlaggerStats.decided + d_decided, "upheld": FlaggerStats.upheld + d_upheld,
              "updated_at": now})
    session.execute(stmt)


def kind_label(kind: str) -> str:
    # Shown on staff pages only (statements to users never carry it), so in the page's language.
    labels: dict[str, str] = {DecisionKind.INITIAL: _("Decision"), DecisionKind.APPEAL_UPHELD: _("Appeal: upheld"),
                              DecisionKind.APPEAL_REVERSED: _("Appeal: reversed")}
    return labels.get(kind, kind)

