"""Every handover of a referral or a case notifies its new holder, whatever made it.

A case changes hands when its assignee changes (reassignment on the case page), when its
assignee steps back or is excluded (recusal, exclusion: it goes back to everyone eligible
in its routed role), and when nobody is left to handle it and it is re-routed to the
independent reviewer (the exclusion fallback, also after role changes and disabled
accounts). A referral changes hands when its named lead or deputy changes.

These changes happen in several packages (cases.access, cases.lifecycle, accounts,
safeguarding). Rather than each remembering to call us, a session hook watches the columns
that say who holds the work (`CaseFile.assigned_to_id`, `CaseFile.routed_role`,
`SafeguardingReferral.assigned_to_id` / `deputy_id`) and, before the transaction commits,
gives each new holder a "handed over to you" notice (in-app, and e-mail per their
preferences, through the outbox), audited `notifications.handover` in the same transaction.
Work created in the transaction is skipped: its "new case" / "urgent referral" notice
already reaches its first holder.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases.lifecycle import SELF_TAKEN
from c2c_safety.notifications import triggers
from c2c_safety.notifications.resolution import CASE, REFERRAL
from models import CaseFile, CaseStatus, User
from models.review import ReferralStatus, SafeguardingReferral

_SEEN = "c2c_handovers"  # session.info: {(kind, id): Change}
_BORN = "c2c_handover_new"  # session.info: subjects created in this transaction
_RUNNING = "c2c_handover_running"


@dataclass
class Change:
    before: dict[str, object]  # the holder columns as the transaction found them


def _holder_columns(obj: object) -> tuple[str, int, tuple[str, ...]] | None:
    if isinstance(obj, CaseFile):
        return CASE, obj.id, ("assigned_to_id", "routed_role")
    if isinstance(obj, SafeguardingReferral):
        return REFERRAL, obj.id, ("assigned_to_id", "deputy_id")
    return None


@event.listens_for(Session, "before_flush")
def _watch(session: Session, _ctx: object, _instances: object) -> None:
    if session.info.get(_RUNNING):
        return
    seen: dict[tuple[str, int], Change] = session.info.setdefault(_SEEN, {})
    for obj in session.dirty:
        cols = _holder_columns(obj)
        if cols is None or cols[1] is None:
            continue
        state = inspect(obj)
        key = (cols[0], cols[1])
        for col in cols[2]:
            hist = state.attrs[col].history
            if hist.has_changes() and key not in seen:
                seen[key] = Change({c: (state.attrs[c].history.deleted or [getattr(obj, c)])[0]
                                    if state.attrs[c].history.has_changes() else getattr(obj, c)
                                    for c in cols[2]})


@event.listens_for(Session, "after_flush")
def _births(session: Session, _ctx: object) -> None:
    for obj in session.new:
        cols = _holder_columns(obj)
        if cols is not None:
            session.info.setdefault(_BORN, set()).add((cols[0], cols[1]))


def _announce_case(session: Session, case: CaseFile, before: dict[str, object]) -> None:
    if case.status == CaseStatus.CLOSED or case.anonymised_at is not None:
        return
    if case.assigned_to_id == before.get("assigned_to_id") and case.routed_role == before.get("routed_role"):
        return  # changed and changed back
    if case.routed_role != before.get("routed_role"):
        how = "rerouted"
    elif case.assigned_to_id is None:
        how = "returned"  # the assignee recused or was excluded: everyone eligible holds it
    else:
        how = "reassigned"
    previous = before.get("assigned_to_id")
    if how == "reassigned" and case.id in session.info.get(SELF_TAKEN, set()):
        return  # they took it themselves
    people = [p for p in triggers.case_recipients(session, case) if p.id != previous]
    for person in people:
        triggers.handover(session, person, subject=(CASE, case.id), link=f"/cases/{case.id}", how=how,
                          target_at=triggers.next_target(session, case), case_id=case.id)
    if people:
        audit.record(session, "notifications.handover", actor_label="system", target_type="case",
                     target_id=case.id, case_id=case.id,
                     details={"how": how, "to": sorted(p.id for p in people), "from": previous})


def _announce_referral(session: Session, ref: SafeguardingReferral, before: dict[str, object]) -> None:
    if ref.status == ReferralStatus.CLOSED:
        return
    new = [(role, who) for role, who in (("lead", ref.assigned_to_id), ("deputy", ref.deputy_id))
           if who is not None and who not in (before.get("assigned_to_id"), before.get("deputy_id"))]
    target = ref.opened_at + triggers.safeguarding_target(session)
    told: list[int] = []
    for role, who in new:
        person = session.get(User, who)
        if person is not None and triggers.handover(session, person, subject=(REFERRAL, ref.id),
                                                    link=f"/safeguarding/referrals/{ref.id}",
                                                    how=f"named {role}", target_at=target):
            told.append(person.id)
    if told:
        audit.record(session, "notifications.handover", actor_label="system",
                     target_type="safeguarding_referral", target_id=ref.id,
                     details={"how": "reassigned", "to": told})


@event.listens_for(Session, "before_commit")
def _announce(session: Session) -> None:
    if session.info.get(_RUNNING):
        return
    if session.dirty:
        session.flush()  # before_commit comes before commit's own flush: see every change first
    seen: dict[tuple[str, int], Change] | None = session.info.pop(_SEEN, None)
    born: set[tuple[str, int]] = session.info.pop(_BORN, set())
    if not seen:
        session.info.pop(SELF_TAKEN, None)
        return
    session.info[_RUNNING] = True
    try:
        for (kind, ident), change in sorted(seen.items()):
            if (kind, ident) in born:
                continue
            if kind == CASE:
                case = session.get(CaseFile, ident)
                if case is not None:
                    _announce_case(session, case, change.before)
            else:
                ref = session.get(SafeguardingReferral, ident)
                if ref is not None:
                    _announce_referral(session, ref, change.before)
    finally:
        session.info.pop(_RUNNING, None)
        session.info.pop(SELF_TAKEN, None)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_SEEN, None)
    session.info.pop(_BORN, None)
    session.info.pop(SELF_TAKEN, None)

