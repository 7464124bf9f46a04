"""Decision presets: a policy reason's statement templates, so a common decision is one
choice and a submit, and the statement still reads well for a child.

Each policy reason (models.review.PolicyReason) carries two texts an admin edits at
/policy: one for acting on the ground (with the reason's preset action and duration) and
one for "no violation" on that ground. `{content}` becomes the kind of content ("chat
message", "post"), `{rule}` the reason's label in lower case; nothing else is replaced
(admin text is never used as a format string). An empty text switches that preset off.

A preset only fills the decision form: the moderator sees the statement, may edit it,
and submits; nothing is decided or pre-selected without them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from c2c_safety.core.locale import N_
from c2c_safety.review import priority
from models import ReviewItem
from models.review import DecisionAction, PolicyReason

MAX_SHOWN_FIRST = 9  # number keys 1-9
# Escalation is not an appeal outcome (decisions.APPEAL_ACTIONS).
REVERSE_EXCLUDED = frozenset({DecisionAction.ESCALATE_SAFEGUARDING, DecisionAction.ESCALATE_CASE})


@dataclass(frozen=True)
class SeedTemplate:
    action_text: str
    no_violation_text: str
    action: str = DecisionAction.REMOVE
    duration: str = "permanent"


# Written to the author, who is often a child: no "thank you to whoever told us" (issue 19.5).
_NO = ("We looked carefully at this {content}. It does not break the Class2Class rule about {rule}, "
       "so it stays. If something on Class2Class ever worries you, you can always talk to a teacher or "
       "another adult you trust.")
# Child-safety grounds: the decision also sends a supportive notice with helplines (review/support.py).
_NO_CHILD = ("We looked carefully at this {content}. It does not break the Class2Class rule about {rule}, "
             "so it stays. If someone ever asks you for secrets or pictures, or something makes you feel "
             "scared or uncomfortable, it is not your fault: tell a teacher or another adult you trust. "
             "You can also call a helpline for children; the numbers are below.")
_NO_SELF_HARM = ("We read your {content} carefully. It does not break the Class2Class rules, so it stays. "
                 "But we want to check that you are okay. If you feel very sad or think about hurting "
                 "yourself, you do not have to deal with it alone: talk to a teacher or another adult you "
                 "trust, or call a helpline for children; the numbers are below. They listen, and you can "
                 "stay anonymous.")
# Texts seeded by earlier versions, replaced where an admin never changed them.
_OLD_TEXTS = frozenset({
    "We looked carefully at this {content}. It does not break the Class2Class rule about {rule}, so it stays. "
    "Thank you to whoever told us: it is always right to ask when something worries you.",
    "We looked carefully at this {content} and did not find anything that breaks the Class2Class guidelines, "
    "so it stays. Thank you to whoever told us.",
    "Your {content} asked a young person for secrets or pictures, or to talk somewhere private. To keep "
    "children safe we have removed it, and a safeguarding lead will look at it.",
})

SEED_TEMPLATES: dict[str, SeedTemplate] = {
    "bullying_harassment": SeedTemplate(
        "Your {content} was unkind to another person. On Class2Class everyone must be treated with "
        "respect, so we have removed it. Please think about how your words make others feel.", _NO),
    "hate": SeedTemplate(
        "Your {content} said hurtful things about people because of who they are. Everyone on "
        "Class2Class is worth the same, so we have removed it.", _NO),
    "violence_threats": SeedTemplate(
        "Your {content} threatened to hurt someone. Threats are never okay on Class2Class, so we "
        "have removed it.", _NO),
    "sexual_content": SeedTemplate(
        "Your {content} had sexual content in it. Class2Class is a place for classrooms and "
        "children, so we have removed it.", _NO_CHILD),
    # An escalation restricts nothing by itself: the text never says "removed" (issue 19.4);
    # when the moderator also asks the platform to hide it, the statement's restriction says so.
    "grooming_child_safety": SeedTemplate(
        "Your {content} asked a young person for secrets or pictures, or to talk somewhere private. "
        "That is not allowed on Class2Class. To keep children safe, a safeguarding lead will look at it.",
        _NO_CHILD, action=DecisionAction.ESCALATE_SAFEGUARDING, duration=""),
    "self_harm": SeedTemplate(
        "We are worried about what this {content} says. A safeguarding lead at Class2Class will "
        "look at it and make sure you get help. You can always talk to a teacher or another adult "
        "you trust.", _NO_SELF_HARM, action=DecisionAction.ESCALATE_SAFEGUARDING, duration=""),
    "privacy": SeedTemplate(
        "Your {content} shared someone's personal details, like an address, a phone number or a "
        "photo, without asking them. We have removed it to protect them.", _NO),
    "spam_scam": SeedTemplate(
        "Your {content} looked like advertising, a chain message or a trick to make people click a "
        "link. We have removed it.", _NO),
    "impersonation": SeedTemplate(
        "Your {content} pretended to be someone else. On Class2Class people must be who they say "
        "they are, so we have removed it.", _NO),
    "inappropriate_for_age": SeedTemplate(
        "Your {content} had words or pictures that are not okay for the ages of the people here, "
        "so we have removed it.", _NO),
    "other": SeedTemplate(
        "", "We looked carefully at this {content} and did not find anything that breaks the "
        "Class2Class guidelines, so it stays. If something on Class2Class ever worries you, you can "
        "always talk to a teacher or another adult you trust."),
}


def apply_seed_templates(row: PolicyReason) -> bool:
    """Give a seeded reason its template texts unless an admin already set them (None =
    never set). Returns True when something changed."""
    seed = SEED_TEMPLATES.get(row.code)
    if seed is None:
        return False
    changed = False
    if row.template_action in _OLD_TEXTS:
        row.template_action = None
    if row.template_no_violation in _OLD_TEXTS:
        row.template_no_violation = None
    if row.template_action is None:
        row.template_action, row.preset_action, row.preset_duration = seed.action_text, seed.action, seed.duration
        changed = True
    if row.template_no_violation is None:
        row.template_no_violation, changed = seed.no_violation_text, True
    return changed


def templates(reason: PolicyReason) -> SeedTemplate:
    """The reason's templates as they apply now: the admin's, else the seed's (a database
    seeded before templates existed still offers them)."""
    seed = SEED_TEMPLATES.get(reason.code)
    if (reason.template_action is None or reason.template_action in _OLD_TEXTS) and seed is not None:
        action_text, action, duration = seed.action_text, seed.action, seed.duration
    else:
        action_text, action, duration = reason.template_action or "", reason.preset_action, reason.preset_duration
    no_text = reason.template_no_violation
    if no_text is None or no_text in _OLD_TEXTS:
        no_text = seed.no_violation_text if seed is not None else ""
    return SeedTemplate(action_text, no_text, action, duration)


def render(template: str, item: ReviewItem, reason: PolicyReason) -> str:
    """Fill the two placeholders; plain replacement, so `{0.__class__}` stays literal text."""
    return (template.replace("{content}", item.content_type.replace("_", " "))
            .replace("{rule}", reason.label.lower()))


@dataclass(frozen=True)
class Preset:
    key: str  # "<reason code>:<action>"
    label: str
    action: str
    reason_code: str
    duration: str
    facts: str
    in_play: bool  # the reason's category is among the item's flags or AI bands


_SHORT: dict[str, str] = {DecisionAction.NO_VIOLATION: N_("No violation"), DecisionAction.REMOVE: N_("Remove"),
          DecisionAction.RESTRICT: N_("Restrict"), DecisionAction.WARN: N_("Warn"),
          DecisionAction.REQUEST_SUSPENSION: N_("Request suspension"),
          DecisionAction.ESCALATE_SAFEGUARDING: N_("Escalate to safeguarding"),
          DecisionAction.ESCALATE_CASE: N_("Escalate to a case handler")}


def _label(action: str, reason: PolicyReason) -> str:
    return f"{_(_SHORT.get(action, action))}: {reason.label}"


def for_item(item: ReviewItem, scores: dict[str, float] | None, reasons: list[PolicyReason],
             *, appeal: bool = False, original_action: str | None = None) -> list[Preset]:
    """The presets offered on an item's page: those whose reason is in play first, each with
    its acting and its "no violation" variant. Under appeal, only reversals: presets whose
    action differs from the decision under appeal and is an appeal outcome (no escalations);
    upholding is its own one-step action (review/appeal_review.py)."""
    cats = priority.categories_in_play(item, scores)
    flagged = {f.reason_category for f in item.flags}
    first: list[Preset] = []
    rest: list[Preset] = []
    for reason in reasons:
        in_play = (reason.category is not None and reason.category in cats) or reason.code in flagged
        t = templates(reason)
        for action, template in ((t.action, t.action_text), (DecisionAction.NO_VIOLATION, t.no_violation_text)):
            if not template.strip():
                continue
            if appeal and (action == original_action or action in REVERSE_EXCLUDED):
                continue
            label = str(_("Reverse to %(preset)s", preset=_label(action, reason))) if appeal else _label(action, reason)
            preset = Preset(key=f"{reason.code}:{action}", label=label, action=action,
                            reason_code=reason.code,
                            duration=t.duration if action != DecisionAction.NO_VIOLATION else "",
                            facts=render(template, item, reason), in_play=in_play)
            (first if in_play else rest).append(preset)
    return first + rest


def find(presets: list[Preset], key: str | None) -> Preset | None:
    return next((p for p in presets if p.key == key), None) if key else None
