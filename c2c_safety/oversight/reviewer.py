"""The independent reviewer's own work: review notes, weekly quality samples, and the audit
log browser. (The compliance and transparency figures are in oversight.reports.)

The reviewer reads everything (cases through services.case_access, like everyone) and
writes only their own notes and sample verdicts.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.audit import sequencer as audit_sequencer
from c2c_safety.cases import access as case_access
from c2c_safety.core import params
from c2c_safety.core.crypto import open_text, seal_text
from models import AuditEvent, CaseFile, QualitySample, ReviewItem, ReviewNote, User, Verdict, utcnow
from models.review import Decision

SAMPLE_SIZE = 10
MAX_NOTE = 10_000


class ReviewerError(ValueError):
    """Safe to show."""


# --- review notes -----------------------------------------------------------------------

def add_note(session: Session, author: User, text: str, *, case_id: int | None = None,
             decision_id: int | None = None) -> ReviewNote:
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise ReviewerError(_("Write a note of at most %(num)d characters.", num=MAX_NOTE))
    if case_id is not None and not case_access.can_view(session, author, case_id):
        raise case_access.CaseNotFoundError(case_id)
    note = ReviewNote(author_id=author.id, case_id=case_id, decision_id=decision_id,
                      body_sealed=seal_text(text), created_at=utcnow())
    session.add(note)
    session.flush()
    audit.record(session, "review.note_added", actor=author, target_type="review_note", target_id=note.id,
                 case_id=case_id, details={"decision_id": decision_id} if decision_id else None)
    return note


def can_edit_note(session: Session, author: User, note_id: int) -> bool:
    note = session.get(ReviewNote, note_id)
    return note is not None and note.author_id == author.id and (
        note.case_id is None or case_access.can_view(session, author, note.case_id))


def edit_note(session: Session, author: User, note_id: int, text: str) -> ReviewNote:
    """Only the author edits a note; anyone else gets the same answer as for no note."""
    note = session.get(ReviewNote, note_id)
    if note is None or not can_edit_note(session, author, note_id):
        raise LookupError(note_id)
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise ReviewerError(_("Write a note of at most %(num)d characters.", num=MAX_NOTE))
    note.body_sealed = seal_text(text)
    note.updated_at = utcnow()
    session.flush()
    audit.record(session, "review.note_edited", actor=author, target_type="review_note", target_id=note.id,
                 case_id=note.case_id)
    return note


def notes_for(session: Session, user: User, *, case_id: int | None = None,
              limit: int = 100) -> list[tuple[ReviewNote, str]]:
    """Review notes the viewer may see: general ones, and those on cases visible to them."""
    stmt = select(ReviewNote).where(
        (ReviewNote.case_id.is_(None)) | ReviewNote.case_id.in_(case_access.visible_case_ids(user)))
    if case_id is not None:
        stmt = stmt.where(ReviewNote.case_id == case_id)
    rows = session.scalars(stmt.order_by(ReviewNote.id.desc()).limit(limit))
    return [(n, open_text(n.body_sealed) or "") for n in rows]


# --- weekly quality samples -------------------------------------------------------------

def week_bounds(iso_year: int, iso_week: int) -> tuple[datetime, datetime]:
    start = datetime.combine(date.fromisocalendar(iso_year, iso_week, 1), datetime.min.time(), UTC)
    return start, start + timedelta(days=7)


def last_complete_week(now: datetime | None = None) -> tuple[int, int]:
    y, w, _day = ((now or utcnow()) - timedelta(days=7)).isocalendar()
    return y, w


class WeekError(ValueError):
    """A week the sample page cannot show; the message is safe to show."""


WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


def parse_week(value: str | None, now: datetime | None = None) -> tuple[int, int]:
    """'2026-W07' (or '2026W07', '2026-w7') → (2026, 7), exactly the week asked for; no
    value → the last complete week. A malformed value, a week that does not exist (W53 of a
    52-week year) or one that has not started yet raises WeekError with what to write."""
    if not value or not value.strip():
        return last_complete_week(now)
    m = WEEK_RE.match(value[:20])
    if m is None:
        raise WeekError(_("Write the week as year-W-number, for example 2026-W07."))
    year, week = int(m.group(1)), int(m.group(2))
    if not params.MIN_DATE.year <= year <= params.MAX_DATE.year:  # the calendar's ends overflow (year 0)
        raise WeekError(_("Choose a year from %(first)d to %(last)d.", first=params.MIN_DATE.year,
                          last=params.MAX_DATE.year))
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise WeekError(_("%(year)d has no week %(week)d: ISO weeks run from 1 to %(last)d.", year=year,
                          week=week, last=date(year, 12, 28).isocalendar()[1])) from None
    if start > (now or utcnow()).date():
        raise WeekError(_("Week %(week)s has not started yet.", week=f"{year}-W{week:02d}"))
    return year, week


def week_is_over(iso_year: int, iso_week: int, now: datetime | None = None) -> bool:
    return week_bounds(iso_year, iso_week)[1] <= (now or utcnow())


def draw_sample(session: Session, iso_year: int, iso_week: int, size: int = SAMPLE_SIZE) -> list[QualitySample]:
    """The week's sample: the same week always gives the same decisions (seeded by the ISO
    week over the sorted ids), stored on first draw so verdicts attach to it."""
    existing = list(session.scalars(select(QualitySample).where(
        QualitySample.iso_year == iso_year, QualitySample.iso_week == iso_week).order_by(QualitySample.id)))
    if existing:
        return existing
    start, end = week_bounds(iso_year, iso_week)
    rows = session.execute(select(Decision.id, Decision.decided_by_id, Decision.reason_code)
                           .where(Decision.created_at >= start, Decision.created_at < end)
                           .order_by(Decision.id)).all()
    rng = random.Random(f"c2c-quality-sample:{iso_year}-W{iso_week:02d}")
    chosen = rng.sample(rows, min(size, len(rows)))
    samples = [QualitySample(iso_year=iso_year, iso_week=iso_week, decision_id=r[0], moderator_id=r[1],
                             category=r[2] or "", drawn_at=utcnow()) for r in sorted(chosen)]
    session.add_all(samples)
    session.flush()
    return samples


@dataclass(frozen=True)
class SampleRow:
    sample: QualitySample
    decision: Decision | None
    item: ReviewItem | None
    moderator: str
    note: str


def sample_rows(session: Session, samples: list[QualitySample]) -> list[SampleRow]:
    out = []
    for s in samples:
        decision = session.get(Decision, s.decision_id)
        item = session.get(ReviewItem, decision.item_id) if decision else None
        moderator = session.get(User, s.moderator_id) if s.moderator_id else None
        out.append(SampleRow(s, decision, item, moderator.email if moderator else "(removed)",
                             open_text(s.note_sealed) or ""))
    return out


def set_verdict(session: Session, reviewer: User, sample_id: int, verdict: str, note: str) -> QualitySample:
    sample = session.get(QualitySample, sample_id)
    if sample is None:
        raise LookupError(sample_id)
    if verdict not in (Verdict.AGREE, Verdict.DISAGREE):
        raise ReviewerError(_("Choose agree or disagree."))
    note = note.strip()
    if verdict == Verdict.DISAGREE and len(note) < 5:
        raise ReviewerError(_("Say briefly why you disagree."))
    if sample.reviewer_id is not None and sample.reviewer_id != reviewer.id:
        raise ReviewerError(_("Another reviewer already gave a verdict on this decision."))
    sample.verdict = verdict
    sample.note_sealed = seal_text(note) if note else None
    sample.reviewer_id = reviewer.id
    sample.reviewed_at = utcnow()
    session.flush()
    audit.record(session, "review.sample_verdict", actor=reviewer, target_type="decision",
                 target_id=sample.decision_id, details={"verdict": verdict, "week": f"{sample.iso_year}-W"
                                                        f"{sample.iso_week:02d}"})
    return sample


@dataclass(frozen=True)
class RateRow:
    week: str
    key: str
    reviewed: int
    disagreed: int

    @property
    def rate(self) -> float:
        return self.disagreed / self.reviewed if self.reviewed else 0.0


def disagreement_rates(session: Session, by: str) -> list[RateRow]:
    """Disagreement rate per ISO week and per moderator (`by="moderator"`) or category."""
    key_col = QualitySample.moderator_id if by == "moderator" else QualitySample.category
    rows = session.execute(
        select(QualitySample.iso_year, QualitySample.iso_week, key_col, func.count(),
               func.sum(case((QualitySample.verdict == Verdict.DISAGREE, 1), else_=0)))
        .where(QualitySample.verdict.is_not(None))
        .group_by(QualitySample.iso_year, QualitySample.iso_week, key_col)
        .order_by(QualitySample.iso_year, QualitySample.iso_week, key_col)).all()
    emails = dict(session.execute(select(User.id, User.email)).all()) if by == "moderator" else {}
    return [RateRow(f"{y}-W{w:02d}", emails.get(k, str(k)) if by == "moderator" else str(k), int(n), int(d or 0))
            for y, w, k, n, d in rows]


# --- the audit browser ------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None
    case_reference: str = ""
    before_seq: int | None = None


def audit_query(session: Session, viewer: User, f: AuditFilter) -> Select[AuditEvent] | None:
    """Entries the viewer may see (none tied to a case hidden from them), filtered. None when
    the case filter names a case the viewer cannot see (the same as no such case)."""
    stmt = select(AuditEvent).where(case_access.audit_rows_clause(viewer))
    if f.action:
        stmt = stmt.where(AuditEvent.action.startswith(f.action.strip(), autoescape=True))
    if f.actor:
        stmt = stmt.where(AuditEvent.actor_label.contains(f.actor.strip(), autoescape=True))
    if f.since:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(f.since, datetime.min.time(), UTC))
    if f.until:
        stmt = stmt.where(AuditEvent.at < datetime.combine(f.until + timedelta(days=1), datetime.min.time(), UTC))
    if f.case_reference:
        case_id = session.scalar(case_access.visible_case_ids(viewer).where(
            CaseFile.reference == f.case_reference.strip().upper()))
        if case_id is None:
            return None
        stmt = stmt.where(AuditEvent.case_id == case_id)
    return stmt


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEvent]  # sequenced, newest first (keyset pages on seq)
    pending: list[AuditEvent]  # written but not yet sequenced (first page only), newest first
    pending_total: int  # every entry waiting for the sequencer, whatever the filter


def browse(session: Session, viewer: User, f: AuditFilter, page_size: int = 100) -> AuditPage:
    total = audit_sequencer.pending_count(session)
    stmt = audit_query(session, viewer, f)
    if stmt is None:
        return AuditPage([], [], total)
    seqd = stmt.where(AuditEvent.seq.is_not(None))
    if f.before_seq:
        seqd = seqd.where(AuditEvent.seq < f.before_seq)
    entries = list(session.scalars(seqd.order_by(AuditEvent.seq.desc()).limit(page_size)))
    pending: list[AuditEvent] = []
    if not f.before_seq and total:
        pending = list(session.scalars(stmt.where(AuditEvent.seq.is_(None))
                                       .order_by(AuditEvent.id.desc()).limit(page_size)))
    return AuditPage(entries, pending, total)


def case_trail(session: Session, viewer: User, case_id: int) -> list[AuditEvent]:
    """A case's full audit trail in log order, entries not yet sequenced last (raises
    CaseNotFoundError when not visible)."""
    case_access.get_visible(session, viewer, case_id)
    return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                .order_by(AuditEvent.seq.is_(None), AuditEvent.seq, AuditEvent.id)))


TRAIL_FIELDS = ("seq", "at", "actor_label", "action", "target_type", "target_id", "case_id", "details",
                "prev_hash", "hash")


def event_dict(ev: AuditEvent) -> dict[str, object]:
    return {"seq": ev.seq, "at": ev.at.isoformat(), "actor_label": ev.actor_label, "action": ev.action,
            "target_type": ev.target_type, "target_id": ev.target_id, "case_id": ev.case_id,
            "details": ev.details, "prev_hash": ev.prev_hash, "hash": ev.hash}


# --- decisions and items, read-only -------------------------------------------------------

@dataclass(frozen=True)
class DecisionRow:
    decision: Decision
    item: ReviewItem
    moderator: str
    facts: str


def decisions_page(session: Session, *, before_id: int | None = None, moderator: str = "", ground: str = "",
                   page_size: int = 50) -> list[DecisionRow]:
    """Every decision with its item and statement of reasons, newest first (keyset pages)."""
    from models.review import StatementOfReasons

    stmt = (select(Decision, ReviewItem, User.email, StatementOfReasons.facts)
            .join(ReviewItem, ReviewItem.id == Decision.item_id)
            .join(User, User.id == Decision.decided_by_id)
            .outerjoin(StatementOfReasons, StatementOfReasons.decision_id == Decision.id))
    if before_id:
        stmt = stmt.where(Decision.id < before_id)
    if moderator:
        stmt = stmt.where(User.email.contains(moderator.strip(), autoescape=True))
    if ground:
        stmt = stmt.where(Decision.reason_code == ground.strip())
    rows = session.execute(stmt.order_by(Decision.id.desc()).limit(page_size)).all()
    return [DecisionRow(d, i, email, facts or "") for d, i, email, facts in rows]
