"""The safeguarding desk in a real browser without JavaScript (issue 13): an adult teacher's
one-to-one message to an under-13, flagged by the child through the platform API, from the
flag to a confirmed restriction request for the adult (the child is never blocked); a close
refused without its record; the desk ordered by risk with "mark all seen"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from c2c_safety.core.db import new_session
from models.review import SafeguardingAction, SafeguardingReferral, WebhookDelivery
from tests.browser.conftest import browser_login, dump
from tests.support.intake import flag_body, make_key, post_flag
from tests.support.review import make_item
from tests.support.safeguarding import QUIET

TEACHER, CHILD = "u-teacher-77", "u-pupil-78"


def flag_teacher_dm(app) -> int:
    """The child flags the teacher's private message through the real flags API."""
    key = make_key(app)
    body = flag_body(**{
        "content.id": "chat-msg-9001", "content.type": "chat_message",
        "content.text": "You are so mature for your age. Don't tell your parents, let's talk on another app.",
        "content.media_urls": [],
        "author": {"id": TEACHER, "age_band": "adult", "role": "teacher"},
        "context.chat_kind": "one_to_one", "context.audience_min_age_band": "under13",
        "flag.flagger": {"id": CHILD, "role": "student"}, "flag.reason": "grooming",
        "flag.comment": "he keeps writing to me"})
    resp = post_flag(app.test_client(), key, body)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    with app.app_context():
        s = new_session(app)
        rid = s.scalars(select(SafeguardingReferral.id).where(
            SafeguardingReferral.item_id == resp.get_json()["item_id"])).one()
        s.close()
    return int(rid)


def test_adult_teacher_referral_from_flag_to_a_confirmed_restriction(app, live_server, page_nojs, axe_check,
                                                                     make_user):
    rid = flag_teacher_dm(app)
    page = page_nojs
    browser_login(page, live_server, make_user("safeguarding_lead"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Safeguarding desk").click()
    row = page.locator("table.desk tbody tr").first
    assert "Urgent" in row.inner_text()
    row.get_by_role("link", name=f"Referral #{rid}").click()

    teacher = page.locator("article.person", has=page.get_by_role("heading", name=TEACHER))
    child = page.locator("article.person", has=page.get_by_role("heading", name=CHILD))
    assert "Person of concern" in teacher.inner_text() and "Teacher" in teacher.inner_text()
    assert "Child at risk" in child.inner_text() and "under 13" in child.inner_text()
    # Nothing about the child changes the platform; nothing anywhere is pre-selected.
    assert child.get_by_role("button", name="Continue to confirmation").count() == 0
    assert "block" not in child.inner_text().lower()
    assert page.locator("article.person input:checked").count() == 0
    assert axe_check(page) == [], dump(axe_check(page))

    teacher.get_by_label("Asked the platform to restrict their messaging pending investigation").check()
    teacher.get_by_label("Why (kept in the referral").fill("Police are informed; pending their investigation.")
    teacher.get_by_role("button", name="Continue to confirmation").click()
    # The second look: who, their part and role, what will happen, the undo window.
    assert page.get_by_role("heading", level=1).inner_text() == "Check before you send"
    text = page.locator("main").inner_text()
    for words in (TEACHER, "Person of concern", "Teacher, adult", "stop this person from sending messages",
                  "24 hours", "Police are informed; pending their investigation."):
        assert words in text, words
    violations = axe_check(page)
    assert violations == [], dump(violations)
    with app.app_context():
        s = new_session(app)
        assert s.scalar(select(WebhookDelivery.id)) is None  # nothing sent before confirming
        s.close()
    page.get_by_role("button", name=f"Confirm and send: asked the platform to restrict their messaging "
                                    f"pending investigation ({TEACHER})").click()
    assert "Sent to the platform" in page.content()
    assert page.get_by_role("link", name="Withdraw this request").is_visible()

    with app.app_context():
        s = new_session(app)
        deliveries = s.scalars(select(WebhookDelivery)).all()
        actions = s.scalars(select(SafeguardingAction)).all()
        s.close()
    assert [d.event for d in deliveries] == ["safeguarding.restriction_requested"]
    assert deliveries[0].payload["data"]["person"]["id"] == TEACHER
    assert all(CHILD not in str(d.payload) for d in deliveries)  # never a request about the child
    assert [(a.kind, a.child_pseudonym) for a in actions] == [("request_restriction", TEACHER)]


def test_a_close_is_refused_without_its_record(app, live_server, page_nojs, axe_check, make_user):
    rid = flag_teacher_dm(app)
    page = page_nojs
    browser_login(page, live_server, make_user("safeguarding_lead"))
    page.goto(f"{live_server}/safeguarding/referrals/{rid}")
    page.get_by_label("Outcome").select_option("referred_externally")
    page.get_by_role("button", name="Close the referral").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    assert summary.is_visible() and "first record a recorded referral" in summary.inner_text()
    assert axe_check(page) == []
    with app.app_context():
        s = new_session(app)
        assert s.get(SafeguardingReferral, rid).status == "open"
        s.close()
    child = page.locator("article.person", has=page.get_by_role("heading", name=CHILD))
    child.get_by_label("Notified the child's municipality (underretning)").check()
    child.get_by_label("Authority (for a notification or referral)").fill("Københavns Kommune, BUF")
    child.get_by_label("Their reference number for the matter").fill("UND-2026-1234")
    child.get_by_role("button", name="Record").click()
    assert "Recorded: Notified the child's municipality" in page.content()
    page.get_by_label("Outcome").select_option("referred_externally")
    page.get_by_label("Reason for closing").fill("The municipality took the matter over.")
    page.get_by_role("button", name="Close the referral").click()
    assert "Referral closed." in page.content()


def test_the_desk_is_ordered_by_risk_and_marks_all_seen(app, live_server, page_nojs, axe_check, make_user):
    standard = make_item(app, author="u-adult-s", age_band="adult", author_role="teacher",
                         flags=[("u-parent-s", "parent", "other")], scores={**QUIET, "grooming": 0.97},
                         waited=timedelta(hours=40))
    urgent = flag_teacher_dm(app)
    page = page_nojs
    browser_login(page, live_server, make_user("safeguarding_lead"))
    page.goto(f"{live_server}/safeguarding")
    rows = page.locator("table.desk tbody tr")
    assert rows.count() == 2
    assert f"Referral #{urgent}" in rows.nth(0).inner_text() and "Urgent" in rows.nth(0).inner_text()
    assert "Standard" in rows.nth(1).inner_text() and f"item {standard}" in rows.nth(1).inner_text()
    assert "2 new alerts" in page.content()
    assert axe_check(page) == []
    page.get_by_role("button", name="Mark all seen").click()
    assert "Marked 2 alerts as seen." in page.content() and "No new alerts." in page.content()
    assert page.locator(".badge.new").count() == 0
