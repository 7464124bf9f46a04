"""Cover for an overdue referral (issue 19, item 6): the schedule.

An open referral that nobody has taken up (no record by a lead since it (re)opened,
referrals.first_actions) by its first-look target goes to its named deputy — or, when it has
none (or the deputy is no longer an active lead), to every other active safeguarding lead,
and to every lead when there is no other. If still nobody has taken it up `settings.ceo_after`
after that step, it goes on to the CEO. Each step is a notice (`safeguarding_overdue`, always
by e-mail), a `SafeguardingEscalation` row on the referral, and an audit entry, all in one
transaction; the row's unique key (referral, step, the opening it belongs to) makes each step
happen once per opening however often, and however concurrently, the job runs. A reopened
referral has a new opening and is covered afresh.

`next_step` is the rule alone (pure, for the tests and the docs); `run` applies it. The
periodic job is `safeguarding-cover` (core/periodic.py, workers/safeguarding.py). Nothing
here decides anything about a child: it only makes sure a person looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.locale import N_
from c2c_safety.notifications import kinds, notices, triggers
from c2c_safety.review import policy
from c2c_safety.safeguarding import settings
from c2c_safety.safeguarding.referrals import first_actions, lead_candidates
from models import Role, User, utcnow
from models.review import ReferralStatus, SafeguardingReferral
from models.safeguarding_records import SafeguardingEscalation

DEPUTY = "deputy"
CEO = "ceo"
STEPS: dict[str, str] = {DEPUTY: N_("Escalated to the deputy"), CEO: N_("Escalated to the CEO")}


def next_step(*, opened_at: datetime, target: timedelta, ceo_after: timedelta, now: datetime, taken_up: bool,
              deputy_at: datetime | None, ceo_done: bool) -> str | None:
    """Which cover step is due now for one open referral, if any."""
    if taken_up or now < opened_at + target:
        return None
    if deputy_at is None:
        return DEPUTY
    if not ceo_done and now >= deputy_at + ceo_after:
        return CEO
    return None


def recipients(session: Session, ref: SafeguardingReferral, step: str) -> list[User]:
    if step == CEO:
        return triggers.role_holders(session, Role.CEO)
    leads = lead_candidates(session)
    deputy = next((u for u in leads if u.id == ref.deputy_id and u.id != ref.assigned_to_id), None)
    if deputy is not None:
        return [deputy]
    others = [u for u in leads if u.id != ref.assigned_to_id]
    return others or leads


@dataclass(frozen=True)
class Step:
    referral_id: int
    step: str
    recipients: int


def _steps_done(session: Session, refs: list[SafeguardingReferral]) -> dict[int, dict[str, datetime]]:
    out: dict[int, dict[str, datetime]] = {}
    if not refs:
        return out
    opened = {r.id: r.opened_at for r in refs}
    for row in session.scalars(select(SafeguardingEscalation).where(
            SafeguardingEscalation.referral_id.in_(list(opened)))):
        if row.cycle_opened_at == opened.get(row.referral_id):
            out.setdefault(row.referral_id, {})[row.step] = row.at
    return out


def escalate(session: Session, ref: SafeguardingReferral, step: str, now: datetime) -> Step | None:
    """One step for one referral: notice, record and audit together; None if another run
    made it first."""
    people = recipients(session, ref, step)
    row = SafeguardingEscalation(referral_id=ref.id, step=step, cycle_opened_at=ref.opened_at, at=now,
                                 recipient_ids=[u.id for u in people])
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    due = ref.opened_at + policy.safeguarding_target(session)
    link = f"/safeguarding/referrals/{ref.id}"
    made = notices.notify(session, people, kinds.SAFEGUARDING_OVERDUE, link=link, target_at=due,
                          event_key=f"referral:{ref.id}:{step}:{ref.opened_at.isoformat()}", now=now)
    audit.record(session, "safeguarding.escalated_overdue", actor_label="system",
                 target_type="safeguarding_referral", target_id=ref.id,
                 details={"step": step, "recipient_ids": row.recipient_ids, "notices": made,
                          "opened_at": ref.opened_at.isoformat(), "due_at": due.isoformat()}, at=now)
    return Step(ref.id, step, len(people))


def run(session: Session, now: datetime | None = None) -> list[Step]:
    """Every cover step due now (the caller commits)."""
    now = now or utcnow()
    target, ceo_after = policy.safeguarding_target(session), settings.ceo_after(session)
    refs = list(session.scalars(select(SafeguardingReferral).where(
        SafeguardingReferral.status == ReferralStatus.OPEN, SafeguardingReferral.opened_at <= now - target)
        .order_by(SafeguardingReferral.opened_at, SafeguardingReferral.id)))
    taken = first_actions(session, refs)
    done = _steps_done(session, refs)
    out: list[Step] = []
    for ref in refs:
        steps = done.get(ref.id, {})
        step = next_step(opened_at=ref.opened_at, target=target, ceo_after=ceo_after, now=now,
                         taken_up=ref.id in taken, deputy_at=steps.get(DEPUTY), ceo_done=CEO in steps)
        if step is not None and (made := escalate(session, ref, step, now)) is not None:
            out.append(made)
    return out


def for_referral(session: Session, referral_id: int) -> list[tuple[SafeguardingEscalation, str]]:
    """The referral's cover steps, oldest first, with whom each reached (names), for its page."""
    rows = list(session.scalars(select(SafeguardingEscalation).where(
        SafeguardingEscalation.referral_id == referral_id).order_by(SafeguardingEscalation.at)))
    ids = {i for r in rows for i in r.recipient_ids}
    names = {u.id: u.display_name or u.email for u in session.scalars(select(User).where(User.id.in_(ids)))} \
        if ids else {}
    return [(r, ", ".join(names.get(i, f"#{i}") for i in r.recipient_ids) or _("nobody (no such role holder)"))
            for r in rows]
