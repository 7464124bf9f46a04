"""Triage state of a review item: who must see it and how urgently.

Called after every change that can move an item (a new flag at ingest, new scores from a
worker). It never decides anything: it only orders the human queue and routes items where
a minor may be at risk to the safeguarding lead as well.

The review desk owns the full priority rules (services/priority.py); this module is the
single entry point the intake and scoring code call.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import ReviewItem

MINOR_BANDS = frozenset({"under13", "13to15"})


def refresh(session: Session, item: ReviewItem) -> None:
    from c2c_safety.services import priority

    item.minor_involved = item.author_age_band in MINOR_BANDS or (
        item.audience_min_age_band in MINOR_BANDS
    )
    item.safeguarding = item.safeguarding or priority.needs_safeguarding(session, item)
    item.priority = priority.compute(session, item).score
