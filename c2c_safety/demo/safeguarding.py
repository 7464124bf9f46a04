"""Demo data for issue 13 (synthetic only): the safeguarding referrals a lead meets first,
and a week of decisions for the independent reviewer's quality sample.

- An adult teacher messaging an under-13 pupil one-to-one, flagged by the pupil: the desk
  shows the teacher as the person of concern and the pupil as the child at risk.
- A pupil's self-harm post flagged by a classmate (the author is the child at risk).
- Bullying between two pupils (a child person of concern; the consent block is offered for
  them, never for the child at risk).
- Twelve decisions dated in the last complete ISO week, so `/review/sample` (which shows
  the last complete week by default) has a sample to work on whenever the demo starts.

Issue 19 (cover, the lead's records, evidence): an overdue referral nobody took up, escalated
to its deputy and then to the CEO; a hotline report on the sextortion-like bullying referral
(Red Barnet's hotline, a reference, never the image); a legal hold on the teacher's referral.

Idempotent: found by their fixed platform ids; the week's decisions per ISO week.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from c2c_safety.accounts import users as accounts
from c2c_safety.oversight import reviewer
from c2c_safety.review import claims, decisions, policy, triage
from c2c_safety.safeguarding import actions, escalation, evidence
from c2c_safety.safeguarding import people as people_service
from c2c_safety.safeguarding import settings as sg_settings
from c2c_safety.safeguarding.referrals import lead_candidates
from models import Flag, ReviewItem, User, utcnow
from models.review import SafeguardingAction, SafeguardingReferral

# (platform id, text, author, author age band, author role, chat kind, audience, flags)
REFERRALS: tuple[tuple[str, str, str, str, str, str | None, str | None, tuple[tuple[str, str, str], ...]], ...] = (
    ("demo-sg-teacher-dm", "Du er så moden af din alder. Lad os skrive på en anden app, sig det ikke til nogen.",
     "demo-teacher-9", "adult", "teacher", "one_to_one", "under13", (("demo-pupil-11", "student", "grooming"),)),
    ("demo-sg-self-harm", "I don't want to be here anymore, I keep thinking about hurting myself.",
     "demo-pupil-12", "13to15", "student", None, None, (("demo-pupil-13", "student", "self_harm"),)),
    ("demo-sg-bullying", "Send me a photo of you or everyone will know your secret.",
     "demo-pupil-14", "13to15", "student", "one_to_one", "under13", (("demo-pupil-15", "student", "sexual"),)),
)
WEEK_TEXTS = (
    ("Nobody in our group wants to work with you, just leave the project.", "remove", "bullying_harassment",
     "permanent", "The post tells a classmate to leave the group in front of everyone."),
    ("This project is so damn boring, what the hell.", "warn", "inappropriate_for_age", "",
     "Swearing in a shared project space for 12-year-olds."),
    ("Can someone share the poster template?", "no_violation", "other", "",
     "A question about the poster template; flagged by mistake."),
)
WEEK_DECISIONS = 12


def _item(session: Session, pid: str, text: str, author: str, band: str, role: str, chat: str | None,
          audience: str | None, flags: tuple[tuple[str, str, str], ...], at: datetime) -> ReviewItem:
    item = ReviewItem(content_type="chat_message" if chat else "post", platform_content_id=pid, text=text,
                      author_pseudonym=author, author_age_band=band, author_role=role, chat_kind=chat,
                      audience_min_age_band=audience, school_country="DK", language_hint="da",
                      first_flagged_at=at, last_flagged_at=at, created_at=at)
    session.add(item)
    session.flush()
    for k, (who, frole, reason) in enumerate(flags):
        session.add(Flag(item_id=item.id, flagger_pseudonym=who, flagger_role=frole, reason_category=reason,
                         flagged_at=at + timedelta(seconds=k), received_at=at + timedelta(seconds=k)))
    item.flag_count = len(flags)
    session.flush()
    session.expire(item, ["flags"])
    triage.refresh(session, item)
    return item


def seed_referrals(session: Session) -> None:
    now = utcnow()
    for n, (pid, text, author, band, role, chat, audience, flags) in enumerate(REFERRALS):
        if session.scalar(select(ReviewItem.id).where(ReviewItem.platform_content_id == pid)) is None:
            _item(session, pid, text, author, band, role, chat, audience, flags, now - timedelta(hours=2 + 9 * n))
    session.flush()


def seed_sample_week(session: Session, now: datetime | None = None) -> None:
    """Decisions in the last complete ISO week (when it has none yet)."""
    now = now or utcnow()
    moderator = accounts.get_by_email(session, "moderator@demo.c2c")
    if moderator is None:
        return
    year, week = reviewer.last_complete_week(now)
    prefix = f"demo-week-{year}W{week:02d}-"
    if session.scalar(select(ReviewItem.id).where(ReviewItem.platform_content_id.like(f"{prefix}%")).limit(1)):
        return
    policy.seed_reasons(session)
    start, _end = reviewer.week_bounds(year, week)
    for n in range(WEEK_DECISIONS):
        text, action, reason, duration, facts = WEEK_TEXTS[n % len(WEEK_TEXTS)]
        flagged = start + timedelta(hours=9 + 12 * n)
        item = _item(session, f"{prefix}{n}", text, f"demo-u-week-{n}", "13to15", "student", None, None,
                     ((f"demo-u-week-flagger-{n}", "student", "bullying"),), flagged)
        session.commit()
        _decide(session, moderator, item, flagged + timedelta(hours=2), action, reason, duration, facts)


def _decide(session: Session, moderator: User, item: ReviewItem, at: datetime, action: str, reason: str,
            duration: str, facts: str) -> None:
    claims.claim(session, item.id, moderator, now=at - timedelta(minutes=2))
    session.flush()
    session.refresh(item)
    decisions.decide(session, moderator, decisions.DecisionRequest(
        item_id=item.id, version=item.version, action=action, reason_code=reason, facts=facts,
        duration=duration, confirm_unrevealed=True, confirm_support=True), now=at)
    session.commit()


OVERDUE = ("demo-sg-overdue", "Can you keep a secret? Don't tell your teacher we talk here.", "demo-adult-16",
           "adult", "parent", "one_to_one", "under13", (("demo-pupil-17", "student", "grooming"),))


def _referral_of(session: Session, pid: str) -> SafeguardingReferral | None:
    return session.scalars(select(SafeguardingReferral).join(ReviewItem, ReviewItem.id == SafeguardingReferral.item_id)
                           .where(ReviewItem.platform_content_id == pid)).first()


def seed_cover_and_records(session: Session) -> None:
    """Issue 19: an escalated overdue referral, a hotline report, a legal hold (idempotent)."""
    leads = lead_candidates(session)
    if not leads:
        return
    lead, now = leads[0], utcnow()
    if _referral_of(session, OVERDUE[0]) is None:
        pid, text, author, band, role, chat, audience, flags = OVERDUE
        _item(session, pid, text, author, band, role, chat, audience, flags, now - timedelta(hours=60))
        ref = _referral_of(session, pid)
        assert ref is not None
        ref.opened_at = now - timedelta(hours=60)
        session.flush()
        # The cover job as it ran over the last day and a half: the deputy, then the CEO.
        escalation.run(session, now - timedelta(hours=30))
        escalation.run(session, now)
    bullying = _referral_of(session, "demo-sg-bullying")
    if bullying is not None and session.scalar(select(SafeguardingAction.id).where(
            SafeguardingAction.referral_id == bullying.id, SafeguardingAction.kind == "hotline_report")) is None:
        child = next((p for p in people_service.sync(session, bullying) if p.part == "child_at_risk"), None)
        if child is not None:
            hotlines = sg_settings.hotlines(session)
            actions.record(session, bullying, child, actor=lead, kind="hotline_report", authority=hotlines[0],
                           authority_ref="SD-DEMO-0001", hotlines=hotlines,
                           detail="Reported the request for images to the hotline; no image was stored or sent.")
    teacher = _referral_of(session, "demo-sg-teacher-dm")
    if teacher is not None and evidence.active_hold(session, teacher.id) is None:
        evidence.place(session, teacher, actor=lead,
                       reason="Synthetic: the police asked us to preserve the chat while they investigate.")
    session.flush()


def seed_safeguarding_demo(session: Session) -> None:
    seed_referrals(session)
    session.commit()
    seed_cover_and_records(session)
    session.commit()
    seed_sample_week(session)
