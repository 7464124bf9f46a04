"""Who hears about what. Each function is one event, called in the transaction of the change
that caused it (a small hook in the owning module) or by the periodic scan.

- a new urgent safeguarding referral, or one reopened or escalated: every safeguarding
  lead, at once, always by e-mail (`safeguarding_referral`, called by review/referrals.py);
- a new case (an anonymous report or an escalation): whoever it is routed to, by the case
  desk's own rule (`cases.access`): the assignee, else everyone holding the routed role who
  may see it; a case about the CEO reaches only the independent reviewer, never the CEO;
  a safeguarding report is urgent safeguarding (`new_case`, report/reports.py, decisions.py);
- an appeal: every moderator except the one whose decision is appealed (`appeal`);
- deadlines due within 24 hours or missed (`case_deadlines`, `referral_deadline`, the scan);
- webhook deliveries that keep failing: the admins, once a day while it lasts (`webhooks`);
- a referral or a case handed over to someone (reassignment, recusal, exclusion fallback):
  its new holder (`handover`);
- a moderator asked for a second opinion on an item: the colleague asked (`second_opinion`,
  called by review/second_opinion.py); the notice links to the item and never carries the
  question, which is shown on the desk only.

Every notice names its subject (the referral, case or appeal), so it resolves itself when
that work is done (notifications/resolution.py).

People excluded from or recused on a case are never recipients, and the inbox and the
mailer check the case's visibility again later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.cases import access as case_access
from c2c_safety.cases import deadlines
from c2c_safety.notifications import kinds
from c2c_safety.notifications.notices import notify
from c2c_safety.notifications.resolution import APPEAL, ASK, CASE, REFERRAL, WEBHOOKS
from models import CaseFile, CaseRegime, CaseSource, CaseStatus, Role, User, UserRole, utcnow
from models.cases import CHILD_CATEGORIES
from models.review import DeskSetting, WebhookDelivery, WebhookStatus

SOON = timedelta(hours=24)
FAILING_ATTEMPTS = 5  # ~15 minutes of backoff (30 s, 1, 2, 4, 8 min) without an answer
WEBHOOK_TARGET = timedelta(hours=4)
QUEUE_TARGET = timedelta(hours=24)  # the moderators' target time (review/priority.py)
# An escalation from the moderators' queue has no reporter and no Whistleblower Act clock:
# the desk's internal service level (cases/deadlines.py: ESCALATION_ACK/FEEDBACK).


def safeguarding_target(session: Session) -> timedelta:
    """The safeguarding first-look target the lead configures on /policy. The same reading as
    review.policy.safeguarding_target (which cannot be imported here: review imports this
    package), kept in step by tests/notifications."""
    raw = session.get(DeskSetting, "safeguarding_target_hours")
    try:
        hours = int(raw.value) if raw is not None else 24
    except ValueError:
        hours = 24
    return timedelta(hours=hours if 1 <= hours <= 24 * 14 else 24)


def role_holders(session: Session, role: str) -> list[User]:
    return list(session.scalars(
        select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True)).order_by(User.id)
    ).unique())


def case_recipients(session: Session, case: CaseFile) -> list[User]:
    """The case desk's own routing: the assignee if they may see it, else everyone eligible."""
    if case.assigned_to_id is not None:
        person = session.get(User, case.assigned_to_id)
        if person is not None and case_access.can_view(session, person, case):
            return [person]
    return [p for p in case_access.eligible_handlers(session, case) if case_access.can_view(session, p, case)]


def safeguarding_referral(session: Session, *, referral_id: int, target_at: datetime, event: str,
                          now: datetime | None = None) -> int:
    """A referral opened, reopened or escalated (`event` tells them apart for de-duplication)."""
    return notify(session, role_holders(session, Role.SAFEGUARDING_LEAD), kinds.SAFEGUARDING_URGENT,
                  link=f"/safeguarding/referrals/{referral_id}", target_at=target_at,
                  event_key=f"referral:{referral_id}:{event}", subject=(REFERRAL, referral_id), now=now)


def _next_due(case: CaseFile) -> tuple[str, datetime] | None:
    if case.source == CaseSource.ESCALATION:
        return None  # no Directive clock: the internal service level is shown on the desk only
    cycle = deadlines.current_cycle(case.received_at, case.acknowledged_at, case.feedback_at,
                                    case.reopened_at, case.reopen_feedback_at)
    if cycle.acknowledged_at is None:
        return "acknowledge", cycle.deadlines.acknowledge_by
    if cycle.feedback_at is None:
        return "feedback", cycle.deadlines.feedback_by
    return None


def next_target(session: Session, case: CaseFile) -> datetime | None:
    """The target a notice about this case carries: a child's concern, the safeguarding
    first-look target; an escalation, the internal service level; else the Directive's."""
    if case.category in CHILD_CATEGORIES:
        return case.received_at + safeguarding_target(session)
    if case.source == CaseSource.ESCALATION:
        d = deadlines.internal(case.reopened_at or case.received_at)
        return d.acknowledge_by if case.status == CaseStatus.RECEIVED else d.feedback_by
    due = _next_due(case)
    return due[1] if due else None


def new_case(session: Session, case: CaseFile, now: datetime | None = None) -> int:
    now = now or utcnow()
    if case.category in CHILD_CATEGORIES:  # the child-first categories of the form too
        # Urgent: every safeguarding lead who may see it, not only an assignee.
        people: Iterable[User] = [p for p in case_access.eligible_handlers(session, case)
                                  if case_access.can_view(session, p, case)]
        kind = kinds.SAFEGUARDING_URGENT  # a child's concern: the first-look target (next_target)
    else:
        people, kind = case_recipients(session, case), kinds.NEW_CASE
    return notify(session, people, kind, link=f"/cases/{case.id}", target_at=next_target(session, case),
                  event_key=f"case:{case.id}:new", case_id=case.id, subject=(CASE, case.id), now=now)


def appeal(session: Session, *, appeal_id: int, item_id: int, received_at: datetime,
           original_decider_id: int) -> int:
    """The moderators who may review it: never the one who made the decision under appeal."""
    people = [u for u in role_holders(session, Role.MODERATOR) if u.id != original_decider_id]
    return notify(session, people, kinds.APPEAL, link=f"/queue/{item_id}",
                  target_at=received_at + QUEUE_TARGET, event_key=f"appeal:{appeal_id}",
                  subject=(APPEAL, appeal_id))


def deadline(session: Session, people: Iterable[User], *, link: str, due: datetime, what: str,
             now: datetime, case_id: int | None = None) -> int:
    """`what` names the deadline (e.g. "case:7:feedback"); its due time is part of the key,
    so a moved deadline (a reopened case) is announced again."""
    missed = due < now
    if not missed and due - now > SOON:
        return 0
    kind = kinds.DEADLINE_MISSED if missed else kinds.DEADLINE_SOON
    return notify(session, people, kind, link=link, target_at=due,
                  event_key=f"{what}:{due.isoformat()}", case_id=case_id, subject=_subject_of(what), now=now)


def _subject_of(what: str) -> tuple[str, int] | None:
    """"case:7:feedback" -> ("case", 7); "referral:12" -> ("referral", 12)."""
    parts = what.split(":")
    if len(parts) >= 2 and parts[0] in (CASE, REFERRAL) and parts[1].isdecimal() and len(parts[1]) < 12:
        return parts[0], int(parts[1])
    return None


def handover(session: Session, person: User, *, subject: tuple[str, int], link: str, how: str,
             target_at: datetime | None = None, case_id: int | None = None, now: datetime | None = None) -> int:
    """A referral or a case now held by `person` (`how`: reassigned, recused, excluded,
    rerouted): they hear at once, in-app and by e-mail per their preferences. The event key
    holds the time, so a case handed back and forth is announced each time."""
    now = now or utcnow()
    if case_id is not None:
        case = session.get(CaseFile, case_id)
        if case is None or not case_access.can_view(session, person, case):
            return 0
    return notify(session, [person], kinds.HANDOVER, link=link, target_at=target_at,
                  event_key=f"handover:{subject[0]}:{subject[1]}:{how}:{now.isoformat()}",
                  case_id=case_id, subject=subject, now=now)


def second_opinion(session: Session, senior: User, *, item_id: int, question_id: int,
                   now: datetime | None = None) -> int:
    """A question on item `item_id` put to `senior` (the question note `question_id`): resolved
    when they answer it or the item is decided (resolution._asks)."""
    return notify(session, [senior], kinds.SECOND_OPINION, link=f"/queue/{item_id}#notes", target_at=None,
                  event_key=f"ask:{question_id}", subject=(ASK, question_id), now=now)


def case_deadlines(session: Session, now: datetime | None = None) -> int:
    """Every open case's next deadline, when due within 24 hours or missed."""
    now = now or utcnow()
    made = 0
    for case in session.scalars(select(CaseFile).where(
            CaseFile.status != CaseStatus.CLOSED, CaseFile.anonymised_at.is_(None),
            CaseFile.regime == CaseRegime.WHISTLEBLOWING).order_by(CaseFile.id)):  # referrals: their own clock
        due = _next_due(case)
        if due is None or due[1] - now > SOON:
            continue
        made += deadline(session, case_recipients(session, case), link=f"/cases/{case.id}", due=due[1],
                         what=f"case:{case.id}:{due[0]}", now=now, case_id=case.id)
    return made


def webhooks(session: Session, now: datetime | None = None) -> int:
    """Admins hear once a day while some delivery has failed FAILING_ATTEMPTS times or more."""
    now = now or utcnow()
    failing = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.status == WebhookStatus.PENDING, WebhookDelivery.attempts >= FAILING_ATTEMPTS)) or 0
    if not failing:
        return 0
    return notify(session, role_holders(session, Role.ADMIN), kinds.WEBHOOK_FAILING, link="/admin/webhooks",
                  target_at=now + WEBHOOK_TARGET, event_key=f"webhooks:{now.date().isoformat()}",
                  subject=(WEBHOOKS, 0), now=now)
