"""Issue 22 (items 1-2) and 19.4 in real Chromium: a bulk decision on a mixed sensitive group
refuses the unrevealed sibling until it is confirmed by number; three skips give three
different items; hide and escalate. Counts the actions of "remove with a reason" and "no
violation" starting from the queue page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from c2c_safety.core.db import new_session
from models import WebhookDelivery
from tests.browser.conftest import browser_login, dump
from tests.browser.test_moderator_loop import DESKTOP, LOW, Counter, decisions_by_item
from tests.support.review import make_item

SPAM = "Add me on the other app, I have free game codes for you, only today"


def item_id(url: str) -> int:
    m = re.search(r"/queue/(\d+)", url)
    assert m, url
    return int(m.group(1))


def test_bulk_on_a_mixed_sensitive_group_refuses_unrevealed_siblings_until_confirmed(
        app: Flask, live_server: str, browser: Any, axe_check: Any, make_user: Any) -> None:
    main = make_item(app, text=SPAM, scores=LOW, age_band="adult", flags=[("u-1", "student", "spam_scam")])
    sensitive = make_item(app, text=SPAM, scores=LOW, age_band="adult", flags=[("u-2", "student", "grooming")])
    plain = make_item(app, text=SPAM, scores=LOW, age_band="adult", flags=[("u-3", "student", "spam")])
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue/{main}")
        page.get_by_role("button", name="Claim this item to decide").click()
        page.get_by_text("2 other waiting items with the same text, 1 sensitive that you have not looked at").click()
        assert page.get_by_text(f"#{sensitive} post").is_visible()
        assert page.locator("ul.same-text").get_by_text("grooming; sensitive").is_visible()
        page.get_by_role("link", name="Remove: Spam or scams").click()
        page.get_by_label("Also apply this decision to the other waiting items with the same text").check()
        page.get_by_role("button", name="Record and return to the queue").click()
        assert "Nothing was saved" in page.content() and f"(#{sensitive})" in page.content()
        assert decisions_by_item(app) == {}
        violations = axe_check(page)
        assert violations == [], dump(violations)
        page.get_by_label(f"Decide #{sensitive} without looking").check()
        page.get_by_role("button", name="Record and return to the queue").click()
        assert page.url.endswith("/queue"), page.url
        assert decisions_by_item(app) == {main: "remove", sensitive: "remove", plain: "remove"}
    finally:
        context.close()


def test_three_skips_give_three_different_items(app: Flask, live_server: str, browser: Any,
                                                make_user: Any) -> None:
    ids = [make_item(app, scores=LOW, age_band="adult", waited=timedelta(minutes=60 - i)) for i in range(5)]
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue")
        page.get_by_role("button", name="Claim the next item").click()
        seen = [item_id(page.url)]
        for _ in range(3):
            page.get_by_role("button", name="Release and open the next item").click()
            seen.append(item_id(page.url))
        assert len(set(seen)) == 4 and set(seen) <= set(ids), seen
        # a skip with a reason: a conflict of interest, then the fifth item
        page.get_by_text("Skip this item (language, conflict of interest, a break)").click()
        page.get_by_label("Conflict of interest: I know someone involved (recorded)").check()
        page.get_by_role("button", name="Skip and open the next item").click()
        seen.append(item_id(page.url))
        assert len(set(seen)) == 5, seen
        page.goto(f"{live_server}/queue")
        assert "Skipped for this session: 4 items you passed on" in page.content()
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_actions_from_the_queue_page(app: Flask, live_server: str, browser: Any, make_user: Any, js: bool) -> None:
    first = make_item(app, text="You are useless, nobody wants you in our group.", scores=LOW, age_band="adult")
    second = make_item(app, text="See you at the project meeting tomorrow.", scores=LOW, age_band="adult",
                       waited=timedelta(minutes=1))
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=js)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, make_user("moderator"))
        counts = {}
        for label, target in (("Remove: Bullying or harassment", first),
                              ("No violation: Bullying or harassment", second)):
            page.goto(f"{live_server}/queue")
            n = Counter(page)
            n.click(page.get_by_role("button", name="Claim the next item"))
            assert item_id(page.url) == target
            n.click(page.get_by_role("link", name=label))
            n.click(page.get_by_role("button", name="Record and return to the queue"))
            assert page.url.endswith("/queue")
            counts[label.split(":")[0]] = n.actions
        assert decisions_by_item(app) == {first: "remove", second: "no_violation"}
        print(f"\nactions from the queue page ({'JS' if js else 'no JS'}): {counts}")
        assert all(v <= 3 for v in counts.values())
    finally:
        context.close()


def test_hide_and_escalate_in_the_browser(app: Flask, live_server: str, browser: Any, make_user: Any) -> None:
    iid = make_item(app, text="You are so mature. Send me a photo, our secret.", age_band="adult",
                    author_role="teacher", flags=[("u-kid", "student", "grooming")], audience="under13")
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue")
        page.get_by_role("button", name="Claim the next item").click()
        assert item_id(page.url) == iid
        page.get_by_role("button", name="Show the content").click()
        page.get_by_role("link", name="Escalate to safeguarding: Grooming or child safety").click()
        page.get_by_label("Also ask the platform to hide the content now").check()
        page.get_by_role("button", name="Record and return to the queue").click()
        assert page.url.endswith("/queue"), page.url
        with app.app_context():
            s = new_session(app)
            events = list(s.scalars(select(WebhookDelivery.event)))
            s.close()
        assert events == ["safeguarding.content_hide_requested"]
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_an_appeal_upheld_in_one_action_keeps_the_original_statement(
        app: Flask, live_server: str, browser: Any, axe_check: Any, make_user: Any, js: bool) -> None:
    from tests.review.test_appeals import api_key, decided_item, post

    iid, did, _ = decided_item(app, make_user)
    assert post(app.test_client(), api_key(app), {"decision_id": did, "appellant": "author",
                                                  "text": "It was a joke."}).status_code == 201
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=js)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue")
        n = Counter(page)
        n.click(page.get_by_role("button", name="Claim the next item"))
        assert item_id(page.url) == iid
        assert page.locator(".uphold-box blockquote").inner_text() == "The post insults a classmate by name."
        violations = axe_check(page)
        assert violations == [], dump(violations)
        n.click(page.get_by_role("button", name="Uphold and open the next item"))
        assert "the original decision is upheld" in page.content()
        print(f"\nuphold an appeal ({'JS' if js else 'no JS'}): {n.actions} actions from the queue page, "
              f"{n.actions - 1} from the item page")
        assert n.actions == 2
        with app.app_context():
            s = new_session(app)
            from models.review import Decision

            original = s.get(Decision, did)
            outcome = s.scalars(select(Decision).where(Decision.kind == "appeal_upheld")).one()
            assert outcome.statement.facts == original.statement.facts  # type: ignore[union-attr]
            assert outcome.action == original.action  # type: ignore[union-attr]
            s.close()
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_record_is_always_in_view_at_1366x768(app: Flask, live_server: str, browser: Any, make_user: Any,
                                              js: bool) -> None:
    from tests.browser.test_moderator_loop import with_conversation

    iid = make_item(app, text="You are useless. " * 30, scores=LOW, content_type="chat_message",
                    chat_kind="group", age_band="13to15", audience="13to15")
    with_conversation(app, iid)
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=js)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue")
        assert page.locator("table.queue .preview").first.is_visible()  # the two-line preview
        page.get_by_role("button", name="Claim the next item").click()
        record = page.get_by_role("button", name="Record decision and open the next item")
        for _ in range(2):  # on arrival, and after scrolling the page to the bottom
            box = record.bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= DESKTOP["height"], box
            page.mouse.wheel(0, 3000)
            page.wait_for_timeout(200)
    finally:
        context.close()


def test_an_authors_account_page(app: Flask, live_server: str, browser: Any, axe_check: Any,
                                 make_user: Any) -> None:
    first = make_item(app, author="u-acct-b", scores=LOW, age_band="adult")
    second = make_item(app, author="u-acct-b", scores=LOW, age_band="adult", waited=timedelta(minutes=1))
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        browser_login(page, live_server, make_user("moderator"))
        page.goto(f"{live_server}/queue/{first}")
        page.get_by_role("link", name="their account").click()
        assert page.url.endswith(f"/queue/{first}/account")
        assert page.get_by_role("link", name=f"#{second} post").is_visible()
        assert page.get_by_role("link", name=f"#{first} post").is_visible()
        violations = axe_check(page)
        assert violations == [], dump(violations)
        page.get_by_label("Note (internal: never sent to the author)").fill("Asked their teacher to talk to them.")
        page.get_by_role("button", name="Add the note").click()
        assert page.get_by_text("Asked their teacher to talk to them.").is_visible()
        assert "u-acct-b" not in page.content()
    finally:
        context.close()
