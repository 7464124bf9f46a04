"""Daily deadline warnings, in-app.

Once a day (workers.daily) every open case whose acknowledgment or feedback deadline is
due within 3 days or already past produces one alert for its assignee, or, while nobody is
assigned, for everyone holding the role it was routed to. Recipients pass the visibility
rule, so a person excluded from a case is never warned about it; listing re-checks it, so
an exclusion added later hides alerts already made. Alerts carry the case id and the
deadline only. E-mail is not sent (and would carry no case content if it ever were).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases import deadlines
from c2c_safety.core.locale import N_
from models import AlertKind, CaseAlert, CaseFile, CaseRegime, CaseSource, CaseStatus, Role, User, UserRole, utcnow

log = logging.getLogger(__name__)

KIND_LABELS: dict[str, str] = {
    AlertKind.ACK_DUE_SOON: N_("Acknowledgment due soon"),
    AlertKind.ACK_OVERDUE: N_("Acknowledgment overdue"),
    AlertKind.FEEDBACK_DUE_SOON: N_("Feedback due soon"),
    AlertKind.FEEDBACK_OVERDUE: N_("Feedback overdue"),
}


def _kinds_of(cycle: deadlines.Cycle, now: datetime) -> list[tuple[str, datetime]]:
    d = cycle.deadlines
    out: list[tuple[str, datetime]] = []
    ack = deadlines.state(d.acknowledge_by, cycle.acknowledged_at, now)
    if ack in ("overdue", "due_soon"):
        out.append((AlertKind.ACK_OVERDUE if ack == "overdue" else AlertKind.ACK_DUE_SOON, d.acknowledge_by))
    fb = deadlines.state(d.feedback_by, cycle.feedback_at, now)
    if fb in ("overdue", "due_soon"):
        out.append((AlertKind.FEEDBACK_OVERDUE if fb == "overdue" else AlertKind.FEEDBACK_DUE_SOON,
                    d.feedback_by))
    return out


def _kinds(case: CaseFile, now: datetime) -> list[tuple[str, datetime]]:
    return _kinds_of(deadlines.current_cycle(case.received_at, case.acknowledged_at, case.feedback_at,
                                             case.reopened_at, case.reopen_feedback_at), now)


def _recipients(session: Session, case: CaseFile) -> list[User]:
    if case.assigned_to_id is not None:
        person = session.get(User, case.assigned_to_id)
        if person is not None and case_access.can_view(session, person, case):
            return [person]
    people = [p for p in case_access.eligible_handlers(session, case) if case_access.can_view(session, p, case)]
    if people:
        return people
    # Nobody in the routed role may see it (which cases.access.assert_no_orphans prevents for
    # every change it knows of): the deadline still reaches someone, the independent reviewer.
    reviewers = session.scalars(select(User).join(UserRole).where(
        UserRole.role == Role.INDEPENDENT_REVIEWER, User.active.is_(True)).order_by(User.id)).unique()
    people = [p for p in reviewers if case_access.can_view(session, p, case)]
    if not people:
        log.error("case %s has a deadline and nobody who may see it", case.id)
    return people


def generate(session: Session, now: datetime | None = None) -> int:
    """Create today's alerts (idempotent per day: unique per person, case, kind and day)."""
    now = now or utcnow()
    day = now.date().isoformat()
    created = 0
    # Escalations from the queue have no reporter and no Directive clock (deadlines.internal).
    open_cases = session.scalars(select(CaseFile).where(
        CaseFile.status != CaseStatus.CLOSED, CaseFile.anonymised_at.is_(None),
        CaseFile.regime == CaseRegime.WHISTLEBLOWING,  # referrals keep their own clock
        CaseFile.source != CaseSource.ESCALATION).order_by(CaseFile.id))
    for case in open_cases:
        kinds = _kinds(case, now)
        if not kinds:
            continue
        for person in _recipients(session, case):
            for kind, due in kinds:
                exists = session.scalar(select(CaseAlert.id).where(
                    CaseAlert.user_id == person.id, CaseAlert.case_id == case.id,
                    CaseAlert.kind == kind, CaseAlert.day == day))
                if exists is None:
                    session.add(CaseAlert(user_id=person.id, case_id=case.id, kind=kind, day=day,
                                          due_at=due, created_at=now))
                    created += 1
    session.flush()
    audit.record(session, "case_alerts.generated", actor_label="system", details={"created": created},
                 at=now)
    return created


@dataclass(frozen=True)
class AlertRow:
    alert: CaseAlert
    reference: str
    label: str


def for_user(session: Session, user: User, *, unread_only: bool = False, limit: int = 200) -> list[AlertRow]:
    stmt = (select(CaseAlert, CaseFile.reference).join(CaseFile, CaseFile.id == CaseAlert.case_id)
            .where(CaseAlert.user_id == user.id, case_access.visibility_clause(user))
            .order_by(CaseAlert.created_at.desc(), CaseAlert.id.desc()).limit(limit))
    if unread_only:
        stmt = stmt.where(CaseAlert.read_at.is_(None))
    return [AlertRow(a, ref, _(KIND_LABELS.get(a.kind, a.kind))) for a, ref in session.execute(stmt)]


@dataclass(frozen=True)
class LiveAlert:
    case_id: int
    reference: str
    kind: str
    label: str
    due_at: datetime
    overdue: bool


def live_for_user(session: Session, user: User, now: datetime | None = None,
                  limit: int = 500) -> list[LiveAlert]:
    """Deadline warnings as of `now`, worked out when asked rather than read from the daily
    job's rows: the same cases and recipients as `generate` (the person's assigned cases, and
    unassigned ones routed to a role they hold), so a deadline that passed a minute ago shows
    at once. Most overdue first."""
    now = now or utcnow()
    routed = sorted(user.role_names & case_access.ROUTED_ROLES)
    mine = or_(CaseFile.assigned_to_id == user.id,
               and_(CaseFile.assigned_to_id.is_(None), CaseFile.routed_role.in_(routed)))
    rows = session.execute(
        select(CaseFile.id, CaseFile.reference, CaseFile.received_at, CaseFile.acknowledged_at,
               CaseFile.feedback_at, CaseFile.reopened_at, CaseFile.reopen_feedback_at)
        .where(case_access.visibility_clause(user), mine, CaseFile.status != CaseStatus.CLOSED,
               CaseFile.anonymised_at.is_(None), CaseFile.regime == CaseRegime.WHISTLEBLOWING,
               CaseFile.source != CaseSource.ESCALATION)).all()
    out: list[LiveAlert] = []
    for cid, ref, received, acked, fed, reopened, refed in rows:
        cycle = deadlines.current_cycle(received, acked, fed, reopened, refed)
        for kind, due in _kinds_of(cycle, now):
            out.append(LiveAlert(cid, ref, kind, _(KIND_LABELS[kind]), due, due < now))
    out.sort(key=lambda a: (a.due_at, a.case_id, a.kind))
    return out[:limit]


def unread_count(session: Session, user: User) -> int:
    return session.scalar(
        select(func.count()).select_from(CaseAlert).join(CaseFile, CaseFile.id == CaseAlert.case_id)
        .where(CaseAlert.user_id == user.id, CaseAlert.read_at.is_(None),
               case_access.visibility_clause(user))) or 0


def mark_read(session: Session, user: User, alert_id: int) -> bool:
    alert = session.scalars(select(CaseAlert).where(CaseAlert.id == alert_id,
                                                    CaseAlert.user_id == user.id)).first()
    if alert is None or not case_access.can_view(session, user, alert.case_id):
        return False
    if alert.read_at is None:
        alert.read_at = utcnow()
        session.flush()
    return True
