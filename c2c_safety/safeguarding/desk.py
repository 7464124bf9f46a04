"""The safeguarding lead's desk: one list of everything waiting for the lead, riskiest first.

Flag-driven referrals and anonymous safeguarding reports (case files routed to the lead,
through the case desk's visibility rules, conflict exclusions included) sit in the same
list, ordered by risk level (risk.py), then by whether the target time is still to meet,
then by how soon it falls due. Filters: state (open, overdue, new, closed, all) and
assignee (me, nobody, a named lead). New alerts are a badge on their row and one "mark all
seen" button, not a list of their own. Everything is worked out when the page is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases import lifecycle as case_lifecycle
from c2c_safety.review import policy
from c2c_safety.safeguarding import conversation as conversation_service
from c2c_safety.safeguarding import people as people_service
from c2c_safety.safeguarding import risk
from c2c_safety.safeguarding.referrals import first_actions, lead_candidates, row_of
from models import CaseFile, CaseStatus, ReviewItem, Role, User, utcnow
from models.review import ReferralStatus, SafeguardingAlert, SafeguardingPerson, SafeguardingReferral

STATES: dict[str, str] = {"open": "Open", "overdue": "Overdue", "new": "New (not seen)", "closed": "Closed",
                          "all": "All"}
LIMIT = 500  # open work is small; the cap bounds a page if it ever is not
# Case statuses in which an anonymous report has not been taken up yet.
NOT_TAKEN_UP = frozenset({CaseStatus.RECEIVED, CaseStatus.ACKNOWLEDGED})


@dataclass(frozen=True)
class Filter:
    state: str = "open"
    assignee: str = ""  # "" anyone | "me" | "none" | a user id


@dataclass(frozen=True)
class DeskRow:
    kind: str  # referral | report
    id: int
    title: str
    risk: risk.Risk
    opened_at: datetime
    due_at: datetime
    overdue: bool
    target_met: bool
    status: str
    new_alerts: int
    lead: str
    deputy: str
    child: str = ""  # the referral's child at risk (pseudonym), for the chronology link
    deadline: str = ""  # an anonymous report's next Directive deadline, in words


@dataclass
class Desk:
    rows: list[DeskRow]
    target_hours: int
    overdue_count: int
    new_count: int
    leads: list[User] = field(default_factory=list)


def _names(session: Session) -> dict[int, str]:
    return {u.id: u.display_name or u.email for u in session.scalars(select(User))}


def _assignee_ok(f: Filter, viewer: User, lead_id: int | None, deputy_id: int | None = None) -> bool:
    if not f.assignee:
        return True
    if f.assignee == "me":
        return viewer.id in (lead_id, deputy_id)
    if f.assignee == "none":
        return lead_id is None
    return f.assignee.isdigit() and int(f.assignee) in (lead_id, deputy_id)


def _referral_rows(session: Session, viewer: User, f: Filter, now: datetime, target: timedelta,
                   names: dict[int, str]) -> list[DeskRow]:
    stmt = select(SafeguardingReferral)
    if f.state == "closed":
        stmt = stmt.where(SafeguardingReferral.status == ReferralStatus.CLOSED)
    elif f.state != "all":
        stmt = stmt.where(SafeguardingReferral.status == ReferralStatus.OPEN)
    # The items and their flags in two queries, not two per referral.
    refs = list(session.scalars(stmt.options(selectinload(SafeguardingReferral.item).selectinload(ReviewItem.flags))
                                .order_by(SafeguardingReferral.opened_at).limit(LIMIT)))
    ids = [r.id for r in refs]
    unseen: dict[int, int] = {}
    reopened: set[int] = set()
    everyone: dict[int, list[SafeguardingPerson]] = {}
    if ids:
        unseen = {rid: int(n) for rid, n in session.execute(
            select(SafeguardingAlert.referral_id, func.count()).where(
                SafeguardingAlert.referral_id.in_(ids), SafeguardingAlert.seen_at.is_(None))
            .group_by(SafeguardingAlert.referral_id))}
        reopened = set(session.scalars(select(SafeguardingAlert.referral_id).where(
            SafeguardingAlert.referral_id.in_(ids), SafeguardingAlert.kind == "reopened")))
        for p in session.scalars(select(SafeguardingPerson).where(SafeguardingPerson.referral_id.in_(ids))):
            everyone.setdefault(p.referral_id, []).append(p)
    firsts = first_actions(session, refs)
    spoke = conversation_service.participants_by_item(
        session, [r.item_id for r in refs if r.id not in everyone])
    out: list[DeskRow] = []
    for ref in refs:
        if not _assignee_ok(f, viewer, ref.assigned_to_id, ref.deputy_id):
            continue
        people = everyone.get(ref.id)
        if people is None:  # not opened on the desk yet: derive (not stored until then)
            people = [SafeguardingPerson(pseudonym=p.pseudonym, part=part, platform_role=p.platform_role,
                                         age_band=p.age_band)
                      for p, part in people_service.derive(
                          ref.item, people_service.participants(session, ref.item, spoke.get(ref.item_id, [])))]
        row = row_of(ref, target, now, firsts.get(ref.id))
        out.append(DeskRow(
            "referral", ref.id, f"Referral #{ref.id} (item {ref.item_id})",
            risk.of_referral(ref, people, reopened=ref.id in reopened), ref.opened_at, row.due_at, row.overdue,
            row.first_action_at is not None, ref.status, unseen.get(ref.id, 0),
            names.get(ref.assigned_to_id or 0, ""), names.get(ref.deputy_id or 0, ""),
            child=ref.child_pseudonym))
    return out


def _report_rows(session: Session, viewer: User, f: Filter, now: datetime, target: timedelta,
                 names: dict[int, str]) -> list[DeskRow]:
    if f.state == "new":
        return []
    stmt = case_access.visible_cases_query(viewer).where(CaseFile.routed_role == Role.SAFEGUARDING_LEAD,
                                                         CaseFile.anonymised_at.is_(None))
    if f.state == "closed":
        stmt = stmt.where(CaseFile.status == CaseStatus.CLOSED)
    elif f.state != "all":
        stmt = stmt.where(CaseFile.status != CaseStatus.CLOSED)
    out: list[DeskRow] = []
    for case in session.scalars(stmt.order_by(CaseFile.received_at).limit(LIMIT)):
        if not _assignee_ok(f, viewer, case.assigned_to_id):
            continue
        due = case.received_at + target
        taken_up = case.status not in NOT_TAKEN_UP
        d = case_lifecycle.deadline_view(case, now)
        overdue = case.status != CaseStatus.CLOSED and ((not taken_up and now > due) or d.next_state == "overdue")
        out.append(DeskRow(
            "report", case.id, f"Anonymous report {case.reference}", risk.of_report(), case.received_at, due,
            overdue, taken_up, "closed" if case.status == CaseStatus.CLOSED else "open", 0,
            names.get(case.assigned_to_id or 0, ""), "",
            deadline=(("Acknowledge" if d.next_label == "acknowledge" else "Feedback") + ": " + d.summary)
            if d.next_label else d.summary))
    return out


def _sort_key(r: DeskRow) -> tuple[int, int, int, float, str, int]:
    closed = r.status == "closed"
    return (int(closed), -r.risk.level if not closed else 0, int(r.target_met),
            r.due_at.timestamp() if not closed else -r.opened_at.timestamp(), r.kind, r.id)


def desk(session: Session, viewer: User, f: Filter | None = None, now: datetime | None = None) -> Desk:
    f = f or Filter()
    now = now or utcnow()
    target = policy.safeguarding_target(session)
    names = _names(session)
    rows = _referral_rows(session, viewer, f, now, target, names) + _report_rows(session, viewer, f, now,
                                                                                 target, names)
    if f.state == "overdue":
        rows = [r for r in rows if r.overdue]
    elif f.state == "new":
        rows = [r for r in rows if r.new_alerts]
    rows.sort(key=_sort_key)
    new_count = session.scalar(select(func.count()).select_from(SafeguardingAlert)
                               .where(SafeguardingAlert.seen_at.is_(None))) or 0
    return Desk(rows, policy.safeguarding_target_hours(session), sum(1 for r in rows if r.overdue),
                int(new_count), lead_candidates(session))


def mark_all_seen(session: Session, *, actor: User) -> int:
    """Every unseen alert is marked seen by this lead; audited with the count."""
    now = utcnow()
    result = session.execute(update(SafeguardingAlert).where(SafeguardingAlert.seen_at.is_(None))
                             .values(seen_at=now, seen_by_id=actor.id).execution_options(synchronize_session=False))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        audit.record(session, "safeguarding.alerts_seen", actor=actor, target_type="safeguarding_alert",
                     details={"count": count, "all": True})
    return count


def mark_seen(session: Session, referral_id: int, *, actor: User) -> int:
    """The alerts of one referral."""
    now = utcnow()
    result = session.execute(update(SafeguardingAlert).where(SafeguardingAlert.referral_id == referral_id,
                                                             SafeguardingAlert.seen_at.is_(None))
                             .values(seen_at=now, seen_by_id=actor.id).execution_options(synchronize_session=False))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        audit.record(session, "safeguarding.alerts_seen", actor=actor, target_type="safeguarding_referral",
                     target_id=referral_id, details={"count": count})
    return count
