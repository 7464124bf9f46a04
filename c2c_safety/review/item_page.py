"""Everything the item page shows, gathered in one call (and the view of it audited).

The page puts the content (with its conversation and the AI's highlighted evidence) next
to the decision form; below them: why the item is where it is, the flags, the AI's scores,
the author's history on the desk and the decisions so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from c2c_safety.media import viewing as media_viewing
from c2c_safety.review import (
    bulk,
    claims,
    collapse,
    conversations,
    evidence,
    history,
    policy,
    presets,
    queue,
    reveals,
    second_opinion,
    wellbeing,
)
from models import User
from models.review import Decision


@dataclass
class ItemPage:
    view: queue.ItemView
    mine: bool  # the viewer holds a live claim
    revealed: bool  # the content is shown: not sensitive, or revealed by this viewer
    thread: conversations.Thread | None
    history: history.AuthorHistory
    highlights: evidence.Highlights | None
    reliable_languages: list[str]
    presets: list[presets.Preset] = field(default_factory=list)
    same_text: list[bulk.SameText] = field(default_factory=list)
    exposure_today: int = 0
    images: list[media_viewing.ImageView] = field(default_factory=list)  # blurred until revealed one by one
    merged: list[collapse.Merged] = field(default_factory=list)  # items collapsed into this one (same picture)
    original: Decision | None = None  # the decision under appeal
    notes: list[second_opinion.NoteRow] = field(default_factory=list)  # internal, never to the author
    seniors: list[User] = field(default_factory=list)

    @property
    def under_appeal(self) -> bool:
        return self.view.appeal is not None and self.view.appeal.status == "open"


def open_item(session: Session, item_id: int, viewer: User, *, classifier_spec: str) -> ItemPage | None:
    """Build the page for `viewer` and record the view (audit; exposure for sensitive items).
    The caller commits."""
    view = queue.item_view(session, item_id, viewer)
    if view is None:
        return None
    item = view.item
    queue.record_view(session, item, actor=viewer)
    revealed = not view.sensitive or reveals.revealed(session, item.id, viewer.id)
    if view.sensitive and revealed:
        # Exposure is seeing it: hidden content on the page does not count until revealed.
        wellbeing.record_exposure(session, viewer, item.id)
    mine = claims.holds_live_claim(item, viewer)
    page = ItemPage(
        view=view, mine=mine, revealed=revealed,
        thread=conversations.thread(session, item),
        history=history.author_history(session, item),
        highlights=evidence.highlight(item.text, view.score_extra),
        reliable_languages=evidence.reliable_languages(classifier_spec),
        exposure_today=wellbeing.exposure_today(session, viewer),
        images=media_viewing.for_item(session, item.id, viewer),
        merged=collapse.merged_into(session, item.id),
    )
    page.notes = second_opinion.notes_on(session, item.id)
    if viewer.has_role("moderator") and item.status in claims.WAITING:
        page.seniors = second_opinion.seniors(session, viewer)
    if page.under_appeal and view.appeal is not None:
        page.original = session.get(Decision, view.appeal.decision_id)
    if mine:
        appeal = page.under_appeal
        page.presets = presets.for_item(item, view.scores or None, policy.reasons(session), appeal=appeal,
                                        original_action=page.original.action if page.original else None)
        page.same_text = [] if appeal else bulk.same_text_waiting(session, item, viewer)
    return page
