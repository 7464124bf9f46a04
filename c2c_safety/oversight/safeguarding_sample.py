"""The safeguarding part of the independent reviewer's weekly quality sample (issue 19, item 10).

Beside the moderation decisions (reviewer.draw_sample), each finished week draws up to
SAMPLE_SIZE referrals opened that week, seeded by the ISO week so the same week always gives
the same referrals, stored on first draw so verdicts attach to them. The reviewer reads each
referral (read-only, audited, /safeguarding/referrals/<id>) and records whether it was
handled well: agree, or disagree with a note (sealed). Retention removes a sample row with
its referral only if the referral itself is deleted; an anonymised stub keeps its verdicts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import open_text, seal_text
from c2c_safety.oversight.reviewer import ReviewerError, week_bounds
from c2c_safety.review import policy
from c2c_safety.safeguarding.referrals import first_actions
from models import User, Verdict, utcnow
from models.review import SafeguardingReferral
from models.safeguarding_records import SafeguardingSample

SAMPLE_SIZE = 3


def draw(session: Session, iso_year: int, iso_week: int, size: int = SAMPLE_SIZE) -> list[SafeguardingSample]:
    existing = list(session.scalars(select(SafeguardingSample).where(
        SafeguardingSample.iso_year == iso_year, SafeguardingSample.iso_week == iso_week)
        .order_by(SafeguardingSample.id)))
    if existing:
        return existing
    start, end = week_bounds(iso_year, iso_week)
    ids = list(session.scalars(select(SafeguardingReferral.id).where(
        SafeguardingReferral.opened_at >= start, SafeguardingReferral.opened_at < end)
        .order_by(SafeguardingReferral.id)))
    rng = random.Random(f"c2c-safeguarding-sample:{iso_year}-W{iso_week:02d}")
    rows = [SafeguardingSample(iso_year=iso_year, iso_week=iso_week, referral_id=i, drawn_at=utcnow())
            for i in sorted(rng.sample(ids, min(size, len(ids))))]
    session.add_all(rows)
    session.flush()
    return rows


@dataclass(frozen=True)
class SampleRow:
    sample: SafeguardingSample
    referral: SafeguardingReferral | None
    first_look: datetime | None
    late: bool
    note: str


def rows(session: Session, samples: list[SafeguardingSample], now: datetime | None = None) -> list[SampleRow]:
    now = now or utcnow()
    refs = {r.id: r for r in session.scalars(select(SafeguardingReferral).where(
        SafeguardingReferral.id.in_([s.referral_id for s in samples])))} if samples else {}
    firsts = first_actions(session, list(refs.values()))
    target = policy.safeguarding_target(session)
    out = []
    for s in samples:
        ref = refs.get(s.referral_id)
        first = firsts.get(s.referral_id)
        late = ref is not None and (first or now) > ref.opened_at + target
        out.append(SampleRow(s, ref, first, late, open_text(s.note_sealed) or ""))
    return out


def set_verdict(session: Session, reviewer: User, sample_id: int, verdict: str, note: str) -> SafeguardingSample:
    sample = session.get(SafeguardingSample, sample_id)
    if sample is None:
        raise LookupError(sample_id)
    if verdict not in (Verdict.AGREE, Verdict.DISAGREE):
        raise ReviewerError(_("Choose agree or disagree."))
    note = note.strip()
    if verdict == Verdict.DISAGREE and len(note) < 5:
        raise ReviewerError(_("Say briefly why you disagree."))
    if sample.reviewer_id is not None and sample.reviewer_id != reviewer.id:
        raise ReviewerError(_("Another reviewer already gave a verdict on this referral."))
    sample.verdict, sample.note_sealed = verdict, seal_text(note) if note else None
    sample.reviewer_id, sample.reviewed_at = reviewer.id, utcnow()
    session.flush()
    audit.record(session, "review.safeguarding_sample_verdict", actor=reviewer, target_type="safeguarding_referral",
                 target_id=sample.referral_id,
                 details={"verdict": verdict, "week": f"{sample.iso_year}-W{sample.iso_week:02d}"})
    return sample
