"""Safeguarding figures for the independent reviewer's reports (issue 19, item 10).

Over the referrals opened in the period: how soon a lead first looked (the first record by a
lead since the referral (re)opened; median and 90th percentile, in hours), the share that
went past the first-look target, and what the desk did — external referrals (municipality,
police, allegations), hotline reports, requests to the platform and their withdrawals,
escalations for cover and legal holds. Counts only: no child, no person, no text.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.review import policy
from c2c_safety.safeguarding.actions import EXTERNAL_REFERRALS, PLATFORM_KINDS
from c2c_safety.safeguarding.referrals import first_actions
from models.review import SafeguardingAction, SafeguardingReferral
from models.safeguarding_records import SafeguardingEscalation, SafeguardingHold

# (label, value, unit, denominator): oversight.reports makes its Metric rows of these.
# Labels are in the viewer's language (the page and its CSV/JSON export); units are codes.
Figure = tuple[str, float | int | None, str, int | None]


def _fig(label: str, value: float | int | None, unit: str = "", of: int | None = None) -> Figure:
    return label, value, unit, of


def _share(hit: int, total: int) -> float | None:
    return round(100.0 * hit / total, 1) if total else None


def _hours(values: list[timedelta], q: float) -> float | None:
    """The q-quantile (nearest rank) of the values, in hours."""
    if not values:
        return None
    ordered = sorted(v.total_seconds() for v in values)
    rank = max(1, math.ceil(q * len(ordered)))
    return round(ordered[rank - 1] / 3600, 1)


def figures(session: Session, since: datetime, until: datetime, now: datetime) -> list[Figure]:
    refs = list(session.scalars(select(SafeguardingReferral).where(
        SafeguardingReferral.opened_at >= since, SafeguardingReferral.opened_at < until)))
    target = policy.safeguarding_target(session)
    firsts = first_actions(session, refs)
    looks = [firsts[r.id] - r.opened_at for r in refs if r.id in firsts]
    # Counted once the target has passed or been met: a referral still inside it is neither.
    due = [r for r in refs if r.id in firsts or now > r.opened_at + target]
    late = [r for r in due if (firsts.get(r.id) or now) > r.opened_at + target]

    def actions(*where: object) -> int:
        return int(session.scalar(select(func.count()).select_from(SafeguardingAction).where(
            SafeguardingAction.at >= since, SafeguardingAction.at < until, *where)) or 0)  # type: ignore[arg-type]

    requests = actions(SafeguardingAction.kind.in_(PLATFORM_KINDS))
    withdrawn = actions(SafeguardingAction.kind.in_(PLATFORM_KINDS), SafeguardingAction.withdrawn_at.is_not(None))
    steps = {str(step): int(n) for step, n in session.execute(select(SafeguardingEscalation.step, func.count())
                                                              .where(SafeguardingEscalation.at >= since,
                                                                     SafeguardingEscalation.at < until)
                                                              .group_by(SafeguardingEscalation.step))}
    holds = int(session.scalar(select(func.count()).select_from(SafeguardingHold).where(
        SafeguardingHold.placed_at >= since, SafeguardingHold.placed_at < until)) or 0)
    return [
        _fig(_("Referrals opened"), len(refs)),
        _fig(_("Time to first look, median"), _hours(looks, 0.5), "hours", len(looks)),
        _fig(_("Time to first look, 90th percentile"), _hours(looks, 0.9), "hours", len(looks)),
        _fig(_("Past the first-look target (%(hours)d h)", hours=int(target.total_seconds() // 3600)),
             _share(len(late), len(due)), "%", len(due)),
        _fig(_("External referrals (municipality, police, allegations)"), actions(
            SafeguardingAction.kind.in_(EXTERNAL_REFERRALS))),
        _fig(_("Hotline reports (sexual images of a child)"), actions(SafeguardingAction.kind == "hotline_report")),
        _fig(_("Requests to the platform"), requests),
        _fig(_("Requests withdrawn"), _share(withdrawn, requests), "%", requests),
        _fig(_("Escalated to the deputy (cover)"), int(steps.get("deputy", 0))),
        _fig(_("Escalated to the CEO (cover)"), int(steps.get("ceo", 0))),
        _fig(_("Legal holds placed"), holds),
    ]
