"""AI pre-scores in the database: picking pending work, storing scores, recording failures.

Everything here is plain SQL through SQLAlchemy and never imports torch: the workers call it
around the model, the CLI calls it for `rescore`/`reconcile`. The rules:

- A subject ("item" = ReviewItem, "case" = CaseFile) is *claimed* by setting
  `scoring_lease_until` with one conditional UPDATE ... RETURNING (pending, and the lease empty
  or expired), so two workers never score the same subject at the same time. The lease value
  is also the claim token: results are written only while the row still carries it, so a
  worker whose lease expired (and whose subject someone else re-claimed) writes nothing.
- Scores are written with INSERT ... ON CONFLICT DO NOTHING on (subject, model_version):
  a re-run job never stores the same scores twice; a new model version adds a row (history).
- Scores never touch `status` or decide anything; they only feed `triage.refresh`.
- Failure texts hold the exception type (and, for model-file problems, the message) — never
  content. After `max_attempts` the subject stays visible, marked `failed`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from c2c_safety.scoring.context import score_extra
from classifiers import CATEGORIES, REVIEW_THRESHOLDS, ScoreResult
from models import CaseFile, ItemScore, ReviewItem, ScoreStatus, utcnow

KINDS = ("item", "case")
Subject = ReviewItem | CaseFile
SubjectModel = type[ReviewItem] | type[CaseFile]
ERROR_MAX = 300


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "") or default))
    except ValueError:
        return default


@dataclass(frozen=True)
class ScoringSettings:
    """Tuning knobs (C2C_SCORING_*); defaults chosen by `python -m bench` (docs/scoring.md)."""

    batch_size: int = 32  # subjects per model call and per claim (best in bench; docs/scoring.md)
    lease_seconds: int = 300  # far above one batch; a lease only matters when a worker dies
    max_attempts: int = 3  # then `failed`, still in the human queue
    job_budget_seconds: int = 10  # one job drains batches this long, then hands over
    linger_ms: int = 500  # a draining job waits this long for new arrivals before ending
    reconcile_after_seconds: int = 120  # pending and unleased this long → the reconciler re-enqueues
    reconcile_interval_seconds: int = 60

    @classmethod
    def from_env(cls) -> ScoringSettings:
        d = cls()
        return cls(
            batch_size=_env_int("C2C_SCORING_BATCH", d.batch_size),
            lease_seconds=_env_int("C2C_SCORING_LEASE_SECONDS", d.lease_seconds),
            max_attempts=_env_int("C2C_SCORING_MAX_ATTEMPTS", d.max_attempts),
            job_budget_seconds=_env_int("C2C_SCORING_JOB_BUDGET_SECONDS", d.job_budget_seconds),
            linger_ms=_env_int("C2C_SCORING_LINGER_MS", d.linger_ms),
            reconcile_after_seconds=_env_int("C2C_RECONCILE_AFTER_SECONDS", d.reconcile_after_seconds),
            reconcile_interval_seconds=_env_int("C2C_RECONCILE_INTERVAL_SECONDS",
                                                d.reconcile_interval_seconds),
        )


def model_for(kind: str) -> SubjectModel:
    if kind == "item":
        return ReviewItem
    if kind == "case":
        return CaseFile
    raise ValueError(f"unknown scoring subject {kind!r}")


def _created_col(kind: str) -> Any:
    return ReviewItem.created_at if kind == "item" else CaseFile.received_at


def error_text(exc: BaseException, *, with_message: bool = False) -> str:
    """What goes into `score_error` and the logs: the type, and a message only for errors
    whose messages we write ourselves (model files), because others may quote input."""
    name = type(exc).__name__
    if with_message and str(exc):
        return f"{name}: {exc}"[:ERROR_MAX]
    return name[:ERROR_MAX]


# ---------------------------------------------------------------- claiming


@dataclass(frozen=True)
class Claim:
    kind: str
    lease: datetime  # the claim token: the exact lease value we wrote
    ids: list[int]
    contexts: Mapping[int, Sequence[str]] = field(default_factory=dict)  # preceding messages per id


def _claimable(model: SubjectModel, now: datetime, max_attempts: int) -> ColumnElement[bool]:
    return and_(
        model.score_status == ScoreStatus.PENDING,
        or_(model.scoring_lease_until.is_(None), model.scoring_lease_until < now),
        model.score_attempts < max_attempts,
    )


def claim(session: Session, kind: str, own_ids: Sequence[int], settings: ScoringSettings,
          *, others: bool = True, exclude: Collection[int] = (), now: datetime | None = None) -> Claim:
    """Lease up to `batch_size` pending subjects: `own_ids` first, then the oldest others.

    Each UPDATE re-checks the claim condition, so on PostgreSQL a row another worker
    leased meanwhile is skipped (re-evaluated after its lock), and on SQLite the write
    lock (BEGIN IMMEDIATE) serialises claims. SKIP LOCKED keeps PG workers from queueing
    behind each other's candidate rows. `exclude`: ids this job already tried (one it
    released for a retry must wait for RQ's backoff, not be retried in the same loop).
    The caller commits.
    """
    model = model_for(kind)
    now = now or utcnow()
    lease = now + timedelta(seconds=settings.lease_seconds)
    cond = _claimable(model, now, settings.max_attempts)
    values = {"scoring_lease_until": lease, "score_attempts": model.score_attempts + 1}
    opts = {"synchronize_session": False}
    ids: list[int] = []
    own = [i for i in dict.fromkeys(int(i) for i in own_ids) if i not in exclude][: settings.batch_size]
    if own:
        stmt = update(model).where(model.id.in_(own), cond).values(**values).returning(model.id)
        ids += session.execute(stmt, execution_options=opts).scalars().all()
    room = settings.batch_size - len(ids)
    if others and room > 0:
        # Two statements on purpose: as a subquery inside the UPDATE, PostgreSQL may re-run
        # the LIMITed pick for each row, and since claimed rows stop matching, every re-run
        # picks fresh ones (one job then claimed all 40 pending items in a test).
        pick = select(model.id).where(cond).order_by(model.id).limit(room)
        if exclude:
            pick = pick.where(model.id.not_in(list(exclude)))
        if session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        picked = list(session.scalars(pick).all())
        if picked:
            stmt = update(model).where(model.id.in_(picked), cond).values(**values).returning(model.id)
            ids += session.execute(stmt, execution_options=opts).scalars().all()
    return Claim(kind, lease, sorted(ids))


def any_claimable(session: Session, kind: str, ids: Sequence[int], settings: ScoringSettings) -> bool:
    if not ids:
        return False
    model = model_for(kind)
    stmt = select(model.id).where(model.id.in_(list(ids)),
                                  _claimable(model, utcnow(), settings.max_attempts)).limit(1)
    return session.scalar(stmt) is not None


def load_texts(session: Session, claim_: Claim) -> tuple[dict[int, str], dict[int, str]]:
    """Texts of the claimed subjects, and per-subject errors (a case body that won't open).

    Case bodies are sealed; opening them needs the app context (key ring) the job runs in.
    """
    texts: dict[int, str] = {}
    errors: dict[int, str] = {}
    if not claim_.ids:
        return texts, errors
    if claim_.kind == "item":
        for item_id, text in session.execute(
                select(ReviewItem.id, ReviewItem.text).where(ReviewItem.id.in_(claim_.ids))):
            texts[item_id] = text or ""
        return texts, errors
    from c2c_safety.core.crypto import open_text

    for case_id, sealed in session.execute(
            select(CaseFile.id, CaseFile.body_sealed).where(CaseFile.id.in_(claim_.ids))):
        try:
            texts[case_id] = open_text(sealed) or ""
        except Exception as exc:
            errors[case_id] = error_text(exc)
    return texts, errors


# ---------------------------------------------------------------- writing


def top_category(scores: Mapping[str, float]) -> tuple[str, float]:
    """The category furthest over (or least under) its review threshold, and its raw score.

    Relative to REVIEW_THRESHOLDS because raw probabilities are not comparable across
    categories (grooming at 0.4 may be over its threshold while profanity at 0.45 is not).
    The score stays the raw probability so `top_score >= REVIEW_THRESHOLDS[top_category]`
    holds exactly when *some* category is at or over its threshold (priority.band relies
    on comparing the two).
    """
    best, best_ratio = CATEGORIES[0], -1.0
    for category in CATEGORIES:
        value = float(scores.get(category, 0.0))
        threshold = REVIEW_THRESHOLDS.get(category, 0.5)
        ratio = value / threshold if threshold > 0 else value
        if ratio > best_ratio:
            best, best_ratio = category, ratio
    return best, float(scores.get(best, 0.0))


def _load_mine(session: Session, claim_: Claim) -> list[Subject]:
    """The claimed rows still carrying our lease, locked for this transaction (PG: FOR UPDATE;
    SQLite already holds the write lock), so a moderator's concurrent save cannot interleave
    between our read and our versioned UPDATE."""
    model = model_for(claim_.kind)
    stmt = select(model).where(model.id.in_(claim_.ids)).with_for_update()
    if claim_.kind == "item":
        stmt = stmt.options(selectinload(ReviewItem.flags))
    rows: Sequence[Subject] = session.scalars(stmt).all()  # type: ignore[assignment]
    return [r for r in rows
            if r.score_status == ScoreStatus.PENDING and r.scoring_lease_until == claim_.lease]


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert(ItemScore) if dialect == "postgresql" else sqlite.insert(ItemScore)
    # executemany form (batched by SQLAlchemy's insertmanyvalues): one cached statement
    # whatever the batch size, unlike a multi-row VALUES literal.
    stmt = ins.on_conflict_do_nothing(index_elements=["subject_type", "subject_id", "model_version"])
    session.execute(stmt, rows)


@dataclass
class StoreOutcome:
    scored: list[int]
    failed: list[int]  # out of attempts: marked failed
    retry: list[int]  # released for another attempt
    lost: list[int]  # lease no longer ours: someone else owns the result


def store(session: Session, claim_: Claim, results: Mapping[int, ScoreResult],
          errors: Mapping[int, str], settings: ScoringSettings) -> StoreOutcome:
    """Write results and per-subject errors for one claim; refresh triage. The caller commits."""
    from c2c_safety.review import triage

    mine = _load_mine(session, claim_)
    out = StoreOutcome([], [], [], sorted(set(claim_.ids) - {r.id for r in mine}))
    now = utcnow()
    rows = [
        {"subject_type": claim_.kind, "subject_id": r.id, "model_name": res.model_name,
         "model_version": res.model_version, "scores": dict(res.scores), "reasons": dict(res.reasons),
         "language": res.language, "language_reliable": res.language_reliable,
         "created_at": now, "extra": score_extra(res)}
        for r in mine if (res := results.get(r.id)) is not None
    ]
    if rows:
        _insert_ignore(session, rows)
    for r in mine:
        res = results.get(r.id)
        r.scoring_lease_until = None
        if res is None:
            _fail_one(r, errors.get(r.id, "NoResult"), settings, out)
            continue
        r.score_status, r.score_error = ScoreStatus.SCORED, None
        if isinstance(r, ReviewItem):
            r.top_category, r.top_score = top_category(res.scores)
            r.language, r.language_reliable = res.language, res.language_reliable
        out.scored.append(r.id)
    subjects = [r for r in mine if isinstance(r, ReviewItem) and r.id not in out.retry]
    if subjects:
        # The batch's reads in four queries (refresh_many), and no autoflush between items:
        # each item is then written by one UPDATE at the end instead of one per query.
        with session.no_autoflush:
            triage.refresh_many(session, subjects)
    session.flush()
    return out


def _fail_one(r: Subject, error: str, settings: ScoringSettings, out: StoreOutcome) -> None:
    r.score_error = error[:ERROR_MAX]
    if r.score_attempts >= settings.max_attempts:
        r.score_status = ScoreStatus.FAILED
        out.failed.append(r.id)
    else:
        out.retry.append(r.id)


def release(session: Session, claim_: Claim) -> int:
    """Hand a claim back untouched: lease cleared and the attempt given back (the batch was
    not at fault, e.g. the write of another batch failed). Only rows still carrying our token."""
    model = model_for(claim_.kind)
    result = session.execute(
        update(model).where(model.id.in_(claim_.ids), model.scoring_lease_until == claim_.lease,
                            model.score_status == ScoreStatus.PENDING)
        .values(scoring_lease_until=None, score_attempts=model.score_attempts - 1),
        execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)


def record_failure(session: Session, claim_: Claim, error: str,
                   settings: ScoringSettings) -> StoreOutcome:
    """The whole claim failed (model unavailable or raised): release or fail each subject."""
    return store(session, claim_, {}, dict.fromkeys(claim_.ids, error), settings)


# ---------------------------------------------------------------- reconciling and rescoring


def stale_pending(session: Session, kind: str, older_than_seconds: int, settings: ScoringSettings,
                  *, limit: int = 10_000, now: datetime | None = None) -> list[int]:
    """Committed but not being scored: pending, no live lease, older than the threshold."""
    model = model_for(kind)
    now = now or utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    stmt = (select(model.id)
            .where(_claimable(model, now, settings.max_attempts), _created_col(kind) <= cutoff)
            .order_by(model.id).limit(limit))
    return list(session.scalars(stmt).all())


def fail_exhausted(session: Session, kind: str, settings: ScoringSettings,
                   *, now: datetime | None = None) -> list[int]:
    """Pending subjects whose every attempt died with its worker (lease expired, attempts
    used up): nothing would ever claim them again, so mark them failed, visibly."""
    from c2c_safety.review import triage

    model = model_for(kind)
    now = now or utcnow()
    stmt = select(model).where(
        model.score_status == ScoreStatus.PENDING, model.score_attempts >= settings.max_attempts,
        or_(model.scoring_lease_until.is_(None), model.scoring_lease_until < now)).with_for_update()
    rows: Sequence[Subject] = session.scalars(stmt).all()  # type: ignore[assignment]
    for r in rows:
        r.score_status, r.scoring_lease_until = ScoreStatus.FAILED, None
        r.score_error = r.score_error or "WorkerLost: no attempt finished"
    session.flush()
    triage.refresh_many(session, [r for r in rows if isinstance(r, ReviewItem)])
    return [r.id for r in rows]


@dataclass(frozen=True)
class RescoreSelection:
    all: bool = False
    since: datetime | None = None
    item_ids: tuple[int, ...] = ()
    category: str | None = None
    failed: bool = False

    def describe(self) -> dict[str, object]:
        return {"all": self.all, "since": self.since.isoformat() if self.since else None,
                "items": len(self.item_ids), "category": self.category, "failed": self.failed}


def select_for_rescore(session: Session, sel: RescoreSelection) -> list[int]:
    conds: list[ColumnElement[bool]] = []
    if sel.item_ids:
        conds.append(ReviewItem.id.in_(sel.item_ids))
    if sel.since is not None:
        conds.append(ReviewItem.created_at >= sel.since)
    if sel.category:
        conds.append(ReviewItem.top_category == sel.category)
    if sel.failed:
        conds.append(ReviewItem.score_status == ScoreStatus.FAILED)
    if not conds and not sel.all:
        return []
    return list(session.scalars(select(ReviewItem.id).where(*conds).order_by(ReviewItem.id)).all())


def mark_for_rescore(session: Session, item_ids: Sequence[int], chunk: int = 500) -> int:
    """Back to pending with fresh attempts; any live lease is dropped, so a worker still
    busy with the old model finds its token gone and writes nothing. Stored priority and the
    old scores stay until the new ones land (triage refreshes then). The caller commits."""
    done = 0
    ids = list(item_ids)
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        session.execute(
            update(ReviewItem).where(ReviewItem.id.in_(part))
            .values(score_status=ScoreStatus.PENDING, score_attempts=0, score_error=None,
                    scoring_lease_until=None),
            execution_options={"synchronize_session": False})
        done += len(part)
    return done
