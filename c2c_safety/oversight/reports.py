"""Figures for the independent reviewer: Directive deadline compliance, DSA-style
transparency counts and the automation-bias watch.

Case figures are computed over the cases the viewer may see (cases.access), so a
person excluded from a case cannot even count it. Anonymised stubs keep their dates and
outcome, so old cases still count.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.cases import access as case_access
from c2c_safety.cases import deadlines
from c2c_safety.oversight import safeguarding_figures
from c2c_safety.review import wellbeing
from models import SUBSTANTIATED_OUTCOMES, CaseFile, CaseRegime, CaseSource, Flag, ReviewItem, User, utcnow
from models.review import Appeal, AppealStatus, Decision, DecisionKind


@dataclass
class Metric:
    label: str  # in the viewer's language, on the page and in its CSV/JSON export
    value: float | int | None
    unit: str = ""  # "%", "days", "": a code; the page words it
    of: int | None = None  # the denominator, for shares


@dataclass
class Report:
    since: datetime
    until: datetime
    directive: list[Metric] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    outcomes: list[tuple[str, int]] = field(default_factory=list)
    transparency: list[Metric] = field(default_factory=list)
    decisions_by_ground: list[tuple[str, int]] = field(default_factory=list)
    decisions_by_action: list[tuple[str, int]] = field(default_factory=list)
    bias: list[wellbeing.BiasRow] = field(default_factory=list)
    safeguarding: list[Metric] = field(default_factory=list)  # oversight/safeguarding_figures.py


def _share(hit: int, total: int) -> float | None:
    return round(100.0 * hit / total, 1) if total else None


def _median_days(values: list[timedelta]) -> float | None:
    return round(statistics.median(v.total_seconds() for v in values) / 86400, 1) if values else None


def directive_figures(session: Session, viewer: User, since: datetime, until: datetime,
                      now: datetime) -> tuple[list[Metric], list[tuple[str, int]], list[tuple[str, int]]]:
    cases = list(session.execute(
        case_access.visible_cases_query(viewer)
        .where(CaseFile.received_at >= since, CaseFile.received_at < until,
               CaseFile.regime == CaseRegime.WHISTLEBLOWING)  # reports about a child are referrals
        .with_only_columns(CaseFile.category, CaseFile.received_at, CaseFile.acknowledged_at,
                           CaseFile.feedback_at, CaseFile.closed_at, CaseFile.outcome, CaseFile.source)).all())
    ack_due = ack_met = fb_due = fb_met = 0
    escalations = internal_due = internal_met = 0
    to_close: list[timedelta] = []
    cats: dict[str, int] = {}
    outs: dict[str, int] = {}
    for cat, received, acked, fed, closed, outcome, source in cases:
        cats[cat] = cats.get(cat, 0) + 1
        if source == CaseSource.ESCALATION:
            # No reporter, no Directive clock: counted apart, against the internal service level.
            escalations += 1
            sla = deadlines.internal(received)
            if acked is not None or now > sla.acknowledge_by:
                internal_due += 1
                internal_met += acked is not None and acked <= sla.acknowledge_by
            if closed is not None:
                to_close.append(closed - received)
                if outcome:
                    outs[outcome] = outs.get(outcome, 0) + 1
            continue
        d = deadlines.compute(received, acked)
        # A deadline counts once it has passed or been met.
        if acked is not None or now > d.acknowledge_by:
            ack_due += 1
            ack_met += acked is not None and acked <= d.acknowledge_by
        if fed is not None or now > d.feedback_by:
            fb_due += 1
            fb_met += fed is not None and fed <= d.feedback_by
        if closed is not None:
            to_close.append(closed - received)
            if outcome:
                outs[outcome] = outs.get(outcome, 0) + 1
    decided = sum(outs.values())
    substantiated = sum(n for o, n in outs.items() if o in SUBSTANTIATED_OUTCOMES)
    metrics = [
        Metric(_("Cases received"), len(cases)),
        Metric(_("Anonymous reports (Whistleblower Act clocks)"), len(cases) - escalations),
        Metric(_("Acknowledged within 7 days"), _share(ack_met, ack_due), "%", ack_due),
        Metric(_("Feedback within 3 months"), _share(fb_met, fb_due), "%", fb_due),
        Metric(_("Escalations from the queue (internal service level)"), escalations),
        Metric(_("Escalations taken up within 2 days"), _share(internal_met, internal_due), "%", internal_due),
        Metric(_("Cases closed"), len(to_close)),
        Metric(_("Median time to close"), _median_days(to_close), "days", len(to_close)),
        Metric(_("Substantiated (fully or partly)"), _share(substantiated, decided), "%", decided),
    ]
    return metrics, sorted(cats.items()), sorted(outs.items())


def transparency_figures(session: Session, since: datetime,
                         until: datetime) -> tuple[list[Metric], list[tuple[str, int]], list[tuple[str, int]]]:
    def count(stmt: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)

    in_period = (Decision.created_at >= since, Decision.created_at < until)
    items = count(select(ReviewItem.id).where(ReviewItem.created_at >= since, ReviewItem.created_at < until))
    decisions = count(select(Decision.id).where(*in_period))
    by_ground = session.execute(select(Decision.reason_code, func.count()).where(*in_period)
                                .group_by(Decision.reason_code).order_by(Decision.reason_code)).all()
    by_action = session.execute(select(Decision.action, func.count()).where(*in_period)
                                .group_by(Decision.action).order_by(Decision.action)).all()
    waits = [created - flagged for created, flagged in session.execute(
        select(Decision.created_at, ReviewItem.first_flagged_at).join(ReviewItem, ReviewItem.id == Decision.item_id)
        .where(*in_period, Decision.kind == DecisionKind.INITIAL))]
    # Detected by automated means = the platform's automated systems flagged it (a flag from
    # the "system" flagger). Human flags are not automated detection, whatever the AI
    # pre-scores said: those only assisted the person who decided (counted separately).
    system_flagged = select(Flag.item_id).where(Flag.flagger_role == "system")
    automated = count(select(Decision.id).where(*in_period, Decision.item_id.in_(system_flagged)))
    ai_assisted = count(select(Decision.id).where(*in_period, Decision.ai_band.is_not(None)))
    appeals = count(select(Appeal.id).where(Appeal.received_at >= since, Appeal.received_at < until))
    reversed_ = count(select(Appeal.id).where(Appeal.received_at >= since, Appeal.received_at < until,
                                              Appeal.status == AppealStatus.REVERSED))
    metrics = [
        Metric(_("Items received"), items),
        Metric(_("Decisions"), decisions),
        Metric(_("Median time to decision"), _median_days(waits), "days", len(waits)),
        Metric(_("Detected by automated means (flagged by the platform's systems)"), _share(automated, decisions),
               "%", decisions),
        Metric(_("Decided with an AI pre-score shown (assistive only)"), _share(ai_assisted, decisions), "%",
               decisions),
        Metric(_("Appeals"), appeals),
        Metric(_("Appeals that reversed the decision"), _share(reversed_, appeals), "%", appeals),
    ]
    return metrics, [(str(g), int(n)) for g, n in by_ground], [(str(a), int(n)) for a, n in by_action]


def build(session: Session, viewer: User, since: datetime | None = None, until: datetime | None = None,
          now: datetime | None = None) -> Report:
    now = now or utcnow()
    until = until or now + timedelta(seconds=1)
    since = since or until - timedelta(days=365)
    rep = Report(since, until)
    rep.directive, rep.by_category, rep.outcomes = directive_figures(session, viewer, since, until, now)
    rep.transparency, rep.decisions_by_ground, rep.decisions_by_action = transparency_figures(session, since, until)
    rep.bias = wellbeing.automation_bias_summary(session, since)
    rep.safeguarding = [Metric(*f) for f in safeguarding_figures.figures(session, since, until, now)]
    return rep


def rows(rep: Report) -> list[dict[str, Any]]:
    """Flat rows for CSV/JSON export: section, metric, value, unit, of."""
    out: list[dict[str, Any]] = []

    def add(section: str, metric: str, value: Any, unit: str = "", of: int | None = None) -> None:
        out.append({"section": section, "metric": metric, "value": value, "unit": unit, "of": of})

    for m in rep.directive:
        add("directive", m.label, m.value, m.unit, m.of)
    for k, n in rep.by_category:
        add("cases_by_category", k, n)
    for k, n in rep.outcomes:
        add("case_outcomes", k, n)
    for m in rep.transparency:
        add("transparency", m.label, m.value, m.unit, m.of)
    for k, n in rep.decisions_by_ground:
        add("decisions_by_ground", k, n)
    for k, n in rep.decisions_by_action:
        add("decisions_by_action", k, n)
    for m in rep.safeguarding:
        add("safeguarding", m.label, m.value, m.unit, m.of)
    for b in rep.bias:
        add("automation_bias", f"moderator {b.moderator_id} agreement with AI", b.agreement_rate, "share",
            b.with_ai_position)
        add("automation_bias", f"moderator {b.moderator_id} fast agreement", b.fast_agreement_rate, "share",
            b.with_ai_position)
        add("automation_bias", f"moderator {b.moderator_id} decided sensitive content unseen", b.unrevealed,
            "decisions", b.decisions)
        add("automation_bias", f"moderator {b.moderator_id} same-text items decided along", b.bulk,
            "decisions", b.decisions)
    return out
