"""The moderator's loop in real Chromium, with JavaScript on and off: claim, see the content
and its conversation beside the decision, decide with a preset, land on the next item.
Counts the actions (clicks and keystrokes) of the two most common decisions from the item
page; checks that hidden sensitive content needs a confirmation, that the first queue row is
above the fold at 1366 x 768, that a phone can work the queue, and axe on the new pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from c2c_safety.core.db import new_session
from c2c_safety.review import conversations
from models import ReviewItem, utcnow
from models.review import Decision
from tests.browser.conftest import browser_login, dump
from tests.support.review import make_item

LOW = {"harassment": 0.05, "hate": 0.02, "threat": 0.01, "sexual": 0.0, "grooming": 0.0,
       "self_harm": 0.0, "profanity": 0.03}
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def with_conversation(app: Flask, item_id: int) -> None:
    with app.app_context():
        s = new_session(app)
        item = s.get(ReviewItem, item_id)
        assert item is not None
        t = utcnow() - timedelta(hours=2)
        conversations.store(s, item, conversations.ConversationIn(
            kind="group", participant_age_bands=("13to15", "adult"),
            before=(conversations.MessageIn("u-b", "student", "13to15", t, "Who took my pencil case?"),
                    conversations.MessageIn("u-c", "student", "13to15", t + timedelta(minutes=1),
                                            "Not me, ask Sam")),
            after=(conversations.MessageIn("u-b", "student", "13to15", t + timedelta(minutes=30),
                                           "That was mean"),)))
        s.commit()
        s.close()


def decisions_by_item(app: Flask) -> dict[int, str]:
    with app.app_context():
        s = new_session(app)
        out = {d.item_id: d.action for d in s.scalars(select(Decision))}
        s.close()
    return out


class Counter:
    """Counts what the moderator does on the page: clicks and key presses."""

    def __init__(self, page: Any) -> None:
        self.page, self.actions = page, 0

    def click(self, locator: Any) -> None:
        locator.click()
        self.actions += 1

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.actions += 1


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_claim_see_conversation_decide_with_a_preset_and_land_on_the_next_item(
        app: Flask, live_server: str, browser: Any, axe_check: Any, make_user: Any, js: bool) -> None:
    first = make_item(app, text="You are useless, nobody wants you in our group.", scores=LOW,
                      content_type="chat_message", chat_kind="group", age_band="13to15", audience="13to15")
    with_conversation(app, first)
    second = make_item(app, text="This is a normal message about the poster.", scores=LOW, age_band="adult",
                       waited=timedelta(minutes=1))
    third = make_item(app, text="lol ok see you tomorrow at school", scores=LOW, age_band="adult",
                      waited=timedelta(seconds=30))
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=js)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue")
        page.get_by_role("button", name="Claim the next item").click()
        assert page.url.endswith(f"/queue/{first}#work")
        page.wait_for_load_state("load")
        # the content, its conversation (flagged message marked) and the decision side by side
        content = page.locator("#content")
        decide_box = page.locator("#decide")
        expect(content.get_by_text("Who took my pencil case?")).to_be_visible()
        assert content.locator("li.flagged").get_by_text("You are useless").is_visible()
        assert content.get_by_text("That was mean").is_visible()
        c, d = content.bounding_box(), decide_box.bounding_box()
        assert c and d and d["x"] > c["x"] + c["width"] - 1 and d["y"] < DESKTOP["height"], (c, d)
        assert page.get_by_role("button", name="Record decision and open the next item").is_visible()
        violations = axe_check(page)
        assert violations == [], dump(violations)

        # "remove with a preset reason", counted from the item page
        n = Counter(page)
        n.click(page.get_by_role("link", name="Remove: Bullying or harassment"))
        if js:
            assert page.url.endswith(f"/queue/{first}#work")  # filled in place, no reload
        assert page.get_by_label("Remove the content").is_checked()
        assert "unkind" in page.get_by_label("Facts and circumstances relied on").input_value()
        n.click(page.get_by_role("button", name="Record decision and open the next item"))
        assert page.url.endswith(f"/queue/{second}#work"), page.url
        assert "Decision recorded" in page.content()
        remove_actions = n.actions

        # "no violation", counted the same way
        n = Counter(page)
        n.click(page.get_by_role("link", name="No violation: Bullying or harassment"))
        n.click(page.get_by_role("button", name="Record decision and open the next item"))
        assert page.url.endswith(f"/queue/{third}#work"), page.url
        no_violation_actions = n.actions
        assert decisions_by_item(app) == {first: "remove", second: "no_violation"}
        print(f"\nactions from the item page ({'JS' if js else 'no JS'}): remove with a preset "
              f"{remove_actions}, no violation {no_violation_actions}")
        assert remove_actions <= 4 and no_violation_actions <= 4

        # back to the queue instead of the next item
        page.get_by_role("link", name="No violation: Bullying or harassment").click()
        page.get_by_role("button", name="Record and return to the queue").click()
        assert page.url.endswith("/queue")
    finally:
        context.close()


def test_keyboard_only_preset_and_submit(app: Flask, live_server: str, browser: Any, make_user: Any) -> None:
    first = make_item(app, text="You are so annoying, go away.", scores=LOW, age_band="13to15")
    second = make_item(app, scores=LOW, age_band="adult", waited=timedelta(minutes=1))
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue")
        page.get_by_role("button", name="Claim the next item").click()
        assert page.url.endswith(f"/queue/{first}#work")
        page.locator("body").click(position={"x": 2, "y": 2})  # focus on the page, not a field
        n = Counter(page)
        n.press("1")  # the first preset: Remove, bullying or harassment
        assert page.get_by_label("Remove the content").is_checked()
        n.press("Control+Enter")
        page.wait_for_url(f"**/queue/{second}#work")
        print(f"\nkeyboard: remove with a preset in {n.actions} key presses")
        assert n.actions == 2
        page.locator("body").click(position={"x": 2, "y": 2})
        page.keyboard.press("n")  # choose "no violation"
        assert page.get_by_label("No violation").is_checked()
        page.keyboard.press("f")
        assert page.evaluate("document.activeElement.name") == "facts"
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_hidden_sensitive_content_asks_for_confirmation_or_a_reveal(
        app: Flask, live_server: str, browser: Any, axe_check: Any, make_user: Any, js: bool) -> None:
    iid = make_item(app, text="You are so mature for your age, don't tell anyone.", age_band="under13",
                    flags=[("u-kid", "student", "grooming")])
    other = make_item(app, text="Send me a photo, our secret ok?", age_band="under13",
                      flags=[("u-kid2", "student", "sexual")], waited=timedelta(minutes=1))
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=js)
    page = context.new_page()
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue")
        page.get_by_role("button", name="Claim the next item").click()
        assert page.url.endswith(f"/queue/{iid}#work")
        assert not page.get_by_text("mature for your age").count()  # hidden, not just collapsed
        violations = axe_check(page)
        assert violations == [], dump(violations)
        page.get_by_role("link", name="No violation: Grooming or child safety").click()
        page.get_by_role("button", name="Record decision and open the next item").click()
        assert "You have not looked at this content" in page.content()
        assert decisions_by_item(app) == {}
        page.get_by_label("I confirm I decide without looking at the content").check()
        # a child is involved: "no violation" on grooming also sends a supportive notice (asked at once)
        page.get_by_label("I confirm it breaks no rule; send the author the supportive notice with helplines").check()
        page.get_by_role("button", name="Record decision and open the next item").click()
        assert page.url.endswith(f"/queue/{other}#work")
        # the next one: reveal first (one action), then no confirmation is needed
        page.get_by_role("button", name="Show the content").click()
        assert page.get_by_text("Send me a photo").is_visible()
        page.get_by_role("link", name="Remove: Sexual content").click()
        page.get_by_role("button", name="Record and return to the queue").click()
        assert page.url.endswith("/queue")
        assert decisions_by_item(app) == {iid: "no_violation", other: "remove"}
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_first_queue_row_is_above_the_fold_at_1366x768(app: Flask, live_server: str, browser: Any,
                                                       axe_check: Any, make_user: Any, js: bool) -> None:
    for i in range(8):
        make_item(app, scores=LOW, waited=timedelta(minutes=i + 1))
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=js)
    page = context.new_page()
    try:
        browser_login(page, live_server, make_user("moderator"))
        for url in ("/queue", "/queue?age_band=13to15&waiting=1h"):  # filters closed, then open
            page.goto(f"{live_server}{url}")
            row = page.locator("table.queue tbody tr").first.bounding_box()
            assert row is not None and row["y"] + row["height"] <= DESKTOP["height"], (url, row)
        assert page.locator("details.filter-bar[open]").count() == 1
        violations = axe_check(page)
        assert violations == [], dump(violations)
    finally:
        context.close()


def test_a_phone_can_work_the_queue_and_an_item(app: Flask, live_server: str, browser: Any,
                                                make_user: Any) -> None:
    iid = make_item(app, text="A rather long message " * 20, scores=LOW, content_type="chat_message",
                    chat_kind="group")
    with_conversation(app, iid)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE["width"], wide
        page.get_by_role("button", name="Claim the next item").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # on a phone the content comes first, then the decision
        c, d = page.locator("#content").bounding_box(), page.locator("#decide").bounding_box()
        assert c and d and d["y"] >= c["y"] + c["height"] - 1
        page.get_by_role("link", name="Remove: Bullying or harassment").click()
        page.get_by_role("button", name="Record and return to the queue").click()
        assert page.url.endswith("/queue") and decisions_by_item(app) == {iid: "remove"}
    finally:
        context.close()


def test_new_pages_pass_axe(app: Flask, live_server: str, page: Any, axe_check: Any, make_user: Any) -> None:
    browser_login(page, live_server, make_user("case_handler", "moderator"))
    for path in ("/notices", "/notices/preferences"):
        page.goto(f"{live_server}{path}")
        violations = axe_check(page)
        assert violations == [], (path, dump(violations))
