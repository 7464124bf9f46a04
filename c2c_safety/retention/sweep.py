"""Retention: policies as data, the sweep that applies them, and audit-log pruning.

Clocks: a case file's starts when it is closed (`retention_clock_from`), stops when it is
reopened, restarts at the next closure, and is paused by a legal hold (cases.lifecycle).
A safeguarding referral's starts when it is closed (`closed_at`; reopening clears it) and
is paused by a legal hold on the referral (`SafeguardingHold`); its item follows it. A
moderation item's starts at its latest decision. The audit log rolls after 90 days, but an
entry tied to a case or a referral (its views, and views of the chronology of anyone in it)
follows that record: it stays until the record is anonymised.

The sweep works in committed batches chosen by state (what is still due), so it is
idempotent and resumable: kill it halfway and the next run finishes the rest. Every
function takes `now` so tests and dry runs control the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, String, and_, cast, exists, func, or_, select, update
from sqlalchemy.orm import Session

from c2c_safety.audit import checkpoints
from c2c_safety.audit import log as audit
from c2c_safety.audit import prune as audit_prune
from c2c_safety.core.calendar import add_months
from c2c_safety.retention import anonymise
from models import (
    AnonymisedRecord,
    AuditEvent,
    CaseFile,
    CaseStatus,
    PeriodUnit,
    RetentionCategory,
    RetentionPolicy,
    RetentionRun,
    ReviewItem,
    User,
    utcnow,
)
from models.review import Appeal, AppealStatus, Decision, ReferralStatus, SafeguardingPerson, SafeguardingReferral
from models.safeguarding_records import SafeguardingHold

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolicySpec:
    category: str
    period: int
    unit: str
    floor: int
    clock: str
    action: str
    basis: str


# The platform's published retention schedule. `floor` is the minimum an admin can set.
DEFAULTS: tuple[PolicySpec, ...] = (
    PolicySpec(RetentionCategory.CASE_FILES, 60, PeriodUnit.MONTHS, 60, "from case closure",
               "anonymise",
               "Anonymous reports and investigation case files: at least 5 years from closure "
               "(platform reports-handling procedure; Directive (EU) 2019/1937 Art. 18 record "
               "keeping), then personal data is removed and a statistical stub kept. Legal floor: 5 years."),
    PolicySpec(RetentionCategory.MODERATION, 24, PeriodUnit.MONTHS, 6, "from the latest decision",
               "anonymise",
               "Moderation items and decisions: 2 years after the decision (configurable), long "
               "enough for appeals (DSA Art. 20: 6 months) and transparency reporting. Floor: 6 months."),
    PolicySpec(RetentionCategory.AUDIT_LOG, 90, PeriodUnit.DAYS, 30, "rolling, from the entry",
               "prune",
               "Security and audit logs: 90 days rolling. Entries tied to a case follow the case "
               "and are kept until it is anonymised. Floor: 30 days."),
    PolicySpec(RetentionCategory.SAFEGUARDING_REFERRALS, 60, PeriodUnit.MONTHS, 60, "from referral closure",
               "anonymise",
               "Safeguarding referrals, kept as investigation case files: at least 5 years from closure, as "
               "the platform's published retention schedule promises (child-protection record keeping; "
               "Directive (EU) 2019/1937 Art. 18 for the investigation record), then the people, notes, "
               "references and the item are removed and a statistical stub kept. A referral under a legal "
               "hold (evidence preserved) is skipped until released. Who viewed a referral or a child's "
               "chronology is kept as long as the referral. Legal floor: 5 years."),
    PolicySpec(RetentionCategory.PARENTAL_CONSENT, 60, PeriodUnit.MONTHS, 60, "from consent withdrawal or account end",
               "delete",
               "Parental-consent records: 5 years. The desk holds none today (the platform keeps "
               "them); the row documents the schedule. Floor: 5 years."),
)
SPECS = {p.category: p for p in DEFAULTS}


class RetentionError(ValueError):
    """Safe to show."""


def ensure_policies(session: Session) -> dict[str, RetentionPolicy]:
    """The policy rows, created from DEFAULTS where missing (idempotent)."""
    rows = {p.category: p for p in session.scalars(select(RetentionPolicy))}
    for spec in DEFAULTS:
        if spec.category not in rows:
            row = RetentionPolicy(category=spec.category, period=spec.period, unit=spec.unit,
                                  floor=spec.floor, clock=spec.clock, action=spec.action, basis=spec.basis)
            session.add(row)
            rows[spec.category] = row
    session.flush()
    return rows


def set_period(session: Session, category: str, period: int, *, actor: User) -> RetentionPolicy:
    policy = ensure_policies(session).get(category)
    if policy is None:
        raise RetentionError(_("Unknown data category."))
    floor = max(policy.floor, SPECS[category].floor)  # the code's floor wins over an edited row
    if period < floor:
        raise RetentionError(_("The legal minimum for this category is %(floor)d %(unit)s.", floor=floor,
                               unit=_("days") if policy.unit == "days" else _("months")))
    if period > 1200:
        raise RetentionError(_("That period is implausibly long."))
    old = policy.period
    if old == period:
        return policy
    policy.period = period
    policy.updated_at = utcnow()
    policy.updated_by_id = actor.id
    session.flush()
    audit.record(session, "retention.policy_changed", actor=actor, target_type="retention_policy",
                 target_id=policy.id, details={"category": category, "from": old, "to": period,
                                               "unit": policy.unit})
    return policy


def cutoff(policy: RetentionPolicy, now: datetime) -> datetime:
    """Records whose clock started at or before this instant are due. Calendar months are
    subtracted from `now`, which at month ends can keep a record a day longer, never less."""
    if policy.unit == PeriodUnit.MONTHS:
        return add_months(now, -policy.period)
    return now - timedelta(days=policy.period)


def _policy_details(policy: RetentionPolicy) -> dict[str, Any]:
    return {"policy": policy.category, "period": policy.period, "unit": policy.unit}


# --- what is due ----------------------------------------------------------------------------

def due_cases(policy: RetentionPolicy, now: datetime) -> Select[int]:
    return (select(CaseFile.id)
            .where(CaseFile.anonymised_at.is_(None), CaseFile.status == CaseStatus.CLOSED,
                   CaseFile.retention_clock_from.is_not(None),
                   CaseFile.retention_clock_from <= cutoff(policy, now),
                   CaseFile.legal_hold.is_(False))
            .order_by(CaseFile.retention_clock_from, CaseFile.id))


def held_cases(policy: RetentionPolicy, now: datetime) -> Select[int]:
    return (select(CaseFile.id)
            .where(CaseFile.anonymised_at.is_(None), CaseFile.status == CaseStatus.CLOSED,
                   CaseFile.retention_clock_from <= cutoff(policy, now), CaseFile.legal_hold.is_(True))
            .order_by(CaseFile.id))


def _referral_anonymised() -> Any:
    return (exists().where(AnonymisedRecord.record_type == "safeguarding_referral",
                           AnonymisedRecord.record_id == SafeguardingReferral.id)
            .correlate(SafeguardingReferral))


def _referral_held() -> Any:
    return (exists().where(SafeguardingHold.referral_id == SafeguardingReferral.id,
                           SafeguardingHold.released_at.is_(None))
            .correlate(SafeguardingReferral))


def due_referrals(policy: RetentionPolicy, now: datetime) -> Select[int]:
    """Closed referrals past the period, not anonymised, not under a legal hold."""
    return (select(SafeguardingReferral.id)
            .where(SafeguardingReferral.status == ReferralStatus.CLOSED, SafeguardingReferral.closed_at.is_not(None),
                   SafeguardingReferral.closed_at <= cutoff(policy, now), ~_referral_anonymised(),
                   ~_referral_held())
            .order_by(SafeguardingReferral.closed_at, SafeguardingReferral.id))


def held_referrals(policy: RetentionPolicy, now: datetime) -> Select[int]:
    return (select(SafeguardingReferral.id)
            .where(SafeguardingReferral.status == ReferralStatus.CLOSED,
                   SafeguardingReferral.closed_at <= cutoff(policy, now), ~_referral_anonymised(), _referral_held())
            .order_by(SafeguardingReferral.id))


def due_items(policy: RetentionPolicy, now: datetime) -> Select[int]:
    """Decided items whose latest decision is older than the period, unless an open appeal
    or a case file that is not yet anonymised still needs them (the case escalated from the
    item, or a case a decision on it escalated to). Every condition is correlated with the
    item being checked, so one open case holds back only its own items; each is a separate
    NOT EXISTS so PostgreSQL can answer it with an index (an OR of two correlations cannot)."""
    last_decision = (select(func.max(Decision.created_at)).where(Decision.item_id == ReviewItem.id)
                     .correlate(ReviewItem).scalar_subquery())
    case_from_item = (exists().where(CaseFile.review_item_id == ReviewItem.id, CaseFile.anonymised_at.is_(None))
                      .correlate(ReviewItem))
    case_from_decision = (exists().where(Decision.item_id == ReviewItem.id, Decision.case_file_id == CaseFile.id,
                                         CaseFile.anonymised_at.is_(None))
                          .correlate(ReviewItem))
    return (select(ReviewItem.id)
            .where(ReviewItem.status.in_(("decided", "closed")), last_decision <= cutoff(policy, now),
                   ~exists().where(AnonymisedRecord.record_type == "review_item",
                                   AnonymisedRecord.record_id == ReviewItem.id).correlate(ReviewItem),
                   ~exists().where(Appeal.item_id == ReviewItem.id, Appeal.status == AppealStatus.OPEN)
                   .correlate(ReviewItem),
                   ~case_from_item, ~case_from_decision,
                   # A safeguarding referral's item follows the referral (anonymised with it).
                   ~exists().where(SafeguardingReferral.item_id == ReviewItem.id).correlate(ReviewItem))
            .order_by(ReviewItem.id))


def audit_prunable_through(session: Session, policy: RetentionPolicy, now: datetime) -> tuple[int, int]:
    """(first, last) seq of the prunable prefix: sequenced entries older than the period and
    not tied to a case that still exists un-anonymised. Stops at the first entry that must
    stay. It may include the log's last entry: the sequencer keeps the head in its state
    row and the signed prune record anchors what comes next. (0, 0) when nothing is due."""
    first = session.scalar(select(func.min(AuditEvent.seq)))
    head = session.scalar(select(func.max(AuditEvent.seq)))
    if first is None or head is None:
        return 0, 0
    blocker = session.scalar(
        select(func.min(AuditEvent.seq)).select_from(AuditEvent)
        .outerjoin(CaseFile, CaseFile.id == AuditEvent.case_id)
        .where(AuditEvent.seq.is_not(None),
               or_(AuditEvent.at >= cutoff(policy, now),
                   and_(CaseFile.id.is_not(None), CaseFile.anonymised_at.is_(None)),
                   _tied_to_live_referral()))
    )
    last = (blocker - 1) if blocker is not None else head
    return (first, last) if last >= first else (0, 0)


def _tied_to_live_referral() -> Any:
    """An audit entry about a referral that is not anonymised (its views and actions), or a
    view of the chronology of someone in such a referral: the access log of a referral is
    kept as long as the referral (anonymisation deletes its people and renames its child)."""
    live_referral = (exists().where(cast(SafeguardingReferral.id, String) == AuditEvent.target_id,
                                    ~_referral_anonymised())
                     .correlate(AuditEvent))
    in_a_referral = or_(
        exists().where(SafeguardingPerson.pseudonym == AuditEvent.target_id).correlate(AuditEvent),
        exists().where(SafeguardingReferral.child_pseudonym == AuditEvent.target_id).correlate(AuditEvent))
    return or_(and_(AuditEvent.target_type == "safeguarding_referral", live_referral),
               and_(AuditEvent.target_type == "child", in_a_referral))


# --- the dry run ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Planned:
    category: str
    record: str
    action: str
    why: str


def plan(session: Session, now: datetime | None = None, *, limit: int = 10_000) -> list[Planned]:
    """What a sweep at `now` would change, and why. Changes nothing."""
    now = now or utcnow()
    pols = ensure_policies(session)
    out: list[Planned] = []
    cp = pols[RetentionCategory.CASE_FILES]
    stmt = due_cases(cp, now).add_columns(CaseFile.reference, CaseFile.retention_clock_from).limit(limit)
    edge = f"{cutoff(cp, now):%Y-%m-%d}"
    for _cid, ref, clock in session.execute(stmt):
        out.append(Planned(cp.category, ref, "anonymise",
                           f"closed {clock:%Y-%m-%d}; {cp.period} {cp.unit} elapsed (cut-off {edge})"))
    for cid in session.scalars(held_cases(cp, now).limit(limit)):
        ref = session.scalar(select(CaseFile.reference).where(CaseFile.id == cid))
        out.append(Planned(cp.category, str(ref), "skip", "period elapsed but under legal hold"))
    sp = pols[RetentionCategory.SAFEGUARDING_REFERRALS]
    for rid in session.scalars(due_referrals(sp, now).limit(limit)):
        out.append(Planned(sp.category, f"referral {rid}", "anonymise",
                           f"closed before {cutoff(sp, now):%Y-%m-%d} ({sp.period} {sp.unit})"))
    for rid in session.scalars(held_referrals(sp, now).limit(limit)):
        out.append(Planned(sp.category, f"referral {rid}", "skip", "period elapsed but under legal hold"))
    mp = pols[RetentionCategory.MODERATION]
    for iid in session.scalars(due_items(mp, now).limit(limit)):
        out.append(Planned(mp.category, f"item {iid}", "anonymise",
                           f"latest decision before {cutoff(mp, now):%Y-%m-%d} ({mp.period} {mp.unit})"))
    ap = pols[RetentionCategory.AUDIT_LOG]
    first, last = audit_prunable_through(session, ap, now)
    if last:
        out.append(Planned(ap.category, f"entries {first}-{last}", "prune",
                           f"older than {ap.period} days and not tied to a live case; an anchor keeps "
                           "the chain verifiable"))
    return out


# --- the sweep ------------------------------------------------------------------------------

@dataclass
class SweepResult:
    run_id: int
    counts: dict[str, int] = field(default_factory=dict)
    finished: bool = False


def _batches(session: Session, stmt: Select[int], batch_size: int, of: Any) -> Callable[[], list[int]]:
    def take() -> list[int]:
        q = stmt.limit(batch_size)
        if session.get_bind().dialect.name == "postgresql":
            # Two sweeps never take the same rows; a row a handler is editing waits for later.
            q = q.with_for_update(skip_locked=True, of=of)
        return list(session.scalars(q))
    return take


def batches_due(session: Session, now: datetime, batch_size: int) -> int:
    """Roughly how many batches a sweep at ``now`` will take (cases + items due; audit
    pruning adds a few), for the command line's progress bar. Read-only: rolled back."""
    pols = ensure_policies(session)
    cases = session.scalar(select(func.count()).select_from(
        due_cases(pols[RetentionCategory.CASE_FILES], now).subquery())) or 0
    items = session.scalar(select(func.count()).select_from(
        due_items(pols[RetentionCategory.MODERATION], now).subquery())) or 0
    session.rollback()
    return -(-cases // batch_size) + -(-items // batch_size)


def sweep(session: Session, now: datetime | None = None, *, batch_size: int = 1000,
          after_batch: Callable[[int], None] | None = None) -> SweepResult:
    """Apply every policy. Commits after each batch (this is a job, not a request).

    Two sweeps at once are safe: on PostgreSQL each batch takes its rows FOR UPDATE SKIP
    LOCKED, every UPDATE re-checks the row is still due, and an audit prune that finds its
    range already gone does nothing (SQLite serialises writers anyway)."""
    return _sweep(session, now or utcnow(), batch_size, after_batch)


def _sweep(session: Session, now: datetime, batch_size: int,
           after_batch: Callable[[int], None] | None) -> SweepResult:
    pols = ensure_policies(session)
    # A run left "running" was killed; this one finishes its work.
    session.execute(update(RetentionRun).where(RetentionRun.status == "running").values(status="interrupted"))
    run = RetentionRun(clock=now, started_at=utcnow(), counts={})
    session.add(run)
    session.commit()
    result = SweepResult(run.id, {"cases_anonymised": 0, "referrals_anonymised": 0, "items_anonymised": 0,
                                  "audit_pruned": 0})

    def done_batch(key: str, n: int) -> None:
        result.counts[key] += n
        run.batches += 1
        run.counts = dict(result.counts)
        session.commit()
        # Memory stays flat at any size: nothing of a finished batch stays in the session
        # (each batch is chosen afresh by a bounded query, never from a list held here).
        session.expunge_all()
        session.add(run)
        if after_batch is not None:
            after_batch(run.batches)

    cp = pols[RetentionCategory.CASE_FILES]
    take = _batches(session, due_cases(cp, now), batch_size, CaseFile)
    while ids := take():
        done_batch("cases_anonymised", anonymise.case_files(session, ids, now, policy=_policy_details(cp)))
    sp = pols[RetentionCategory.SAFEGUARDING_REFERRALS]
    take = _batches(session, due_referrals(sp, now), batch_size, SafeguardingReferral)
    while ids := take():
        done_batch("referrals_anonymised",
                   anonymise.safeguarding_referrals(session, ids, now, policy=_policy_details(sp)))
    mp = pols[RetentionCategory.MODERATION]
    take = _batches(session, due_items(mp, now), batch_size, ReviewItem)
    while ids := take():
        done_batch("items_anonymised", anonymise.review_items(session, ids, now, policy=_policy_details(mp)))
    # Audit pruning last: the anonymisations above free their cases' entries. The prefix is
    # computed once; it can only grow while we work, never shrink.
    ap = pols[RetentionCategory.AUDIT_LOG]
    first, last = audit_prunable_through(session, ap, now)
    while last and first <= last:
        through = min(last, first + batch_size * 10 - 1)
        done_batch("audit_pruned", prune_audit_through(session, through, ap))
        first = through + 1
    result.counts["held_skipped"] = session.scalar(
        select(func.count()).select_from(held_cases(cp, now).subquery())) or 0
    result.counts["referrals_held_skipped"] = session.scalar(
        select(func.count()).select_from(held_referrals(sp, now).subquery())) or 0
    run.counts = dict(result.counts)
    run.status = "finished"
    run.finished_at = utcnow()
    audit.record(session, "retention.sweep_finished", actor_label="system", target_type="retention_run",
                 target_id=run.id, details=dict(result.counts))
    session.commit()
    result.finished = True
    return result


def prune_audit_through(session: Session, through: int, policy: RetentionPolicy | None = None) -> int:
    """Prune the log's entries up to `through` under a signed prune record (audit.prune), so
    `audit verify` still proves that nothing after it was touched; commit; then append the
    record to the witness. Returns how many entries went."""
    why = (f"retention: {policy.category} kept {policy.period} {policy.unit}" if policy is not None
           else "retention")
    n, record = audit_prune.prune_through(session, through, reason=why)
    session.commit()
    if record is not None:
        checkpoints.append_witness(checkpoints.witness_path(), record)
    return n


def last_runs(session: Session, limit: int = 10) -> list[RetentionRun]:
    return list(session.scalars(select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit)))
