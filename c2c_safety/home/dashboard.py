"""The staff home page: per role, what waits for you, what is overdue and what changed since
your last visit, each a count linking to the work.

Counts only (indexed columns: item status, referral status, case status/assignee, notices
by person and state), computed when the page is shown. The last visit is one row per person
(`home_visits`), moved forward on each visit after the counts are taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c2c_safety.cases import access as case_access
from c2c_safety.cases import queries as case_queries
from c2c_safety.notifications import inbox, kinds
from c2c_safety.notifications.triggers import FAILING_ATTEMPTS, QUEUE_TARGET, safeguarding_target
from models import CaseFile, CaseStatus, HomeVisit, Notice, ReviewItem, Role, User, utcnow
from models.intake import ItemStatus
from models.review import Appeal, AppealStatus, ReferralStatus, SafeguardingReferral, WebhookDelivery, WebhookStatus


@dataclass(frozen=True)
class Tile:
    label: str
    count: int
    href: str
    overdue: bool = False  # drawn as needing attention


@dataclass(frozen=True)
class Section:
    title: str
    tiles: list[Tile]
    labels_counted: bool = False  # the labels say their own count ("3 new cases"): only the last tile shows one


@dataclass(frozen=True)
class Dashboard:
    sections: list[Section]
    last_visit: datetime | None


def _count(session: Session, stmt: object) -> int:
    return int(session.scalar(stmt) or 0)  # type: ignore[call-overload]


def _moderator(session: Session, now: datetime, since: datetime) -> Section:
    waiting = select(func.count()).select_from(ReviewItem).where(ReviewItem.status == ItemStatus.OPEN)
    return Section(_("Moderation queue"), [
        Tile(_("Items waiting"), _count(session, waiting), "/queue"),
        Tile(_("Waiting longer than 24 hours"), _count(session, waiting.where(
            ReviewItem.first_flagged_at < now - QUEUE_TARGET)), "/queue", overdue=True),
        Tile(_("Open appeals"), _count(session, select(func.count()).select_from(Appeal).where(
            Appeal.status == AppealStatus.OPEN)), "/queue"),
        Tile(_("New items since your last visit"), _count(session, waiting.where(
            ReviewItem.first_flagged_at >= since)), "/queue"),
    ])


def _safeguarding(session: Session, me: User, now: datetime, since: datetime) -> Section:
    open_refs = select(func.count()).select_from(SafeguardingReferral).where(
        SafeguardingReferral.status == ReferralStatus.OPEN)
    return Section(_("Safeguarding"), [
        Tile(_("Open referrals"), _count(session, open_refs), "/safeguarding"),
        Tile(_("Yours (named lead or deputy)"), _count(session, open_refs.where(
            (SafeguardingReferral.assigned_to_id == me.id) | (SafeguardingReferral.deputy_id == me.id))),
            "/safeguarding?assignee=me"),
        Tile(_("Open past the first-look target"), _count(session, open_refs.where(
            SafeguardingReferral.opened_at < now - safeguarding_target(session))),
            "/safeguarding?state=overdue", overdue=True),
        Tile(_("Opened since your last visit"), _count(session, open_refs.where(
            SafeguardingReferral.opened_at >= since)), "/safeguarding"),
    ])


def _cases(session: Session, me: User, now: datetime, since: datetime) -> Section:
    visible = case_access.visible_cases_query(me).where(CaseFile.status != CaseStatus.CLOSED,
                                                        CaseFile.anonymised_at.is_(None))
    counts = case_queries.counts(session, me, now=now)

    def n(stmt: object) -> int:
        return _count(session, select(func.count()).select_from(stmt.subquery()))  # type: ignore[attr-defined]

    return Section(_("Cases"), [
        Tile(_("Assigned to you"), n(visible.where(CaseFile.assigned_to_id == me.id)), "/cases/?mine=1"),
        Tile(_("Unassigned in your desk"), n(visible.where(CaseFile.assigned_to_id.is_(None))), "/cases/"),
        Tile(_("Overdue"), counts["overdue"], "/cases/?deadline=overdue", overdue=True),
        Tile(_("Due soon"), counts["due_soon"], "/cases/?deadline=due_soon"),
        Tile(_("Closures waiting for your approval"), n(visible.where(
            CaseFile.close_proposed_by_id.is_not(None), CaseFile.close_proposed_by_id != me.id)), "/cases/"),
        Tile(_("New since your last visit"), n(visible.where(CaseFile.received_at >= since)), "/cases/"),
    ])


def _admin(session: Session) -> Section:
    failing = select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.status == WebhookStatus.PENDING, WebhookDelivery.attempts >= FAILING_ATTEMPTS)
    return Section(_("Administration"), [
        Tile(_("Webhook deliveries failing"), _count(session, failing), "/admin/webhooks", overdue=True),
    ])


def _notices(session: Session, me: User, since: datetime) -> Section:
    per_kind = inbox.open_counts(session, me)
    tiles = [Tile(kinds.counted(k, v), v, "/notices") for k, v in sorted(per_kind.items())]
    new = _count(session, select(func.count()).select_from(Notice).where(
        Notice.user_id == me.id, Notice.created_at >= since, Notice.resolved_at.is_(None)))
    return Section(_("Notices"), [*tiles, Tile(_("New notices since your last visit"), new, "/notices")],
                   labels_counted=True)


def build(session: Session, me: User, now: datetime | None = None) -> Dashboard:
    """Take the counts, then record this visit (the caller commits)."""
    now = now or utcnow()
    visit = session.get(HomeVisit, me.id)
    last = visit.seen_at if visit is not None else None
    since = last or now - timedelta(days=1)
    inbox.groups(session, me)  # resolve my notices whose work is done first
    roles = me.role_names
    sections = [_notices(session, me, since)]
    if Role.MODERATOR in roles:
        sections.append(_moderator(session, now, since))
    if Role.SAFEGUARDING_LEAD in roles:
        sections.append(_safeguarding(session, me, now, since))
    if roles & set(case_access.CASE_ROLES):
        sections.append(_cases(session, me, now, since))
    if Role.ADMIN in roles:
        sections.append(_admin(session))
    if visit is None:
        session.add(HomeVisit(user_id=me.id, seen_at=now))
    else:
        visit.seen_at = now
    session.flush()
    return Dashboard(sections, last)
