"""The safeguarding lead's desk: one list of everything waiting for the lead.

Referrals (from flags, from a moderator's escalation, and anonymous reports about a child,
which are referrals from the start: concerns.py) and any whistleblower case routed to the
lead that should be converted (through the case desk's visibility rules, conflict
exclusions included) sit in the same list: overdue first, then unassigned, then by risk
level (the lead's setting, else the desk's proposal: risk.py), then by time to target. One
clock: the first look within the safeguarding target. Each row has a one-line neutral
summary (a category and what kind of thing happened, never the child's words). Filters:
state (open, overdue, new, closed, all) and assignee (me, nobody, a named lead). New
alerts are a badge on their row and one "mark all seen" button, not a list of their own.
Everything is worked out when the page is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from c2c_safety.audit import log as audit
from c2c_safety.cases import access as case_access
from c2c_safety.core.locale import N_
from c2c_safety.review import policy
from c2c_safety.safeguarding import conversation as conversation_service
from c2c_safety.safeguarding import people as people_service
from c2c_safety.safeguarding import risk
from c2c_safety.safeguarding.referrals import first_actions, lead_candidates, row_of
from models import CaseFile, CaseRegime, CaseStatus, ReviewItem, Role, User, utcnow
from models.review import ReferralStatus, SafeguardingAlert, SafeguardingPerson, SafeguardingReferral

STATES: dict[str, str] = {"open": N_("Open"), "overdue": N_("Overdue"), "new": N_("New (not seen)"),
                          "closed": N_("Closed"), "all": N_("All")}
LIMIT = 500  # open work is small; the cap bounds a page if it ever is not
# Case statuses in which an anonymous report has not been taken up yet.
NOT_TAKEN_UP = frozenset({CaseStatus.RECEIVED, CaseStatus.ACKNOWLEDGED})


@dataclass(frozen=True)
class Filter:
    state: str = "open"
    assignee: str = ""  # "" anyone | "me" | "none" | a user id


@dataclass(frozen=True)
class DeskRow:
    kind: str  # referral | report
    id: int
    title: str
    risk: risk.Risk
    opened_at: datetime
    due_at: datetime
    overdue: bool
    target_met: bool
    status: str
    new_alerts: int
    lead: str
    deputy: str
    child: str = ""  # the referral's child at risk (from its people), for the chronology link
    summary: str = ""  # one neutral line: a category and what happened, never the words
    unassigned: bool = False
    needs_people: bool = False  # a report-born referral where no child at risk is known yet


@dataclass
class Desk:
    rows: list[DeskRow]
    target_hours: int
    overdue_count: int
    new_count: int
    leads: list[User] = field(default_factory=list)


def _names(session: Session) -> dict[int, str]:
    return {u.id: u.display_name or u.email for u in session.scalars(select(User))}


def _assignee_ok(f: Filter, viewer: User, lead_id: int | None, deputy_id: int | None = None) -> bool:
    if not f.assignee:
        return True
    if f.assignee == "me":
        return viewer.id in (lead_id, deputy_id)
    if f.assignee == "none":
        return lead_id is None
    return f.assignee.isdigit() and int(f.assignee) in (lead_id, deputy_id)


def _referral_rows(session: Session, viewer: User, f: Filter, now: datetime, target: timedelta,
                   names: dict[int, str]) -> list[DeskRow]:
    stmt = select(SafeguardingReferral)
    if f.state == "closed":
        stmt = stmt.where(SafeguardingReferral.status == ReferralStatus.CLOSED)
    elif f.state != "all":
        stmt = stmt.where(SafeguardingReferral.status == ReferralStatus.OPEN)
    # The items and their flags in two queries, not two per referral.
    refs = list(session.scalars(stmt.options(selectinload(SafeguardingReferral.item).selectinload(ReviewItem.flags))
                                .order_by(SafeguardingReferral.opened_at).limit(LIMIT)))
    ids = [r.id for r in refs]
    unseen: dict[int, int] = {}
    reopened: set[int] = set()
    everyone: dict[int, list[SafeguardingPerson]] = {}
    if ids:
        unseen = {rid: int(n) for rid, n in session.execute(
            select(SafeguardingAlert.referral_id, func.count()).where(
                SafeguardingAlert.referral_id.in_(ids), SafeguardingAlert.seen_at.is_(None))
            .group_by(SafeguardingAlert.referral_id))}
        reopened = set(session.scalars(select(SafeguardingAlert.referral_id).where(
            SafeguardingAlert.referral_id.in_(ids), SafeguardingAlert.kind == "reopened")))
        for p in session.scalars(select(SafeguardingPerson).where(SafeguardingPerson.referral_id.in_(ids))):
            everyone.setdefault(p.referral_id, []).append(p)
    firsts = first_actions(session, refs)
    spoke = conversation_service.participants_by_item(
        session, [r.item_id for r in refs if r.id not in everyone and r.item_id is not None])
    # The case files behind report-born referrals, through the case desk's visibility rules:
    # a lead excluded from a report (a conflict) does not see its referral either.
    cases = {c.id: c for c in session.scalars(case_access.visible_cases_query(viewer).where(
        CaseFile.id.in_([r.case_id for r in refs if r.case_id is not None])))} if refs else {}
    scores = risk.case_scores(session, [r.case_id for r in refs if r.case_id is not None and r.item_id is None])
    settings = risk.latest_settings(session, ids)
    out: list[DeskRow] = []
    for ref in refs:
        if not _assignee_ok(f, viewer, ref.assigned_to_id, ref.deputy_id):
            continue
        if ref.item_id is None and (ref.case_id or 0) not in cases:
            continue
        people = everyone.get(ref.id)
        if people is None and ref.item is not None:  # not opened on the desk yet: derive (not stored until then)
            people = [SafeguardingPerson(pseudonym=p.pseudonym, part=part, platform_role=p.platform_role,
                                         age_band=p.age_band)
                      for p, part in people_service.derive(
                          ref.item, people_service.participants(session, ref.item, spoke.get(ref.item.id, [])))]
        people = people or []
        case = cases.get(ref.case_id or 0)
        proposal = risk.of_referral(ref, people, reopened=ref.id in reopened, case=case,
                                    scores=scores.get(ref.case_id or 0))
        row = row_of(ref, target, now, firsts.get(ref.id))
        child = people_service.child_of(people)
        out.append(DeskRow(
            "referral", ref.id, _title(ref, case), risk.effective(proposal, settings.get(ref.id)), ref.opened_at,
            row.due_at, row.overdue, row.first_action_at is not None, ref.status, unseen.get(ref.id, 0),
            names.get(ref.assigned_to_id or 0, ""), names.get(ref.deputy_id or 0, ""),
            child=child, summary=summary(ref, case), unassigned=ref.assigned_to_id is None,
            needs_people=not child))
    return out


def _title(ref: SafeguardingReferral, case: CaseFile | None) -> str:
    if ref.item_id is None and case is not None:
        return str(_("Referral #%(id)s (anonymous report %(ref)s)", id=ref.id, ref=case.reference))
    return str(_("Referral #%(id)s (item %(item)s)", id=ref.id, item=ref.item_id))


def summary(ref: SafeguardingReferral, case: CaseFile | None) -> str:
    """One neutral line for the list: the category and the kind of thing that happened. The
    report's own words are on the referral page only."""
    if ref.item is None:
        label = case.category.replace("_", " ") if case is not None else _("a concern")
        n = len([m for m in case.messages if m.from_reporter]) if case is not None else 0
        more = "; " + ngettext("%(num)d follow-up message from the reporter",
                               "%(num)d follow-up messages from the reporter", n) if n else ""
        return str(_("Anonymous report: %(category)s", category=label)) + more
    item = ref.item
    cats = sorted({f.reason_category.replace("_", " ") for f in item.flags}) or [_("a concern")]
    where = " " + _("in a %(kind)s chat", kind=item.chat_kind.replace("_", " ")) if item.chat_kind else ""
    linked = "; " + _("linked to an anonymous report") if ref.case_id is not None else ""
    flagged = ngettext("flagged for %(categories)s (%(num)d flag)", "flagged for %(categories)s (%(num)d flags)",
                       item.flag_count, categories=", ".join(cats))
    return f"{item.content_type.replace('_', ' ').capitalize()}{where}, {flagged}{linked}"


def _report_rows(session: Session, viewer: User, f: Filter, now: datetime, target: timedelta,
                 names: dict[int, str]) -> list[DeskRow]:
    if f.state == "new":
        return []
    stmt = case_access.visible_cases_query(viewer).where(CaseFile.routed_role == Role.SAFEGUARDING_LEAD,
                                                         CaseFile.anonymised_at.is_(None))
    if f.state == "closed":
        stmt = stmt.where(CaseFile.status == CaseStatus.CLOSED)
    elif f.state != "all":
        stmt = stmt.where(CaseFile.status != CaseStatus.CLOSED)
    # Only whistleblower cases that should be referrals: reports about a child are referrals.
    stmt = stmt.where(CaseFile.regime == CaseRegime.WHISTLEBLOWING)
    out: list[DeskRow] = []
    for case in session.scalars(stmt.order_by(CaseFile.received_at).limit(LIMIT)):
        if not _assignee_ok(f, viewer, case.assigned_to_id):
            continue
        due = case.received_at + target
        taken_up = case.status not in NOT_TAKEN_UP
        overdue = case.status != CaseStatus.CLOSED and not taken_up and now > due
        out.append(DeskRow(
            "report", case.id, _("Whistleblower case %(ref)s", ref=case.reference), risk.of_report(),
            case.received_at, due,
            overdue, taken_up, "closed" if case.status == CaseStatus.CLOSED else "open", 0,
            names.get(case.assigned_to_id or 0, ""), "",
            summary=_("Whistleblower case: %(category)s; convert it to a referral",
                      category=case.category.replace("_", " ")),
            unassigned=case.assigned_to_id is None))
    return out


def _sort_key(r: DeskRow) -> tuple[int, int, int, int, int, float, str, int]:
    """Overdue first, then unassigned, then risk, then time to target; closed last."""
    if r.status == "closed":
        return (1, 0, 0, 0, 0, -r.opened_at.timestamp(), r.kind, r.id)
    return (0, int(not r.overdue), int(not r.unassigned), -r.risk.level, int(r.target_met),
            r.due_at.timestamp(), r.kind, r.id)


def desk(session: Session, viewer: User, f: Filter | None = None, now: datetime | None = None) -> Desk:
    f = f or Filter()
    now = now or utcnow()
    target = policy.safeguarding_target(session)
    names = _names(session)
    rows = _referral_rows(session, viewer, f, now, target, names) + _report_rows(session, viewer, f, now,
                                                                                 target, names)
    if f.state == "overdue":
        rows = [r for r in rows if r.overdue]
    elif f.state == "new":
        rows = [r for r in rows if r.new_alerts]
    rows.sort(key=_sort_key)
    new_count = session.scalar(select(func.count()).select_from(SafeguardingAlert)
                               .where(SafeguardingAlert.seen_at.is_(None))) or 0
    return Desk(rows, policy.safeguarding_target_hours(session), sum(1 for r in rows if r.overdue),
                int(new_count), lead_candidates(session))


def mark_all_seen(session: Session, *, actor: User) -> int:
    """Every unseen alert is marked seen by this lead; audited with the count."""
    now = utcnow()
    result = session.execute(update(SafeguardingAlert).where(SafeguardingAlert.seen_at.is_(None))
                             .values(seen_at=now, seen_by_id=actor.id).execution_options(synchronize_session=False))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        audit.record(session, "safeguarding.alerts_seen", actor=actor, target_type="safeguarding_alert",
                     details={"count": count, "all": True})
    return count


def mark_seen(session: Session, referral_id: int, *, actor: User) -> int:
    """The alerts of one referral."""
    now = utcnow()
    result = session.execute(update(SafeguardingAlert).where(SafeguardingAlert.referral_id == referral_id,
                                                             SafeguardingAlert.seen_at.is_(None))
                             .values(seen_at=now, seen_by_id=actor.id).execution_options(synchronize_session=False))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        audit.record(session, "safeguarding.alerts_seen", actor=actor, target_type="safeguarding_referral",
                     target_id=referral_id, details={"count": count})
    return count
