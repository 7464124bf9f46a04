"""The review desk in a real browser without JavaScript: a moderator claims and decides;
the safeguarding lead opens a minor's item. Both desks pass axe (WCAG 2.1 A/AA)."""

from __future__ import annotations

from sqlalchemy import select

from c2c_safety.core.db import new_session
from models.review import Decision, SafeguardingReferral
from tests.browser.conftest import browser_login, dump
from tests.support.review import make_item

SCORES = {"harassment": 0.93, "hate": 0.05, "threat": 0.02, "sexual": 0.0, "grooming": 0.0,
          "self_harm": 0.0, "profanity": 0.1}


def test_moderator_claims_and_decides_without_js(app, live_server, page_nojs, axe_check, make_user):
    iid = make_item(app, scores=SCORES, text="Nobody wants you in the group, go away.")
    mod = make_user("moderator")
    page = page_nojs
    browser_login(page, live_server, mod)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation queue").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Moderation queue"
    assert axe_check(page) == [], dump(axe_check(page))
    page.get_by_role("link", name=f"#{iid} post").click()
    page.get_by_role("button", name="Claim this item to decide").click()
    assert page.get_by_role("button", name="Record decision").is_visible()
    assert not page.locator("input[type=radio]:checked").count()  # nothing pre-selected
    violations = axe_check(page)
    assert violations == [], dump(violations)
    page.get_by_role("button", name="Record decision").click()  # empty: errors, not a 500
    assert page.get_by_role("alert").filter(has_text="There is a problem").is_visible()
    page.get_by_label("Remove the content").check()
    page.get_by_label("Policy ground (reason)").select_option("bullying_harassment")
    page.get_by_label("For how long", exact=False).select_option("permanent")
    page.get_by_label("Facts and circumstances relied on").fill(
        "The message tells a classmate to leave the group; it is exclusion and name-calling.")
    page.get_by_role("button", name="Record decision").click()
    assert "Decision recorded" in page.content()
    with app.app_context():
        s = new_session(app)
        d = s.scalars(select(Decision)).one()
        assert (d.item_id, d.decided_by_id, d.action) == (iid, mod.id, "remove")
        s.close()


def test_lead_opens_a_minors_item_collapsed(app, live_server, page_nojs, axe_check, make_user):
    iid = make_item(app, text="Let's talk somewhere else, don't tell anyone.", age_band="13to15",
                    chat_kind="one_to_one", flags=[("u-kid-1", "student", "grooming")],
                    scores={**SCORES, "harassment": 0.1, "grooming": 0.95})
    with app.app_context():
        s = new_session(app)
        ref = s.scalars(select(SafeguardingReferral).where(SafeguardingReferral.item_id == iid)).one()
        ref_id = ref.id
        s.close()
    page = page_nojs
    browser_login(page, live_server, make_user("safeguarding_lead"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Safeguarding desk").click()
    assert axe_check(page) == [], dump(axe_check(page))
    page.get_by_role("link", name=f"#{ref_id} (item {iid})").click()
    text = page.get_by_text("Let's talk somewhere else")
    assert not text.is_visible()  # collapsed until the reviewer chooses to reveal it
    page.get_by_text("Show the content").click()  # <details>: works without JavaScript
    assert text.is_visible()
    violations = axe_check(page)
    assert violations == [], dump(violations)
    # Issue 13: actions are per person; a note on the whole referral has its own form.
    page.get_by_role("textbox", name="Note on the whole referral").fill(
        "Called the class teacher; they will talk to the pupil.")
    page.get_by_role("button", name="Add note").click()
    assert "Note recorded." in page.content()
