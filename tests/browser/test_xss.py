"""Hostile text through every door, viewed on every page that shows it, with JavaScript ON.

Doors: the flags API (text, comment, media URL), items as intake stores them (pseudonyms,
media URLs, flag comments: the safeguarding desk's data), the anonymous report form (every
text field), the reporter's follow-up reply, and a case handler's message and note.
Pages: the queue, the item page, the safeguarding desk and referral, the case page and the
reporter's follow-up page. On each: no dialog opens, no live `javascript:` link or inline
event handler is in the DOM, and the payload is still readable as text.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from c2c_safety.core.db import new_session
from models import CaseFile
from models.review import SafeguardingReferral
from tests.browser.conftest import browser_login
from tests.support.intake import flag_body, follow_up, make_key, post_flag, receipt_of, submit_report
from tests.support.review import make_item

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "<a href=\"javascript:alert(1)\">click me</a>",
    "<svg onload=alert(1)>",
    "\"><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "abc\u202egnp.exe",  # right-to-left override: must stay text, not reorder into a lie
    "{{7*7}} {% raw %}${7*7}",
]
# Each payload gets a distinct, whitespace-free tag so a page can be checked for it.
TAGGED = [f"X{i}-{p}" for i, p in enumerate(PAYLOADS)]
LIVE = ('[href^="javascript:" i], [src^="javascript:" i], [action^="javascript:" i], '
        '[formaction^="javascript:" i]')
HANDLERS = "[onerror], [onload], [onclick], [onmouseover], [onfocus]"
SCORES = {"harassment": 0.1, "hate": 0.0, "threat": 0.0, "sexual": 0.0, "grooming": 0.95,
          "self_harm": 0.0, "profanity": 0.0}


@pytest.fixture(autouse=True)
def _fast(app: Flask, redis_conn: Any) -> None:
    app.config["C2C_FOLLOWUP_FAIL_DELAY"] = 0


def assert_inert(page: Any, dialogs: list[str], shown: list[str]) -> None:
    page.wait_for_load_state("load")
    where = page.url
    assert dialogs == [], f"{where}: a script ran: {dialogs}"
    assert page.locator(LIVE).count() == 0, f"{where}: live javascript: URL"
    assert page.locator(HANDLERS).count() == 0, f"{where}: inline event handler in the DOM"
    assert page.locator("script:not([src])").count() == 0, f"{where}: inline script element"
    assert page.locator("svg[onload], img[src=x]").count() == 0
    page.eval_on_selector_all("details", "els => els.forEach(e => { e.open = true; })")  # collapsed content
    text = page.locator("body").inner_text()
    missing = [s for s in shown if s not in text]
    assert not missing, f"{where}: payload not readable as text: {missing}"


def test_flags_and_items_are_inert_on_the_review_desks(app: Flask, live_server: str, page: Any,
                                                        dialogs: list[str], make_user: Any,
                                                        client: Any) -> None:
    key = make_key(app)
    api_items: list[int] = []
    for i, tagged in enumerate(TAGGED):
        body = flag_body(**{"content.id": f"xss-{i}", "content.text": tagged, "flag.comment": tagged,
                            "content.media_urls": [f'https://cdn.example/{i}.png"><svg/onload=alert({i})>']})
        resp = post_flag(client, key, body)
        assert resp.status_code == 202, resp.get_json()
        api_items.append(resp.get_json()["item_id"])
    # Pseudonyms and javascript: media cannot pass the API's validation; store them as
    # intake would if it ever let one through, to check the pages do not rely on that.
    direct = [make_item(app, text=t, author=t, flags=[(t, "student", "grooming")], scores=SCORES,
                        chat_kind="one_to_one", media=["javascript:alert(1)"]) for t in TAGGED]

    browser_login(page, live_server, make_user("moderator"))
    page.goto(f"{live_server}/queue")
    assert_inert(page, dialogs, [])
    for iid in api_items:
        page.goto(f"{live_server}/queue/{iid}")
        assert_inert(page, dialogs, [TAGGED[api_items.index(iid)]])
    for iid, tagged in zip(direct, TAGGED, strict=True):
        page.goto(f"{live_server}/queue/{iid}")
        # Sensitive items are hidden until the moderator asks to see them (issue 12):
        # the payload must be inert both before and after revealing.
        assert_inert(page, dialogs, [])
        if page.locator("#reveal-button").count():
            page.click("#reveal-button")
        assert_inert(page, dialogs, [tagged])

    page.context.clear_cookies()
    browser_login(page, live_server, make_user("safeguarding_lead"))
    page.goto(f"{live_server}/safeguarding")
    assert_inert(page, dialogs, [])
    with app.app_context():
        s = new_session(app)
        refs = {r.item_id: r.id for r in s.scalars(select(SafeguardingReferral))}
        s.close()
    assert set(direct) <= set(refs)
    for iid, tagged in zip(direct, TAGGED, strict=True):
        page.goto(f"{live_server}/safeguarding/referrals/{refs[iid]}")
        assert_inert(page, dialogs, [tagged])


def test_reports_replies_and_case_messages_are_inert(app: Flask, live_server: str, page: Any,
                                                     dialogs: list[str], make_user: Any,
                                                     client: Any) -> None:
    receipts: list[str] = []
    for tagged in TAGGED:
        resp = submit_report(client, {"what": tagged, "when": tagged[:60], "who": tagged, "contact": tagged})
        assert resp.status_code == 200
        receipts.append(receipt_of(resp))
        reply = follow_up(client, receipts[-1], action="reply", message="reply " + tagged)
        assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    with app.app_context():
        s = new_session(app)
        case_ids = [c.id for c in s.scalars(select(CaseFile).order_by(CaseFile.id))]
        s.close()
    assert len(case_ids) == len(TAGGED)

    browser_login(page, live_server, make_user("case_handler"))
    page.goto(f"{live_server}/cases/")
    assert_inert(page, dialogs, [])
    for cid, tagged in zip(case_ids, TAGGED, strict=True):
        page.goto(f"{live_server}/cases/{cid}")
        assert_inert(page, dialogs, [tagged, "reply " + tagged])
        page.get_by_label("Message to the reporter").fill("staff " + tagged)
        page.get_by_role("button", name="Send to the reporter").click()
        page.locator("#note-text").fill("note " + tagged)
        page.get_by_role("button", name="Add note").click()
        assert_inert(page, dialogs, ["staff " + tagged, "note " + tagged])

    reporter = page.context.browser.new_context()
    rpage = reporter.new_page()
    rpage.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        for receipt, tagged in zip(receipts, TAGGED, strict=True):
            rpage.goto(f"{live_server}/report/follow-up?lang=en")
            rpage.get_by_label("Receipt code").fill(receipt)
            rpage.get_by_role("button", name="Show my report").click()
            assert_inert(rpage, dialogs, ["staff " + tagged, "reply " + tagged])
            assert "note " + tagged not in rpage.content()  # internal notes never reach the reporter
    finally:
        reporter.close()
