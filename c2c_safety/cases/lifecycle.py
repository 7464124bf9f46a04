"""Case handling: the life cycle, messages to the reporter, internal notes, assignment and
legal holds. Redaction lives in services.redaction, visibility in cases.access.

Every function checks that the actor may handle the case (defence in depth: the views
check too), flushes, and leaves the commit to the caller so the change and its audit row
commit together. Audit details never carry text: only ids, statuses and codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.cases import attachments, deadlines
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.core.locale import N_
from c2c_safety.core.uploads import CleanFile
from models import (
    CaseFile,
    CaseMessage,
    CaseNote,
    CaseOutcome,
    CaseSource,
    CaseStatus,
    CaseTransition,
    LegalHold,
    User,
    utcnow,
)

MAX_TEXT = 20_000
# session.info key: cases someone took for themselves in this transaction (acting on an
# unassigned case, assigning themselves), so the handover notice does not tell them.
SELF_TAKEN = "c2c_cases_self_taken"
MIN_REASON = 10

# The life cycle. A closed case can only go back to investigation, with a written reason.
NEXT: dict[str, str] = {
    CaseStatus.RECEIVED: CaseStatus.ACKNOWLEDGED,
    CaseStatus.ACKNOWLEDGED: CaseStatus.INVESTIGATING,
    CaseStatus.INVESTIGATING: CaseStatus.FEEDBACK_GIVEN,
    CaseStatus.FEEDBACK_GIVEN: CaseStatus.CLOSED,
}
STATUS_LABELS: dict[str, str] = {
    CaseStatus.RECEIVED: N_("Received"),
    CaseStatus.ACKNOWLEDGED: N_("Acknowledged"),
    CaseStatus.INVESTIGATING: N_("Under investigation"),
    CaseStatus.FEEDBACK_GIVEN: N_("Feedback given"),
    CaseStatus.CLOSED: N_("Closed"),
}
OUTCOME_LABELS: dict[str, str] = {
    CaseOutcome.SUBSTANTIATED: N_("Substantiated"),
    CaseOutcome.PARTLY_SUBSTANTIATED: N_("Partly substantiated"),
    CaseOutcome.NOT_SUBSTANTIATED: N_("Not substantiated"),
    CaseOutcome.WITHDRAWN: N_("Withdrawn by the reporter"),
    CaseOutcome.REFERRED: N_("Referred to an external authority"),
    CaseOutcome.NO_FURTHER_ACTION: N_("No further action"),
}


class CaseError(ValueError):
    """A case rule was broken; the message is safe to show."""


class CaseForbiddenError(PermissionError):
    """The actor may see the case but not change it (or may not see it at all)."""


def _require_handler(session: Session, actor: User, case: CaseFile) -> None:
    if not case_access.can_handle(session, actor, case):
        raise CaseForbiddenError(case.id)


def _act(session: Session, actor: User, case: CaseFile) -> None:
    """A handler acts on the case: they must be allowed to, and an unassigned case becomes theirs."""
    _require_handler(session, actor, case)
    take_if_unassigned(session, case, actor)


def _clean(text: str | None, what: str, minimum: int = 1) -> str:
    value = (text or "").strip()
    if len(value) < minimum:
        raise CaseError(_("Write %(what)s.", what=_(what)) if minimum <= 1 else
                        _("Write %(what)s (at least %(n)s characters).", what=_(what), n=minimum))
    if len(value) > MAX_TEXT:
        raise CaseError(_("Keep %(what)s under %(n)s characters.", what=_(what), n=MAX_TEXT))
    return value


def has_reporter_channel(case: CaseFile) -> bool:
    """Anonymous reports keep a receipt the reporter can return with; escalations do not."""
    return case.receipt_lookup is not None


# --- life cycle ------------------------------------------------------------------------

def _transition(session: Session, case: CaseFile, actor: User, to: str, now: datetime, *,
                outcome: str | None = None, reason: str | None = None) -> CaseTransition:
    step = CaseTransition(case_id=case.id, from_status=case.status, to_status=to, outcome=outcome,
                          reason_sealed=seal_text(reason), actor_id=actor.id, at=now)
    session.add(step)
    details: dict[str, object] = {"from": case.status, "to": to}
    if outcome:
        details["outcome"] = outcome
    if reason:
        details["reason_given"] = True  # the reason itself is sealed in case_transitions
    case.status = to
    session.flush()
    audit.record(session, "case.transition", actor=actor, target_type="case", target_id=case.id,
                 case_id=case.id, details=details, at=now)
    return step


def _expect(case: CaseFile, status: str) -> None:
    if case.status != status:
        raise CaseError(_("This case is %(status)s; that step needs it to be %(needed)s.",
                          status=_(STATUS_LABELS.get(case.status, case.status)).lower(),
                          needed=_(STATUS_LABELS[status]).lower()))


def acknowledge(session: Session, case: CaseFile, *, actor: User, now: datetime | None = None) -> None:
    _act(session, actor, case)
    _expect(case, CaseStatus.RECEIVED)
    now = now or utcnow()
    case.acknowledged_at = now
    _transition(session, case, actor, CaseStatus.ACKNOWLEDGED, now)


def start_investigation(session: Session, case: CaseFile, *, actor: User,
                        now: datetime | None = None) -> None:
    _act(session, actor, case)
    _expect(case, CaseStatus.ACKNOWLEDGED)
    _transition(session, case, actor, CaseStatus.INVESTIGATING, now or utcnow())


def give_feedback(session: Session, case: CaseFile, *, actor: User, text: str | None,
                  now: datetime | None = None) -> None:
    """Record that feedback was given. For anonymous reports the feedback IS a message to
    the reporter (Art. 9(1)(f)); escalations have no reporter to write to."""
    _act(session, actor, case)
    _expect(case, CaseStatus.INVESTIGATING)
    now = now or utcnow()
    if has_reporter_channel(case):
        send_message(session, case, actor=actor, text=_clean(text, N_("the feedback to the reporter")),
                     now=now)
    if case.reopened_at is not None:
        case.reopen_feedback_at = now  # the reopened cycle's; the first cycle's date stays
    else:
        case.feedback_at = now
    _transition(session, case, actor, CaseStatus.FEEDBACK_GIVEN, now)


def close_now(session: Session, case: CaseFile, *, actor: User, approver: User, outcome: str,
              record: str | None, alone: bool, now: datetime) -> None:
    """Close with an outcome (cases/closing.py checks findings and approval first). Starts
    the retention clock; a referral's record is sealed on the closing step."""
    _expect(case, CaseStatus.FEEDBACK_GIVEN)
    case.closed_at = now
    case.outcome = outcome
    case.closed_approved_by_id = approver.id
    case.closed_alone = alone
    case.retention_clock_from = now
    _transition(session, case, actor, CaseStatus.CLOSED, now, outcome=outcome, reason=record)
    audit.record(session, "case.close_approved", actor=approver, target_type="case", target_id=case.id,
                 case_id=case.id, details={"outcome": outcome, "alone": alone}, at=now)


def take_if_unassigned(session: Session, case: CaseFile, actor: User) -> None:
    """Whoever acts on an unassigned case is assigned it, if they may hold it."""
    if case.assigned_to_id is not None:
        return
    if actor.id not in {p.id for p in case_access.eligible_handlers(session, case)}:
        return
    case.assigned_to_id = actor.id
    session.info.setdefault(SELF_TAKEN, set()).add(case.id)
    session.flush()
    audit.record(session, "case.assigned", actor=actor, target_type="user", target_id=actor.id,
                 case_id=case.id, details={"assignee_id": actor.id, "by_acting": True})


def reopen(session: Session, case: CaseFile, *, actor: User, reason: str,
           now: datetime | None = None) -> None:
    """Back to investigation with a written reason. Stops the retention clock; the next
    closure starts it again from zero."""
    _act(session, actor, case)
    _expect(case, CaseStatus.CLOSED)
    reason = _clean(reason, N_("why the case is reopened"), MIN_REASON)
    now = now or utcnow()
    case.closed_at = None
    case.outcome = None
    case.closed_approved_by_id = None
    case.retention_clock_from = None
    # A fresh deadline cycle from the reopening (cases.deadlines.current_cycle).
    case.reopened_at, case.reopen_feedback_at = now, None
    _transition(session, case, actor, CaseStatus.INVESTIGATING, now, reason=reason)


# --- messages, notes, assignment ----------------------------------------------------------

def send_message(session: Session, case: CaseFile, *, actor: User, text: str,
                 now: datetime | None = None, files: Sequence[CleanFile] = ()) -> CaseMessage:
    """A message to the anonymous reporter, shown on their receipt page (sealed at rest),
    with any files already cleaned by core/uploads.py (stored sealed like the reporter's; the
    reporter downloads them with their receipt: report/reports.py `reporter_download`)."""
    _act(session, actor, case)
    if not has_reporter_channel(case):
        raise CaseError(_("This case came from an escalation; there is no reporter to write to."))
    msg = CaseMessage(case_id=case.id, from_reporter=False, author_id=actor.id,
                      body_sealed=seal_text(_clean(text, N_("a message"))), created_at=now or utcnow())
    session.add(msg)
    session.flush()
    stored = [attachments.store(session, case, f, message_id=msg.id, from_reporter=False) for f in files]
    audit.record(session, "case.message_sent", actor=actor, target_type="case_message",
                 target_id=msg.id, case_id=case.id, at=msg.created_at,
                 details={"attachment_ids": [a.id for a in stored]} if stored else None)
    return msg


def add_note(session: Session, case: CaseFile, *, actor: User, text: str,
             now: datetime | None = None) -> CaseNote:
    """An internal note. The reporter never sees notes."""
    _act(session, actor, case)
    note = CaseNote(case_id=case.id, author_id=actor.id, body_sealed=seal_text(_clean(text, N_("a note"))),
                    created_at=now or utcnow())
    session.add(note)
    session.flush()
    audit.record(session, "case.note_added", actor=actor, target_type="case_note", target_id=note.id,
                 case_id=case.id, at=note.created_at)
    return note


def assign(session: Session, case: CaseFile, *, actor: User, assignee_id: int | None) -> None:
    _require_handler(session, actor, case)
    if assignee_id is None:
        if case.assigned_to_id is None:
            return
        case.assigned_to_id = None
    else:
        allowed = {p.id for p in case_access.eligible_handlers(session, case)}
        if assignee_id not in allowed:
            raise CaseError(_("That person cannot be assigned this case (role, conflict or account)."))
        if case.assigned_to_id == assignee_id:
            return
        case.assigned_to_id = assignee_id
        if assignee_id == actor.id:
            session.info.setdefault(SELF_TAKEN, set()).add(case.id)
    session.flush()
    audit.record(session, "case.assigned", actor=actor, target_type="user",
                 target_id=assignee_id or "", case_id=case.id,
                 details={"assignee_id": assignee_id})


# --- legal holds -------------------------------------------------------------------------

def place_hold(session: Session, case: CaseFile, *, actor: User, reason: str,
               now: datetime | None = None) -> LegalHold:
    _require_handler(session, actor, case)
    if case.legal_hold:
        raise CaseError(_("This case is already under a legal hold."))
    hold = LegalHold(case_id=case.id, reason_sealed=seal_text(_clean(reason, N_("the reason for the hold"),
                                                                       MIN_REASON)),
                     placed_by_id=actor.id, placed_at=now or utcnow())
    session.add(hold)
    case.legal_hold = True
    session.flush()
    audit.record(session, "case.legal_hold_placed", actor=actor, target_type="legal_hold",
                 target_id=hold.id, case_id=case.id, at=hold.placed_at)
    return hold


def lift_hold(session: Session, case: CaseFile, *, actor: User, now: datetime | None = None) -> None:
    """Lift the hold. Time spent under hold does not count towards retention: the clock
    start moves forward by the part of the hold that fell after it started."""
    _require_handler(session, actor, case)
    hold = open_hold(session, case)
    if hold is None:
        raise CaseError(_("This case is not under a legal hold."))
    now = now or utcnow()
    hold.lifted_at = now
    hold.lifted_by_id = actor.id
    case.legal_hold = False
    if case.retention_clock_from is not None:
        paused_from = max(hold.placed_at, case.retention_clock_from)
        case.retention_clock_from += max(now - paused_from, timedelta(0))
    session.flush()
    audit.record(session, "case.legal_hold_lifted", actor=actor, target_type="legal_hold",
                 target_id=hold.id, case_id=case.id, at=now)


def open_hold(session: Session, case: CaseFile) -> LegalHold | None:
    return session.scalars(select(LegalHold).where(LegalHold.case_id == case.id,
                                                   LegalHold.lifted_at.is_(None))).first()


# --- reading ----------------------------------------------------------------------------

def record_view(session: Session, case: CaseFile, *, actor: User, handler: bool = False) -> None:
    """Staff views of a case are audited (who opened what, when). The first time someone who
    handles it opens it, the report counts as read (`first_read_at`: the reporter's status
    page says "a person has read your report", no name, no time; "new case" notices resolve)."""
    if case.first_read_at is None and (handler or case_access.can_handle(session, actor, case)):
        case.first_read_at = utcnow()
        session.flush()
    audit.record(session, "case.viewed", actor=actor, target_type="case", target_id=case.id,
                 case_id=case.id)


@dataclass(frozen=True)
class DeadlineView:
    acknowledge_by: datetime
    feedback_by: datetime
    ack_state: str
    feedback_state: str
    next_label: str  # "acknowledge" | "feedback" | ""
    next_due: datetime | None
    summary: str  # "3 days left", "2 days overdue", "met", ...
    urgent: bool
    reopened_at: datetime | None = None  # set: these are the reopened cycle's deadlines
    # "directive" (the Whistleblower Act's 7 days / 3 months) or "internal" (an escalation
    # from the queue: no reporter, the desk's own service level, cases.deadlines.internal).
    clock: str = "directive"

    @property
    def next_state(self) -> str:
        """The state of the deadline that is next due ('' when none is pending)."""
        if self.next_label in ("acknowledge", "take up"):
            return self.ack_state
        if self.next_label in ("feedback", "conclude"):
            return self.feedback_state
        return ""


def _left(due: datetime, now: datetime) -> str:
    delta = due - now
    days = abs(delta).days
    hours = abs(delta).seconds // 3600
    # Shown on the handler's pages, so in their language (a worker gets English).
    if days:
        amount = str(ngettext("%(num)d day", "%(num)d days", days))
    elif hours:
        amount = str(ngettext("%(num)d hour", "%(num)d hours", hours))
    else:
        amount = str(_("less than an hour"))
    return str(_("%(amount)s overdue", amount=amount) if delta.total_seconds() < 0
               else _("%(amount)s left", amount=amount))


def deadline_view(case: CaseFile, now: datetime | None = None) -> DeadlineView:
    """Computed from the case's dates and the clock at the moment of asking, so a page shows
    a deadline as overdue the minute it passes, whether or not the daily job has run."""
    return deadline_view_of(case.status, case.received_at, case.acknowledged_at, case.feedback_at, now,
                            reopened_at=case.reopened_at, reopen_feedback_at=case.reopen_feedback_at,
                            source=case.source, closed_at=case.closed_at)


def deadline_view_of(status: str, received_at: datetime, acknowledged_at: datetime | None,
                     feedback_at: datetime | None, now: datetime | None = None, *,
                     reopened_at: datetime | None = None,
                     reopen_feedback_at: datetime | None = None, source: str = CaseSource.ANONYMOUS_REPORT,
                     closed_at: datetime | None = None) -> DeadlineView:
    now = now or utcnow()
    if source == CaseSource.ESCALATION:
        return _internal_view(status, received_at, acknowledged_at, reopened_at, closed_at, now)
    cycle = deadlines.current_cycle(received_at, acknowledged_at, feedback_at, reopened_at, reopen_feedback_at)
    d = cycle.deadlines
    ack = deadlines.state(d.acknowledge_by, cycle.acknowledged_at, now)
    fb = deadlines.state(d.feedback_by, cycle.feedback_at, now)
    if cycle.acknowledged_at is None:
        label, due = "acknowledge", d.acknowledge_by
    elif cycle.feedback_at is None and status != CaseStatus.CLOSED:
        label, due = "feedback", d.feedback_by
    else:
        label, due = "", None
    summary = _left(due, now) if due else str(_("all deadlines met") if "missed" not in (ack, fb)
                                              else _("a deadline was missed"))
    urgent = (ack if label == "acknowledge" else fb) in ("overdue", "due_soon") if label else False
    return DeadlineView(d.acknowledge_by, d.feedback_by, ack, fb, label, due, summary, urgent, cycle.reopened_at)


def _internal_view(status: str, received_at: datetime, acknowledged_at: datetime | None,
                   reopened_at: datetime | None, closed_at: datetime | None, now: datetime) -> DeadlineView:
    """An escalation: take it up within 2 days, conclude within 30 (from a reopening, again)."""
    start = reopened_at or received_at
    d = deadlines.internal(start)
    taken = reopened_at or acknowledged_at
    done = closed_at if status == CaseStatus.CLOSED else None
    take = deadlines.state(d.acknowledge_by, taken, now)
    conclude = deadlines.state(d.feedback_by, done, now)
    if taken is None:
        label, due = "take up", d.acknowledge_by
    elif done is None:
        label, due = "conclude", d.feedback_by
    else:
        label, due = "", None
    summary = _left(due, now) if due else str(_("service level met") if "missed" not in (take, conclude)
                                              else _("the service level was missed"))
    urgent = (take if label == "take up" else conclude) in ("overdue", "due_soon") if label else False
    return DeadlineView(d.acknowledge_by, d.feedback_by, take, conclude, label, due, summary, urgent,
                        reopened_at, clock="internal")


def message_texts(case: CaseFile) -> list[tuple[CaseMessage, str]]:
    return [(m, open_text(m.body_sealed) or "") for m in case.messages]


def notes(session: Session, case: CaseFile) -> list[tuple[CaseNote, str]]:
    rows = session.scalars(select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id))
    return [(n, open_text(n.body_sealed) or "") for n in rows]


def transitions(session: Session, case: CaseFile) -> list[CaseTransition]:
    return list(session.scalars(select(CaseTransition).where(CaseTransition.case_id == case.id)
                                .order_by(CaseTransition.at, CaseTransition.id)))


def report_fields(case: CaseFile) -> dict[str, str]:
    """The reporter's own words, opened for a handler's screen (never logged)."""
    fields = {_("What happened"): case.body_sealed, _("When and where"): case.occurred_sealed,
              _("Who was involved"): case.involved_sealed, _("Contact details"): case.contact_sealed}
    return {label: open_text(blob) or "" for label, blob in fields.items() if blob is not None}
