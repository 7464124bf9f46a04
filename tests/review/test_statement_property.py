"""Issue 19.4, as a property: for every preset, every action, every restriction (duration and
the moderator's addition) and hide-or-not, a statement of reasons produced by the real
services (presets.for_item → decisions.decide → statements.build) never claims a removal,
hiding, restriction or suspension that was not recorded. The decide service either refuses
(nothing recorded) or records a decision whose statement and webhook claim only what the
recorded decision does: its action, plus hiding when a hide request was recorded.

The claim detector here is independent of the service's and stricter: any clause naming an
effect without a negation counts as a claim."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from c2c_safety.core.db import new_session
from c2c_safety.review import claims, decisions, policy, presets
from c2c_safety.review.statements import DURATIONS
from models import User, WebhookDelivery
from models.review import Decision, SafeguardingAction, SafeguardingReferral
from tests.support.review import make_item

WORDS = {"removed": ("removed", "deleted", "taken down", "remove it"),
         "hidden": ("hidden", "hide it", "hid it"),
         "restricted": ("restricted", "blocked"),
         "suspended": ("suspend",)}
RECORDED = {"remove": {"removed", "hidden"}, "restrict": {"hidden", "restricted"},
            "request_suspension": {"suspended", "restricted"}}
EXTRAS = ["", "We have removed it.", "It is hidden until the lead has looked.",
          "The author's account is not suspended.", "We will suspend the account if it happens again.",
          "Your classmates can no longer see it: it is restricted."]
ITEM_KINDS = [("grooming", "13to15"), ("self_harm", "under13"), ("bullying", "adult"), ("spam", "13to15")]


def claims_in(text: str) -> set[str]:
    out: set[str] = set()
    for clause in re.split(r"[.;:!?\n]", text.lower()):
        if re.search(r"\b(nothing|not|never|no)\b|n't\b", clause):
            continue
        out |= {effect for effect, words in WORDS.items() if any(w in clause for w in words)}
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(ITEM_KINDS), preset_index=st.integers(0, 40),
       action=st.sampled_from(list(decisions.ACTION_LABELS)), duration=st.sampled_from(["", *DURATIONS]),
       extra=st.sampled_from(EXTRAS), hide=st.booleans())
def test_no_statement_claims_an_action_that_was_not_recorded(
        app: Flask, make_user: Any, kind: tuple[str, str], preset_index: int, action: str, duration: str,
        extra: str, hide: bool) -> None:
    reason_flag, age = kind
    iid = make_item(app, age_band=age, flags=[("u-flagger", "student", reason_flag)])
    mod = make_user("moderator")
    with app.app_context():
        s = new_session(app)
        policy.seed_reasons(s)
        user = s.get(User, mod.id)
        assert user is not None
        claims.claim(s, iid, user)
        s.commit()
        from models import ReviewItem

        item = s.get(ReviewItem, iid)
        assert item is not None
        offered = presets.for_item(item, None, policy.reasons(s))
        preset = offered[preset_index % len(offered)]
        req = decisions.DecisionRequest(
            item_id=iid, version=item.version, action=action, reason_code=preset.reason_code,
            facts=preset.facts, duration=duration, restriction=extra, hide_content=hide,
            confirm_unrevealed=True, confirm_support=True)
        try:
            decisions.decide(s, user, req)
            s.commit()
        except decisions.DecisionError:
            s.rollback()
            assert s.scalars(select(Decision).where(Decision.item_id == iid)).first() is None
            s.close()
            return
        d = s.scalars(select(Decision).where(Decision.item_id == iid)).one()
        hidden = s.scalars(select(SafeguardingAction.id).join(
            SafeguardingReferral, SafeguardingReferral.id == SafeguardingAction.referral_id).where(
            SafeguardingReferral.item_id == iid, SafeguardingAction.kind == "hide_content")).first() is not None
        recorded = set(RECORDED.get(d.action, set())) | ({"hidden"} if hidden else set())
        st_ = d.statement
        said = claims_in(" . ".join([st_.restriction, st_.facts, st_.duration]))
        assert said <= recorded, (d.action, hidden, said, st_.restriction, st_.facts)
        for delivery in s.scalars(select(WebhookDelivery).where(WebhookDelivery.decision_id == d.id)):
            sent = delivery.payload["data"]["statement_of_reasons"]
            assert claims_in(" . ".join([sent["restriction"], sent["facts"]])) <= recorded
        s.close()
