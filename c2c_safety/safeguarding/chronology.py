"""A chronology per child (by platform pseudonym, or the lead's description) for the lead.

Every record the child is in, in time order: items they wrote or flagged, flags, decisions,
appeals, every referral in which they are one of the people (as child at risk, person of
concern or involved: read from the referral's people rows, so the lead's corrections are
followed, never from the referral's cached child column), and the lead's notes and actions
about them or about a referral in which they are the child at risk. Viewing it is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.crypto import open_text
from c2c_safety.safeguarding.actions import ACTION_KINDS, OUTCOMES
from c2c_safety.safeguarding.people import CHILD_AT_RISK, PARTS
from models import Flag, ReviewItem, User
from models.review import Appeal, Decision, SafeguardingAction, SafeguardingPerson, SafeguardingReferral

MAX_ROWS = 2000


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # item | flag | decision | appeal | referral | action
    summary: str
    item_id: int | None = None
    referral_id: int | None = None
    detail: str = ""  # sealed note text, opened for the lead only


def chronology(session: Session, pseudonym: str, *, actor: User) -> list[Entry]:
    authored = list(session.scalars(
        select(ReviewItem).where(ReviewItem.author_pseudonym == pseudonym).limit(MAX_ROWS)))
    flagged_by = list(session.scalars(
        select(Flag).where(Flag.flagger_pseudonym == pseudonym).limit(MAX_ROWS)))
    item_ids = {i.id for i in authored} | {f.item_id for f in flagged_by}
    out: list[Entry] = []
    for item in authored:
        out.append(Entry(item.first_flagged_at, "item",
                         ngettext("Their %(type)s was flagged (%(num)d flag, status %(status)s)",
                                  "Their %(type)s was flagged (%(num)d flags, status %(status)s)", item.flag_count,
                                  type=item.content_type.replace("_", " "), status=item.status),
                         item_id=item.id))
        for f in item.flags:
            out.append(Entry(f.flagged_at, "flag",
                             _("Flag on their content by a %(role)s for %(reason)s", role=f.flagger_role,
                               reason=f.reason_category),
                             item_id=item.id))
    for f in flagged_by:
        out.append(Entry(f.flagged_at, "flag", _("They flagged content for %(reason)s", reason=f.reason_category),
                         item_id=f.item_id))
    if item_ids:
        for d in session.scalars(select(Decision).where(Decision.item_id.in_(item_ids))):
            who = _("their content") if any(i.id == d.item_id for i in authored) else _("content they flagged")
            out.append(Entry(d.created_at, "decision",
                             _("Decision on %(who)s: %(action)s (%(reason)s, %(kind)s)", who=who,
                               action=d.action.replace("_", " "), reason=d.reason_code, kind=d.kind),
                             item_id=d.item_id))
    for a in session.scalars(select(Appeal).where(Appeal.appellant_pseudonym == pseudonym)):
        out.append(Entry(a.received_at, "appeal", _("They appealed a decision as %(who)s (%(status)s)",
                                                    who=a.appellant, status=a.status),
                         item_id=a.item_id))
    parts = {ref_id: part for ref_id, part in session.execute(
        select(SafeguardingPerson.referral_id, SafeguardingPerson.part)
        .where(SafeguardingPerson.pseudonym == pseudonym))}
    person_ids = set(session.scalars(select(SafeguardingPerson.id).where(SafeguardingPerson.pseudonym == pseudonym)))
    refs = session.scalars(select(SafeguardingReferral).where(or_(
        SafeguardingReferral.id.in_(parts) if parts else SafeguardingReferral.id < 0,
        SafeguardingReferral.item_id.in_(item_ids) if item_ids else SafeguardingReferral.id < 0)))
    at_risk = {rid for rid, part in parts.items() if part == CHILD_AT_RISK}
    for r in refs:
        part = _(PARTS[parts[r.id]]).lower() if parts.get(r.id) in PARTS else ""
        what = _("anonymous report") if r.item_id is None else _("referral")
        reasons = "; ".join(r.reasons)
        out.append(Entry(r.opened_at, "referral",
                         _("Referred to safeguarding (%(what)s; as %(part)s): %(reasons)s", what=what, part=part,
                           reasons=reasons) if part else
                         _("Referred to safeguarding (%(what)s): %(reasons)s", what=what, reasons=reasons),
                         item_id=r.item_id, referral_id=r.id))
        if r.closed_at is not None:
            out.append(Entry(r.closed_at, "referral",
                             _("Referral closed: %(outcome)s",
                               outcome=_(OUTCOMES[r.outcome]) if r.outcome in OUTCOMES else r.outcome or ""),
                             item_id=r.item_id, referral_id=r.id))
    about = [SafeguardingAction.child_pseudonym == pseudonym]
    if person_ids:
        about.append(SafeguardingAction.person_id.in_(person_ids))
    if at_risk:
        about.append(SafeguardingAction.referral_id.in_(at_risk) & SafeguardingAction.person_id.is_(None))
    for act in session.scalars(select(SafeguardingAction).where(or_(*about))):
        summary = str(_(ACTION_KINDS[act.kind]) if act.kind in ACTION_KINDS else act.kind)
        if act.authority:
            summary += f": {act.authority}"
        if act.withdrawn_at is not None:
            summary += " " + _("(withdrawn)")
        out.append(Entry(act.at, "action", summary, referral_id=act.referral_id,
                         detail=open_text(act.detail_sealed) or ""))
    order = {k: i for i, k in enumerate(("item", "flag", "decision", "appeal", "referral", "action"))}
    out.sort(key=lambda e: (e.at, order.get(e.kind, 9)))
    audit.record(session, "view.child_chronology", actor=actor, target_type="child",
                 target_id=pseudonym[:64], details={"entries": len(out)})
    return out
