"""The moderator's skip list for this sign-in session (issue 22.2): items they pass on, and
whole languages or categories they cannot or should not take now. The queue list, "Claim
the next item" and "decide and next" all leave these out, so a moderator is never handed
back what they just stepped away from ("Release and open the next item" passes on the item
too, so three passes give three different items; before, it bounced between the top two).

Reasons: not now (pass), the language (skips every item in it), a conflict of interest
(this item; audited, since it says something about the moderator and the people in it),
a break from a category (every item in it). The list lives in the signed session cookie:
it ends with the session and holds no content, only ids, language codes and category
names. It is bounded so the cookie stays small; the oldest passes drop out first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Session

from c2c_safety.audit import log as audit
from c2c_safety.core.locale import N_
from c2c_safety.review import claims, queue_filters
from classifiers import CATEGORIES
from models import ReviewItem, User

REASONS: dict[str, str] = {
    "pass": N_("Not now: pass on this item"),
    "language": N_("I cannot read its language: skip every item in it"),
    "conflict": N_("Conflict of interest: I know someone involved (recorded)"),
    "break": N_("I need a break from a category: skip every item in it"),
}
MAX_ITEMS = 60


class SkipError(Exception):
    """The skip was refused; the message is safe to show."""


@dataclass(frozen=True)
class SkipList:
    items: tuple[int, ...] = ()
    languages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items or self.languages or self.categories)

    def to_session(self) -> dict[str, list[Any]]:
        return {"i": list(self.items), "l": list(self.languages), "c": list(self.categories)}

    @classmethod
    def from_session(cls, raw: object) -> SkipList:
        """From the cookie; anything malformed is dropped rather than trusted."""
        if not isinstance(raw, dict):
            return cls()
        items = tuple(i for i in raw.get("i", []) if isinstance(i, int) and 0 < i < 2**31)[-MAX_ITEMS:]
        langs = tuple(x for x in raw.get("l", []) if x in queue_filters.LANGUAGES)
        cats = tuple(x for x in raw.get("c", []) if x in CATEGORIES)
        return cls(items, langs, cats)

    def exclusions(self) -> list[ColumnElement[bool]]:
        """SQL conditions that leave the skipped items out (for the list and for "next")."""
        conds: list[ColumnElement[bool]] = []
        if self.items:
            conds.append(ReviewItem.id.not_in(self.items))
        if self.languages:
            lang = queue_filters.language_of()
            conds.append(or_(lang.is_(None), lang.not_in(self.languages)))
        for cat in self.categories:
            conds.append(~queue_filters.in_category(cat))
        return conds

    def describe(self) -> list[str]:
        out = []
        if self.items:
            out.append(ngettext("%(num)d item you passed on", "%(num)d items you passed on", len(self.items)))
        out += [_("items in language %(lang)s", lang=x) for x in self.languages]
        out += [_("items about %(category)s", category=x.replace("_", " ")) for x in self.categories]
        return out


def _add(values: tuple[Any, ...], value: Any, cap: int | None = None) -> tuple[Any, ...]:
    out = (*(v for v in values if v != value), value)
    return out[-cap:] if cap else out


def skip(session: Session, user: User, item_id: int, reason: str, skips: SkipList, *,
         category: str = "") -> SkipList:
    """Skip `item_id` for `reason`, giving it back if this moderator holds it; returns the new
    list (the caller stores it in the session and commits)."""
    if reason not in REASONS:
        raise SkipError(_("Choose why you are skipping this item."))
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise LookupError(item_id)
    new = replace(skips, items=_add(skips.items, item_id, MAX_ITEMS))
    if reason == "language":
        lang = item.language or item.language_hint
        if lang not in queue_filters.LANGUAGES:
            raise SkipError(_("This item's language is not known; pass on the item instead."))
        new = replace(new, languages=_add(new.languages, lang))
    elif reason == "break":
        if category not in CATEGORIES:
            raise SkipError(_("Choose the category you need a break from."))
        new = replace(new, categories=_add(new.categories, category))
    claims.release(session, item_id, user)
    if reason == "conflict":
        # Who declared a conflict on which item: the lead and the reviewer can see that the
        # moderator stepped away (and nobody else decides it unknowingly for them).
        audit.record(session, "queue.skipped_conflict", actor=user, target_type="review_item", target_id=item_id)
    return new


def clear(skips: SkipList, what: str) -> SkipList:
    """Take a language, a category or all passed items off the list ('items', 'lang:xx', 'cat:yy', 'all')."""
    if what == "all":
        return SkipList()
    if what == "items":
        return replace(skips, items=())
    if what.startswith("lang:"):
        return replace(skips, languages=tuple(x for x in skips.languages if x != what[5:]))
    if what.startswith("cat:"):
        return replace(skips, categories=tuple(x for x in skips.categories if x != what[4:]))
    return skips
