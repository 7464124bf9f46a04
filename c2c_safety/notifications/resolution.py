"""Notices resolve themselves when their work is done.

Every notice names its subject: a kind of work and its id ("referral" 12, "case" 7,
"appeal" 3, "webhooks"). One resolver per subject kind reads the work's own state and says
which of a batch of open notices are done:

- a referral: closed, gone, or taken up (the lead recorded something since it (re)opened);
  a handover of it: also once the holder acted on it, or it was handed on again;
- a case: closed, anonymised or gone; a new case: taken up (opened by someone at the desk,
  moved on from received, or an escalation acknowledged); a deadline notice: once that
  deadline is no longer the case's next one (met, or moved by a reopening); a handover:
  once the holder acted on it or it was handed on;
- an appeal: decided; failing webhooks: none failing any more;
- a question put to a senior on an item ("ask", the question note's id): answered (their
  note or decision), or the item no longer waits (decided by anyone, or gone).

Nobody has to remember to call this. It runs (1) for one person's notices whenever their
inbox or home page is listed, (2) over every open notice in the periodic scan
(`notices-scan`), and (3) at commit, for the subjects the transaction touched: an
`after_flush` hook notes every case, referral, appeal, referral action, case step, message
or note written, and `before_commit` resolves their notices in the same transaction.
`resolve_for(session, subject)` does (3) explicitly.

Resolution is derived state (the work itself is audited where it happens), so it writes no
audit row of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import event, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from c2c_safety.cases import deadlines
from models import (
    CaseFile,
    CaseMessage,
    CaseNote,
    CaseSource,
    CaseStatus,
    CaseTransition,
    ItemStatus,
    Notice,
    ReviewItem,
    utcnow,
)
from models.review import (
    Appeal,
    AppealStatus,
    ItemNote,
    ReferralStatus,
    SafeguardingAction,
    SafeguardingReferral,
    WebhookDelivery,
    WebhookStatus,
)

log = logging.getLogger(__name__)

REFERRAL = "referral"
CASE = "case"
APPEAL = "appeal"
WEBHOOKS = "webhooks"
ASK = "ask"

BATCH = 500
_TOUCHED = "c2c_notice_subjects"  # session.info key: subjects written in this transaction
_RUNNING = "c2c_notice_resolving"

Subject = tuple[str, int]
Resolver = Callable[[Session, list[Notice]], set[int]]

# Set-based is enough: the number of open notices is the open work of the desk.
FAILING_ATTEMPTS = 5  # as triggers.FAILING_ATTEMPTS (that module imports this one)


def subject_from_link(link: str) -> Subject | None:
    """A notice made without a subject still resolves if its link names the work (a caller
    in another package that only passed a link)."""
    for prefix, kind in (("/safeguarding/referrals/", REFERRAL), ("/cases/", CASE)):
        if link.startswith(prefix):
            head = link[len(prefix):].split("/", 1)[0].split("?", 1)[0]
            if head.isdecimal() and len(head) < 12:
                return kind, int(head)
    return None


def _referrals(session: Session, notices: list[Notice]) -> set[int]:
    ids = {n.subject_id for n in notices if n.subject_id is not None}
    refs = {r.id: r for r in session.scalars(select(SafeguardingReferral).where(SafeguardingReferral.id.in_(ids)))}
    # When each referral was last acted on, and by whom, since it (re)opened.
    acted: dict[int, list[tuple[int, datetime]]] = {}
    for rid, actor_id, at in session.execute(
            select(SafeguardingAction.referral_id, SafeguardingAction.actor_id, SafeguardingAction.at)
            .join(SafeguardingReferral, SafeguardingReferral.id == SafeguardingAction.referral_id)
            .where(SafeguardingAction.referral_id.in_(ids), SafeguardingAction.at >= SafeguardingReferral.opened_at)):
        if rid is not None:
            acted.setdefault(rid, []).append((actor_id, at))
    done: set[int] = set()
    for n in notices:
        ref = refs.get(n.subject_id or 0)
        if ref is None or ref.status == ReferralStatus.CLOSED:
            done.add(n.id)
        elif n.kind == "handover":
            holder = n.user_id in (ref.assigned_to_id, ref.deputy_id)
            if not holder or any(a == n.user_id and at >= n.created_at for a, at in acted.get(ref.id, [])):
                done.add(n.id)
        elif acted.get(ref.id):
            done.add(n.id)  # taken up: the first look is recorded
    return done


def _acted_on_cases(session: Session, ids: set[int]) -> dict[int, list[tuple[int | None, datetime]]]:
    out: dict[int, list[tuple[int | None, datetime]]] = {}
    for model, who, when in ((CaseTransition, CaseTransition.actor_id, CaseTransition.at),
                             (CaseMessage, CaseMessage.author_id, CaseMessage.created_at),
                             (CaseNote, CaseNote.author_id, CaseNote.created_at)):
        for cid, actor_id, at in session.execute(select(model.case_id, who, when)  # type: ignore[attr-defined]
                                                 .where(model.case_id.in_(ids))):  # type: ignore[attr-defined]
            out.setdefault(cid, []).append((actor_id, at))
    return out


def _next_due(case: CaseFile) -> datetime | None:
    if case.source == CaseSource.ESCALATION or case.status == CaseStatus.CLOSED:
        return None
    cycle = deadlines.current_cycle(case.received_at, case.acknowledged_at, case.feedback_at,
                                    case.reopened_at, case.reopen_feedback_at)
    if cycle.acknowledged_at is None:
        return cycle.deadlines.acknowledge_by
    if cycle.feedback_at is None:
        return cycle.deadlines.feedback_by
    return None


def _taken_up(case: CaseFile) -> bool:
    if case.status in (CaseStatus.INVESTIGATING, CaseStatus.FEEDBACK_GIVEN):
        return True
    if case.source == CaseSource.ESCALATION:
        return case.status != CaseStatus.RECEIVED
    return case.first_read_at is not None


def _cases(session: Session, notices: list[Notice]) -> set[int]:
    ids = {n.subject_id for n in notices if n.subject_id is not None}
    cases = {c.id: c for c in session.scalars(select(CaseFile).where(CaseFile.id.in_(ids)))}
    handovers = {n.subject_id for n in notices if n.kind == "handover" and n.subject_id is not None}
    acted = _acted_on_cases(session, handovers) if handovers else {}
    done: set[int] = set()
    for n in notices:
        case = cases.get(n.subject_id or 0)
        if case is None or case.status == CaseStatus.CLOSED or case.anonymised_at is not None:
            done.add(n.id)
        elif n.kind in ("deadline_soon", "deadline_missed"):
            due = _next_due(case)
            if due is None or n.target_at is None or abs((due - n.target_at).total_seconds()) > 1:
                done.add(n.id)
        elif n.kind == "handover":
            handed_on = case.assigned_to_id is not None and case.assigned_to_id != n.user_id
            if handed_on or any(a == n.user_id and at >= n.created_at for a, at in acted.get(case.id, [])):
                done.add(n.id)
        elif _taken_up(case):
            done.add(n.id)
    return done


def _appeals(session: Session, notices: list[Notice]) -> set[int]:
    ids = {n.subject_id for n in notices if n.subject_id is not None}
    still_open = set(session.scalars(select(Appeal.id).where(Appeal.id.in_(ids),
                                                             Appeal.status == AppealStatus.OPEN)))
    return {n.id for n in notices if n.subject_id not in still_open}


def _webhooks(session: Session, notices: list[Notice]) -> set[int]:
    failing = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.status == WebhookStatus.PENDING, WebhookDelivery.attempts >= FAILING_ATTEMPTS)) or 0
    return set() if failing else {n.id for n in notices}


# As review.claims.WAITING (review imports this package, so it cannot be imported here).
_ITEM_WAITING = (ItemStatus.OPEN, ItemStatus.APPEALED)


def _asks(session: Session, notices: list[Notice]) -> set[int]:
    ids = {n.subject_id for n in notices if n.subject_id is not None}
    still_open = set(session.scalars(
        select(ItemNote.id).join(ReviewItem, ReviewItem.id == ItemNote.item_id)
        .where(ItemNote.id.in_(ids), ItemNote.answered_at.is_(None), ReviewItem.status.in_(_ITEM_WAITING))))
    return {n.id for n in notices if n.subject_id not in still_open}


RESOLVERS: dict[str, Resolver] = {REFERRAL: _referrals, CASE: _cases, APPEAL: _appeals, WEBHOOKS: _webhooks,
                                  ASK: _asks}


def _resolve(session: Session, notices: Iterable[Notice], now: datetime) -> int:
    by_kind: dict[str, list[Notice]] = {}
    for n in notices:
        if n.subject_kind in RESOLVERS:
            by_kind.setdefault(n.subject_kind, []).append(n)
    done: set[int] = set()
    for kind, batch in by_kind.items():
        for start in range(0, len(batch), BATCH):
            done |= RESOLVERS[kind](session, batch[start:start + BATCH])
    if not done:
        return 0
    ids = sorted(done)
    for start in range(0, len(ids), BATCH):
        session.execute(update(Notice).where(Notice.id.in_(ids[start:start + BATCH]), Notice.resolved_at.is_(None))
                        .values(resolved_at=now).execution_options(synchronize_session=False))
    session.flush()
    return len(ids)


def resolve_open(session: Session, *, user_id: int | None = None, now: datetime | None = None) -> int:
    """Mark done every open notice (of one person, or everyone's) whose work is done."""
    stmt = select(Notice).where(Notice.resolved_at.is_(None), Notice.subject_kind.is_not(None))
    if user_id is not None:
        stmt = stmt.where(Notice.user_id == user_id)
    return _resolve(session, list(session.scalars(stmt.order_by(Notice.id))), now or utcnow())


def resolve_for(session: Session, subject: Subject, now: datetime | None = None) -> int:
    """Resolve at once the notices about one piece of work, if it is done."""
    notices = list(session.scalars(select(Notice).where(
        Notice.subject_kind == subject[0], Notice.subject_id == subject[1], Notice.resolved_at.is_(None))))
    return _resolve(session, notices, now or utcnow())


# -- at commit: the subjects this transaction wrote ------------------------------------------

def _subject_of(obj: object) -> Subject | None:
    if isinstance(obj, CaseFile):
        return CASE, obj.id
    if isinstance(obj, CaseTransition | CaseMessage | CaseNote):
        return CASE, obj.case_id
    if isinstance(obj, SafeguardingReferral):
        return REFERRAL, obj.id
    if isinstance(obj, SafeguardingAction) and obj.referral_id is not None:
        return REFERRAL, obj.referral_id
    if isinstance(obj, Appeal):
        return APPEAL, obj.id
    return None


@event.listens_for(Session, "after_flush")
def _note_subjects(session: Session, _ctx: object) -> None:
    if session.info.get(_RUNNING):
        return
    for obj in (*session.new, *session.dirty):
        subject = _subject_of(obj)
        if subject is not None and subject[1] is not None:
            session.info.setdefault(_TOUCHED, set()).add(subject)


@event.listens_for(Session, "before_commit")
def _resolve_touched(session: Session) -> None:
    if session.info.get(_RUNNING):
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # before_commit comes before commit's own flush: see every change first
    subjects: set[Subject] | None = session.info.pop(_TOUCHED, None)
    if not subjects:
        return
    session.info[_RUNNING] = True
    try:
        with session.begin_nested():
            for subject in sorted(subjects):
                resolve_for(session, subject)
    except SQLAlchemyError as exc:
        # Never block the work itself: the next listing or scan resolves them.
        log.warning("notice resolution at commit skipped (%s)", type(exc).__name__)
    finally:
        session.info.pop(_RUNNING, None)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
