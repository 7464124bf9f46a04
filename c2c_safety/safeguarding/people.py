"""The people in a referral and the part each plays: the child or children at risk, the
person of concern (if there is one), and anyone else involved.

Derived from the item (its author), its flags (who flagged it, in what role) and, when the
platform sent it, the conversation around a chat message; then correctable by the lead.
The derivation is deliberately simple and stated here so the lead can check it:

- Everyone under 18 counts as a child (`under13`, `13to15`, `16plus`); a student whose age
  band we do not know is treated as a child too (most users are), an unknown teacher,
  parent or staff member as an adult.
- An **adult author** whose content reached a child (a child flagged it, took part in the
  conversation, or is the audience) is the **person of concern**; the children are **at risk**.
- A **child author** is the **person of concern** only when the concern is harm to another
  child (bullying, hate, threats, sexual content, grooming) and another child is involved;
  those children are at risk. Otherwise (self-harm, or nobody else involved) the child
  author is the child **at risk** and others are **involved** (witnesses).
- Adults who only flagged it are **involved**.

The lead's corrections are kept (`source="corrected"`) and never overwritten; new people
(a later flag) are added by the next derivation. Every correction is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.locale import N_
from c2c_safety.review import priority
from c2c_safety.safeguarding import conversation as conversation_service
from models import ReviewItem, User, utcnow
from models.review import SafeguardingPerson, SafeguardingReferral

CHILD_AT_RISK = "child_at_risk"
PERSON_OF_CONCERN = "person_of_concern"
INVOLVED = "involved"
PARTS: dict[str, str] = {
    CHILD_AT_RISK: N_("Child at risk"),
    PERSON_OF_CONCERN: N_("Person of concern"),
    INVOLVED: N_("Also involved"),
}
PLATFORM_ROLES: dict[str, str] = {
    "student": N_("Student"), "teacher": N_("Teacher"), "parent": N_("Parent"), "staff": N_("Platform or school staff"),
    "unknown": N_("Role not known"),
}
AGE_BANDS: dict[str, str] = {
    "under13": N_("under 13"), "13to15": N_("13 to 15"), "16plus": N_("16 or 17"), "adult": N_("adult"),
    "unknown": N_("age not known"),
}
HOW: dict[str, str] = {"author": N_("wrote it"), "flagger": N_("flagged it"), "conversation": N_("in the conversation"),
                       "added": N_("added by the lead")}
CHILD_BANDS = frozenset({"under13", "13to15", "16plus"})
ADULT_ROLES = frozenset({"teacher", "parent", "staff"})
# Concerns about harm done to someone else (as opposed to a risk to the author themselves).
HARM_TO_OTHERS = frozenset({"harassment", "hate", "threat", "sexual", "grooming"})
# A platform pseudonym, or a short description of someone not (yet) known by one ("girl, 12,
# in the reporter's class"): letters of any script, digits, spaces and light punctuation.
PSEUDONYM_RE = re.compile(r"^[\w .,:;'()@/+-]{1,128}$")
NOT_IDENTIFIED = "child not yet identified"
# What the platform sends as a pseudonym; anything else is the lead's description.
ACCOUNT_RE = re.compile(r"^[A-Za-z0-9._:@/-]{1,128}$")


class PersonError(ValueError):
    """A correction was refused; the message is safe to show."""


@dataclass(frozen=True)
class Participant:
    pseudonym: str
    platform_role: str
    age_band: str
    how: str  # author | flagger | conversation


def is_platform_account(pseudonym: str) -> bool:
    return bool(ACCOUNT_RE.match(pseudonym))


def is_child(platform_role: str, age_band: str) -> bool:
    if age_band in CHILD_BANDS:
        return True
    if age_band == "adult":
        return False
    return platform_role not in ADULT_ROLES  # unknown age: a student is presumed a child


def participants(session: Session, item: ReviewItem,
                 spoke: list[tuple[str, str, str]] | None = None) -> list[Participant]:
    """The author first, then the people who flagged it, then the rest of the conversation
    (the flags API's optional conversation context; `spoke` when the caller loaded it for
    many items at once). A flagger's age band comes from the conversation when they wrote
    in it, else from the chat's audience in a one-to-one chat (they are the only other
    person), else unknown."""
    out = [Participant(item.author_pseudonym, item.author_role or "unknown", item.author_age_band or "unknown",
                       "author")]
    if spoke is None:
        spoke = conversation_service.participants(session, item)
    conversation = [Participant(p, role, band, "conversation") for p, role, band in spoke]
    wrote = {p.pseudonym: p for p in conversation}
    one_to_one = item.chat_kind == "one_to_one"
    for f in item.flags:
        if f.flagger_role == "system":
            continue
        if f.flagger_pseudonym in wrote and wrote[f.flagger_pseudonym].age_band != "unknown":
            band = wrote[f.flagger_pseudonym].age_band
        elif f.flagger_role in ADULT_ROLES:
            band = "adult"
        elif one_to_one and item.audience_min_age_band:
            band = item.audience_min_age_band  # the only other person in the chat
        else:
            band = "unknown"
        out.append(Participant(f.flagger_pseudonym, f.flagger_role, band, "flagger"))
    out += conversation
    seen: set[str] = set()
    unique = []
    for p in out:
        if p.pseudonym not in seen:
            seen.add(p.pseudonym)
            unique.append(p)
    return unique


def derive(item: ReviewItem, people: list[Participant]) -> list[tuple[Participant, str]]:
    """The part each participant plays, by the rules in this module's docstring."""
    author, others = people[0], people[1:]
    categories = {priority.reason_category(f.reason_category) for f in item.flags}
    harm_to_others = bool(categories & HARM_TO_OTHERS)
    other_children = [p for p in others if is_child(p.platform_role, p.age_band)]
    audience_child = item.audience_min_age_band in CHILD_BANDS
    if not is_child(author.platform_role, author.age_band):
        author_part = PERSON_OF_CONCERN if (other_children or audience_child) else INVOLVED
        others_child_part = CHILD_AT_RISK
    elif harm_to_others and other_children:
        author_part, others_child_part = PERSON_OF_CONCERN, CHILD_AT_RISK
    else:
        author_part, others_child_part = CHILD_AT_RISK, INVOLVED
    out = [(author, author_part)]
    for p in others:
        out.append((p, others_child_part if is_child(p.platform_role, p.age_band) else INVOLVED))
    return out


def people_of(session: Session, ref: SafeguardingReferral) -> list[SafeguardingPerson]:
    order = {CHILD_AT_RISK: 0, PERSON_OF_CONCERN: 1, INVOLVED: 2}
    rows = list(session.scalars(select(SafeguardingPerson).where(SafeguardingPerson.referral_id == ref.id)
                                .order_by(SafeguardingPerson.id)))
    return sorted(rows, key=lambda p: (order.get(p.part, 9), p.id))


def child_of(people: list[SafeguardingPerson]) -> str:
    """The referral's child: the first child at risk among its people, "" when none is known
    (never a flagger or the author by default)."""
    return next((p.pseudonym for p in people if p.part == CHILD_AT_RISK), "")


def follow(session: Session, ref: SafeguardingReferral) -> list[SafeguardingPerson]:
    """Keep the referral's child column in step with its people; returns the people."""
    people = people_of(session, ref)
    child = child_of(people)
    if ref.child_pseudonym != child:
        ref.child_pseudonym = child
        session.flush()
    return people


def sync(session: Session, ref: SafeguardingReferral) -> list[SafeguardingPerson]:
    """Bring the referral's people up to date with the item: add newcomers, refresh what was
    derived, keep the lead's corrections. Idempotent; the caller commits. A referral that is
    an anonymous report has no item: its people are the ones the lead adds."""
    if ref.item is None:
        return follow(session, ref)
    existing = {p.pseudonym: p for p in session.scalars(
        select(SafeguardingPerson).where(SafeguardingPerson.referral_id == ref.id))}
    changed = False
    for who, part in derive(ref.item, participants(session, ref.item)):
        row = existing.get(who.pseudonym)
        if row is None:
            try:
                # A savepoint: two leads opening a new referral at once both try to insert;
                # the unique (referral, pseudonym) constraint lets one win, the other skips.
                with session.begin_nested():
                    session.add(SafeguardingPerson(referral_id=ref.id, pseudonym=who.pseudonym, part=part,
                                                   platform_role=who.platform_role, age_band=who.age_band,
                                                   how_involved=who.how, source="derived", updated_at=utcnow()))
            except IntegrityError:
                pass
            changed = True
        elif row.source == "derived" and (row.part, row.platform_role, row.age_band) != (
                part, who.platform_role, who.age_band):
            row.part, row.platform_role, row.age_band = part, who.platform_role, who.age_band
            row.updated_at = utcnow()
            changed = True
    if changed:
        session.flush()
    return follow(session, ref)


def get(session: Session, ref: SafeguardingReferral, person_id: int) -> SafeguardingPerson | None:
    row = session.get(SafeguardingPerson, person_id)
    return row if row is not None and row.referral_id == ref.id else None


def _check(part: str, platform_role: str, age_band: str) -> None:
    if part not in PARTS:
        raise PersonError(_("Choose the part this person plays in the referral."))
    if platform_role not in PLATFORM_ROLES:
        raise PersonError(_("Choose the person's role on the platform."))
    if age_band not in AGE_BANDS:
        raise PersonError(_("Choose the person's age band."))


def correct(session: Session, ref: SafeguardingReferral, person: SafeguardingPerson, *, actor: User,
            part: str, platform_role: str, age_band: str) -> bool:
    """The lead corrects who someone is in the referral; audited with the old and new codes.
    Returns False when nothing changed."""
    _check(part, platform_role, age_band)
    before = {"part": person.part, "platform_role": person.platform_role, "age_band": person.age_band}
    after = {"part": part, "platform_role": platform_role, "age_band": age_band}
    if before == after and person.source == "corrected":
        return False
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    person.part, person.platform_role, person.age_band = part, platform_role, age_band
    person.source, person.updated_at, person.updated_by_id = "corrected", utcnow(), actor.id
    session.flush()
    audit.record(session, "safeguarding.person_corrected", actor=actor, target_type="safeguarding_person",
                 target_id=person.id, details={"referral_id": ref.id, "changes": changes})
    follow(session, ref)  # the referral's child (and so the chronologies) follow the correction
    return True


def add(session: Session, ref: SafeguardingReferral, *, actor: User, pseudonym: str, part: str,
        platform_role: str, age_band: str) -> SafeguardingPerson:
    """Someone the derivation missed (e.g. named in a conversation we did not receive)."""
    pseudonym = pseudonym.strip()
    if not PSEUDONYM_RE.match(pseudonym):
        raise PersonError(_("Give the person's platform pseudonym, or a short description if they have "
                            "none (1 to 128 letters, digits, spaces and . , : ; ' ( ) @ / + -)."))
    _check(part, platform_role, age_band)
    if session.scalar(select(SafeguardingPerson.id).where(SafeguardingPerson.referral_id == ref.id,
                                                          SafeguardingPerson.pseudonym == pseudonym)):
        raise PersonError(_("That person is already in this referral; correct their details instead."))
    row = SafeguardingPerson(referral_id=ref.id, pseudonym=pseudonym, part=part, platform_role=platform_role,
                             age_band=age_band, how_involved="added", source="corrected",
                             updated_at=utcnow(), updated_by_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, "safeguarding.person_added", actor=actor, target_type="safeguarding_person",
                 target_id=row.id, details={"referral_id": ref.id, "part": part,
                                            "platform_role": platform_role, "age_band": age_band})
    follow(session, ref)
    return row


def describe(person: SafeguardingPerson) -> str:
    """"u-77: person of concern, teacher, adult" — for confirmation pages and logs on screen."""
    return (f"{person.pseudonym}: {_(PARTS.get(person.part, person.part)).lower()}, "
            f"{_(PLATFORM_ROLES.get(person.platform_role, person.platform_role)).lower()}, "
            f"{_(AGE_BANDS.get(person.age_band, person.age_band))}")
