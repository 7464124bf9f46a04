"""Daily deadline warnings, in-app.

Once a day (workers.daily) every open case whose acknowledgment or feedback deadline is
due within 3 days or already past produces one alert for its assignee, or, while nobody is
assigned, for everyone holding the role it was routed to. Recipients pass the visibility
rule, so a person excluded from a case is never warned about it; listing re-checks it, so
an exclusion added later hides alerts already made. Alerts carry the case id and the
deadline only. E-mail is not sent (and would carry no case content if it ever were).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases import deadlines
from models import AlertKind, CaseAlert, CaseFile, CaseStatus, User, utcnow

KIND_LABELS: dict[str, str] = {
    AlertKind.ACK_DUE_SOON: "Acknowledgment due soon",
    AlertKind.ACK_OVERDUE: "Acknowledgment overdue",
    AlertKind.FEEDBACK_DUE_SOON: "Feedback due soon",
    AlertKind.FEEDBACK_OVERDUE: "Feedback overdue",
}


def _kinds(case: CaseFile, now: datetime) -> list[tuple[str, datetime]]:
    d = deadlines.compute(case.received_at, case.acknowledged_at)
    out: list[tuple[str, datetime]] = []
    ack = deadlines.state(d.acknowledge_by, case.acknowledged_at, now)
    if ack in ("overdue", "due_soon"):
        out.append((AlertKind.ACK_OVERDUE if ack == "overdue" else AlertKind.ACK_DUE_SOON, d.acknowledge_by))
    fb = deadlines.state(d.feedback_by, case.feedback_at, now)
    if fb in ("overdue", "due_soon"):
        out.append((AlertKind.FEEDBACK_OVERDUE if fb == "overdue" else AlertKind.FEEDBACK_DUE_SOON,
                    d.feedback_by))
    return out


def _recipients(session: Session, case: CaseFile) -> list[User]:
    if case.assigned_to_id is not None:
        person = session.get(User, case.assigned_to_id)
        if person is not None and case_access.can_view(session, person, case):
            return [person]
    return [p for p in case_access.eligible_handlers(session, case) if case_access.can_view(session, p, case)]


def generate(session: Session, now: datetime | None = None) -> int:
    """Create today's alerts (idempotent per day: unique per person, case, kind and day)."""
    now = now or utcnow()
    day = now.date().isoformat()
    created = 0
    open_cases = session.scalars(select(CaseFile).where(
        CaseFile.status != CaseStatus.CLOSED, CaseFile.anonymised_at.is_(None)).order_by(CaseFile.id))
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
    return [AlertRow(a, ref, KIND_LABELS.get(a.kind, a.kind)) for a, ref in session.execute(stmt)]


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
