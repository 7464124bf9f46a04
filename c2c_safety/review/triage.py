"""Triage state of a review item: who must see it and how urgently.

Called after every change that can move an item (a new flag at ingest, new scores from a
worker, an appeal, a reopening). It never decides anything: it only orders the human queue
and routes items where a minor may be at risk to the safeguarding lead as well.

The rules live in review/priority.py; this module is the single entry point the intake,
scoring and appeal code call. The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from c2c_safety.review import priority, text_keys
from models import ItemScore, ReviewItem, utcnow
from models.review import Appeal, AppealStatus, ItemTriage

MINOR_BANDS = priority.MINOR_BANDS
_NEW_NOTE = insert(cast(Table, ItemTriage.__table__))


def latest_score(session: Session, item_id: int | None) -> ItemScore | None:
    if item_id is None:
        return None
    return session.scalars(
        select(ItemScore)
        .where(ItemScore.subject_type == "item", ItemScore.subject_id == item_id)
        .order_by(ItemScore.created_at.desc(), ItemScore.id.desc())
        .limit(1)
    ).first()


def _open_appeal_received_at(session: Session, item: ReviewItem) -> datetime | None:
    if item.id is None or item.status != "appealed":
        return None
    return session.scalar(
        select(Appeal.received_at)
        .where(Appeal.item_id == item.id, Appeal.status == AppealStatus.OPEN)
        .order_by(Appeal.received_at)
        .limit(1)
    )


@dataclass(frozen=True)
class Assessment:
    """The explanation stored next to an item (ItemTriage) and the safeguarding reasons."""

    components: list[list[Any]]
    safeguarding_reasons: list[str]


def assess(session: Session, item: ReviewItem, scores: Mapping[str, float] | None = None,
           appeal_received_at: datetime | None = None, history: priority.History | None = None
           ) -> Assessment:
    """Compute minor/safeguarding/priority/queue placement onto `item` (assigning only what
    changed) and return the explanation. The caller passes the latest scores and an open
    appeal's time; the only read here is the flaggers' history (none if passed in). So intake can assess a new
    item in Python before inserting it, with no reads that could find nothing."""
    item.minor_involved = item.author_age_band in MINOR_BANDS or (
        item.audience_min_age_band in MINOR_BANDS
    )
    sg_reasons = priority.safeguarding_reasons(item, scores)
    if sg_reasons:
        item.safeguarding = True  # sticky: once routed, it stays on the lead's desk
    p = priority.compute(session, item, scores, history)
    since = priority.waiting_since(item, appeal_received_at)
    placed = priority.place(p.score, p.level, since, utcnow())
    key = text_keys.text_key(item.text or "")  # spam waves (review/bulk.py); the text may be anonymised
    if item.text_key != key:
        item.text_key = key
    # Assign only what changed: an unchanged row must not bump the item's version.
    for name, value in (("priority", p.score), ("queue_rank", placed.rank), ("queue_level", p.level),
                        ("waiting_since", since), ("promote_at", placed.promote_at)):
        if getattr(item, name) != value:
            setattr(item, name, value)
    return Assessment([[label, points] for label, points in p.components], sg_reasons)


def refresh(session: Session, item: ReviewItem) -> None:
    """Recompute minor/safeguarding/priority/queue_rank and store the explanation."""
    score = latest_score(session, item.id)
    found = assess(session, item, score.scores if score is not None else None,
                   _open_appeal_received_at(session, item))
    new = item.id is None
    if new:
        session.add(item)
        session.flush()
    store(session, item, found, new=new)


def refresh_many(session: Session, items: Sequence[ReviewItem]) -> None:
    """`refresh` for a batch of existing items (the scoring worker's store, 32 at a time):
    their latest scores, open appeals, flaggers' histories and triage notes in four reads
    instead of three or four per item. Their flags should be loaded already (selectinload)."""
    if not items:
        return
    ids = [i.id for i in items]
    latest: dict[int, Mapping[str, float]] = {}
    # Newest first per item, the same order latest_score takes the first of.
    for subject_id, scores in session.execute(
            select(ItemScore.subject_id, ItemScore.scores)
            .where(ItemScore.subject_type == "item", ItemScore.subject_id.in_(ids))
            .order_by(ItemScore.subject_id, ItemScore.created_at.desc(), ItemScore.id.desc())):
        latest.setdefault(subject_id, scores)
    appealed = [i.id for i in items if i.status == "appealed"]
    appeals: dict[int, datetime] = {}
    if appealed:
        for item_id, received_at in session.execute(
                select(Appeal.item_id, Appeal.received_at)
                .where(Appeal.item_id.in_(appealed), Appeal.status == AppealStatus.OPEN)
                .order_by(Appeal.item_id, Appeal.received_at)):
            appeals.setdefault(item_id, received_at)
    history = priority.flagger_histories(session, (f.flagger_pseudonym for i in items for f in i.flags))
    # Held in a dict: the session's identity map holds objects weakly, so notes read by a
    # query whose result is dropped are gone again before `store` would look them up.
    notes = {n.item_id: n for n in session.scalars(select(ItemTriage).where(ItemTriage.item_id.in_(ids)))}
    for item in items:
        found = assess(session, item, latest.get(item.id), appeals.get(item.id), history)
        _store(session, item, found, notes.get(item.id))


def note_values(found: Assessment) -> dict[str, Any]:
    """The triage note of a new item as column values (intake inserts it with the item)."""
    return {"components": found.components, "safeguarding_reasons": found.safeguarding_reasons,
            "computed_at": utcnow()}


def route(session: Session, item: ReviewItem, found: Assessment) -> None:
    """Route the item to the safeguarding lead when a reason says so (item has its id)."""
    from c2c_safety.review import referrals as safeguarding

    if found.safeguarding_reasons:
        safeguarding.ensure_referral(session, item, found.safeguarding_reasons)


def store(session: Session, item: ReviewItem, found: Assessment, *, new: bool) -> None:
    """Write the explanation row (a new item has none to look up) and route the item to the
    safeguarding lead when a reason says so. The item must have its id."""
    if new:  # nothing to look up, and a Core INSERT costs no ORM flush
        session.execute(_NEW_NOTE, {"item_id": item.id, **note_values(found)})
        route(session, item, found)
        return
    _store(session, item, found, session.get(ItemTriage, item.id))


def _store(session: Session, item: ReviewItem, found: Assessment, note: ItemTriage | None) -> None:
    """An existing item's note (`note`: its row, or None if it has none yet) and routing."""
    if note is None:
        session.add(ItemTriage(item_id=item.id, components=found.components,
                               safeguarding_reasons=found.safeguarding_reasons))
    elif note.components != found.components or note.safeguarding_reasons != found.safeguarding_reasons:
        note.components, note.safeguarding_reasons = found.components, found.safeguarding_reasons
        note.computed_at = utcnow()
    route(session, item, found)
